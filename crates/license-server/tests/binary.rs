//! The real `licensed` binary: `id check` exit codes, and `demo` serving the whole flow over
//! HTTP on a free local port.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{API, BIN, Demo, TOKEN_PATH, call, context, enc, get, post_form};

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
    assert_eq!(get(&addr, "/healthz").status, 200);
    assert_eq!(get(&addr, "/readyz").status, 200);

    let token_resp = post_form(
        &addr,
        TOKEN_PATH,
        None,
        "grant_type=password&scope=read%20write&client_id=demo-client&client_secret=demo-secret&username=demo&password=demo-password",
    );
    assert_eq!(token_resp.status, 200, "{token_resp}");
    let token = token_resp.field("access_token").expect("a token");
    let bad = post_form(
        &addr,
        TOKEN_PATH,
        None,
        "grant_type=password&client_id=demo-client&client_secret=demo-secret&username=demo&password=wrong",
    );
    assert!(
        bad.status == 400 && bad.text().contains("invalid_grant"),
        "{bad}"
    );

    let ctx = context("测试系统", "测试事项", "端到端测试");
    let share = |name: &str, token: Option<&str>, form: &str| {
        post_form(&addr, &format!("{API}/{name}"), token, form)
    };
    let query = format!("certificateID={}&{ctx}", enc(&identifier));
    let q = share(
        "ShareQueryCertInfo",
        Some(&token),
        &format!("{query}&interfaceType=1"),
    );
    assert_eq!(q.status, 200, "{q}");
    assert_eq!(
        q.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let v = q.json();
    assert!(
        v["head"]["status"] == "0" && v["head"]["type"] == "2" && q.text().contains("正常有效"),
        "{q}"
    );
    // The demo's province: the same license from the province library (interfaceType=0), in
    // the province shape; shengShiStateInfo finds it in both libraries.
    let up = share(
        "ShareQueryCertInfo",
        Some(&token),
        &format!("{query}&interfaceType=0"),
    );
    assert!(
        up.status_code() == "0"
            && up.json()["head"]["type"] == "1"
            && up.text().contains("cert_identifier"),
        "{up}"
    );
    let holder = up.field("certno").expect("the holder's code");
    let both = share(
        "shengShiStateInfo",
        Some(&token),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode=11100000000013127D001&{ctx}"
        ),
    );
    assert!(
        both.field("shengIsExists").as_deref() == Some("1")
            && both.field("shiIsExists").as_deref() == Some("1"),
        "{both}"
    );
    let missing = share(
        "ShareQueryCertInfo",
        Some(&token),
        &format!("interfaceType=1&{ctx}"),
    );
    assert!(
        missing.status_code() == "12" && missing.text().contains("certificateID"),
        "{missing}"
    );
    let no_token = share("ShareQueryCertInfo", None, "certificateID=x");
    assert!(
        no_token.status == 200 && no_token.status_code() == "11",
        "{no_token}"
    );
    let bad_json = call(
        "POST",
        &addr,
        &format!("{API}/ShareQueryCertInfo"),
        &[("Content-Type", "application/json")],
        Some(b"{oops"),
    );
    assert!(
        bad_json.status == 400 && bad_json.status_code() == "24",
        "{bad_json}"
    );
    let unknown = get(&addr, "/nope");
    assert_eq!(unknown.status, 404);

    let links = share("ShareDownloadUrl", Some(&token), &query);
    let url = links.field("fileUrl").expect("a link");
    let path = url.split(&addr).nth(1).unwrap();
    let file = get(&addr, path);
    assert_eq!(file.status, 200, "{file}");
    assert!(
        file.header("content-type")
            .is_some_and(|t| t.starts_with("application/ofd")),
        "{file}"
    );
    let disposition = file.header("content-disposition").unwrap();
    assert_eq!(disposition.matches("filename=").count(), 1);
    assert!(disposition.trim_end().ends_with(".ofd"), "{disposition}");
    let gone = get(
        &addr,
        "/license-api-release/elssp/v1/download_national?fileId=unknown",
    );
    assert!(gone.status == 404 && gone.status_code() == "10", "{gone}");

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
        assert!(r.header("x-request-id").is_some(), "{r}");
    }
    let echoed = call(
        "GET",
        &addr,
        "/healthz",
        &[("X-Request-Id", "trace-42")],
        None,
    );
    assert_eq!(echoed.header("x-request-id"), Some("trace-42"));
    // Metrics by interface and return code.
    let metrics = get(&addr, "/metrics").text();
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

/// Rolling upgrades: with `migrate_on_start = false` nothing migrates but `licensed migrate`,
/// a command on a schema behind the build refuses naming what is pending, and
/// `licensed migrate --status` lists every migration and whether it is applied.
#[test]
fn migrate_on_start_off_leaves_the_schema_to_licensed_migrate() {
    let node = common::Node::sqlite("no-migrate", "city");
    let run = |args: &[&str]| {
        let out = node
            .command()
            .env("LICENSED_MIGRATE_ON_START", "false")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = run(&["client", "add", "c", "--secret", "s"]);
    assert!(
        !ok && said.contains("licensed migrate") && said.contains("pending"),
        "{said}"
    );
    let (ok, said) = run(&["migrate", "--status"]);
    assert!(
        ok && said.contains("pending m2026") && !said.contains("applied m2026"),
        "{said}"
    );
    assert!(said.contains("0 of "), "{said}");
    let (ok, said) = run(&["migrate"]);
    assert!(ok, "{said}");
    let (ok, said) = run(&["migrate", "--status"]);
    assert!(
        ok && !said.contains("pending m2026") && said.contains("up to date"),
        "{said}"
    );
    let (ok, said) = run(&["client", "add", "c", "--secret", "s"]);
    assert!(ok, "{said}");
    let _ = std::fs::remove_dir_all(&node.dir);
}
