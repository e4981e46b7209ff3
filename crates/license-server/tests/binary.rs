//! The real `licensed` binary: `id check` exit codes, and `demo` serving the whole flow over
//! HTTP on a free local port.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, enc, http, post_form};

const BIN: &str = env!("CARGO_BIN_EXE_licensed");

#[test]
fn id_check_exit_codes() {
    let run = |id: &str| {
        Command::new(BIN)
            .args(["id", "check", id])
            .output()
            .unwrap()
    };
    let legacy = run("1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9");
    assert!(legacy.status.success());
    let out = String::from_utf8_lossy(&legacy.stdout);
    assert!(
        out.contains("legacy scheme") && out.contains("standard check:  Q"),
        "{out}"
    );
    assert_eq!(run("1.2.156.3005.2.11200000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8").status.code(), Some(1));
    assert_eq!(
        run("1.2.156.3005.2.X.Y.Z.001.1").status.code(),
        Some(1),
        "grammar deviations are invalid"
    );
}

#[test]
fn demo_serves_the_flow() {
    let child = Command::new(BIN)
        .arg("demo")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
        .env("LICENSED_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut demo = Demo(child);
    let stdout = demo.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let start = Instant::now();
    let mut addr = None;
    let mut identifier = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(a) = line.trim().strip_prefix("listening on:   http://") {
            addr = Some(a.to_owned());
        }
        if let Some(rest) = line.split("certificateID=").nth(1)
            && identifier.is_none()
        {
            identifier = Some(rest.split('\'').next().unwrap().to_owned());
        }
        if line.starts_with("Press Ctrl-C") || start.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let addr = addr.expect("the demo prints its address");
    // `licensed healthcheck` against the serving node: ready.
    let check = Command::new(BIN)
        .arg("healthcheck")
        .env("LICENSED_HTTP_ADDR", &addr)
        .env(
            "LICENSED_DATA_DIR",
            std::env::temp_dir().join("healthcheck-unused"),
        )
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ready");
    let identifier = identifier.expect("the demo prints an identifier");
    assert!(
        http(
            &addr,
            &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        )
        .starts_with("HTTP/1.1 200")
    );
    assert!(
        http(
            &addr,
            &format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        )
        .starts_with("HTTP/1.1 200")
    );

    let token_resp = post_form(
        &addr,
        "/license-api-release/oauth/token",
        None,
        "grant_type=password&scope=read%20write&client_id=demo-client&client_secret=demo-secret&username=demo&password=demo-password",
    );
    assert!(token_resp.starts_with("HTTP/1.1 200"), "{token_resp}");
    let token = token_resp
        .split("\"access_token\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let bad = post_form(
        &addr,
        "/license-api-release/oauth/token",
        None,
        "grant_type=password&client_id=demo-client&client_secret=demo-secret&username=demo&password=wrong",
    );
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("invalid_grant"),
        "{bad}"
    );

    let ctx = format!(
        "certificateSystemName={}&certificateCallCategory=0&certificateMatterName={}&certificateEventCode=E1&certificateCopyCause={}",
        enc("测试系统"),
        enc("测试事项"),
        enc("端到端测试")
    );
    let q = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/ShareQueryCertInfo",
        Some(&token),
        &format!("certificateID={}&interfaceType=1&{ctx}", enc(&identifier)),
    );
    assert!(q.starts_with("HTTP/1.1 200"), "{q}");
    assert!(q.contains("application/json;charset=UTF-8"));
    assert!(
        q.contains("\"status\":\"0\"") && q.contains("\"type\":\"2\"") && q.contains("正常有效"),
        "{q}"
    );
    // The demo's province: the same license from the province library (interfaceType=0), in
    // the province shape; shengShiStateInfo finds it in both libraries.
    let up = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/ShareQueryCertInfo",
        Some(&token),
        &format!("certificateID={}&interfaceType=0&{ctx}", enc(&identifier)),
    );
    assert!(
        up.contains("\"status\":\"0\"")
            && up.contains("\"type\":\"1\"")
            && up.contains("cert_identifier"),
        "{up}"
    );
    let holder = up
        .split("\"certno\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let both = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/shengShiStateInfo",
        Some(&token),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode=11100000000013127D001&{ctx}"
        ),
    );
    assert!(
        both.contains("\"shengIsExists\":\"1\"") && both.contains("\"shiIsExists\":\"1\""),
        "{both}"
    );
    let missing = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/ShareQueryCertInfo",
        Some(&token),
        &format!("interfaceType=1&{ctx}"),
    );
    assert!(
        missing.contains("\"status\":\"12\"") && missing.contains("certificateID"),
        "{missing}"
    );
    let no_token = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/ShareQueryCertInfo",
        None,
        "certificateID=x",
    );
    assert!(
        no_token.starts_with("HTTP/1.1 200") && no_token.contains("\"status\":\"11\""),
        "{no_token}"
    );
    let bad_json = http(
        &addr,
        &format!(
            "POST /license-api-release/m/v/license/external/api/ShareQueryCertInfo HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{oops"
        ),
    );
    assert!(
        bad_json.starts_with("HTTP/1.1 400") && bad_json.contains("\"status\":\"24\""),
        "{bad_json}"
    );
    let unknown = http(
        &addr,
        &format!("GET /nope HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(unknown.starts_with("HTTP/1.1 404"));

    let links = post_form(
        &addr,
        "/license-api-release/m/v/license/external/api/ShareDownloadUrl",
        Some(&token),
        &format!("certificateID={}&{ctx}", enc(&identifier)),
    );
    let url = links
        .split("\"fileUrl\":\"")
        .nth(1)
        .expect("a link")
        .split('"')
        .next()
        .unwrap();
    let path = url.split(&addr).nth(1).unwrap();
    let file = http(
        &addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        file.starts_with("HTTP/1.1 200"),
        "{}",
        &file[..200.min(file.len())]
    );
    assert!(file.contains("content-type: application/ofd"));
    let disposition = file
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
        .unwrap();
    assert_eq!(disposition.matches("filename=").count(), 1);
    assert!(disposition.trim_end().ends_with(".ofd"), "{disposition}");
    let gone = http(
        &addr,
        &format!(
            "GET /license-api-release/elssp/v1/download_national?fileId=unknown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(gone.starts_with("HTTP/1.1 404") && gone.contains("\"status\":\"10\""));

    // Every response carries a request id; an acceptable one from the client is kept.
    for r in [
        &q,
        &missing,
        &no_token,
        &bad_json,
        &unknown,
        &file,
        &gone,
        &token_resp,
    ] {
        assert!(r.contains("x-request-id: "), "{}", &r[..200.min(r.len())]);
    }
    let echoed = http(
        &addr,
        &format!(
            "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: trace-42\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(echoed.contains("x-request-id: trace-42"), "{echoed}");
    // Metrics by interface and return code.
    let metrics = http(
        &addr,
        &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    for needle in [
        r#"licensed_requests_total{interface="ShareQueryCertInfo",code="0"} 2"#,
        r#"licensed_requests_total{interface="shengShiStateInfo",code="0"} 1"#,
        r#"licensed_requests_total{interface="ShareQueryCertInfo",code="12"} 1"#,
        r#"licensed_requests_total{interface="ShareQueryCertInfo",code="11"} 1"#,
        r#"licensed_requests_total{interface="download",code="0"} 1"#,
        r#"licensed_requests_total{interface="oauth/token",code="400"} 1"#,
        r#"licensed_request_duration_seconds_count{interface="ShareDownloadUrl"} 1"#,
        r#"licensed_requests_total{interface="ShareQueryCertInfo",code="24"} 1"#,
    ] {
        assert!(metrics.contains(needle), "{needle} missing in\n{metrics}");
    }
}
