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
    let (ok, said) = run(&["migrate", "--status"]);
    assert!(ok && said.contains("0 of "), "{said}");
    assert!(
        !node.dir.join("licensed.sqlite3").exists(),
        "asking creates no database"
    );
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

/// A setting out of its range stops the node before it starts, naming the key, the range and
/// where the value came from.
#[test]
fn a_setting_out_of_range_stops_the_start() {
    let node = common::Node::sqlite("bad-settings", "city");
    let out = node
        .command()
        .env("LICENSED_DOWNLOAD_URL_TTL_SECS", "5")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("download_url_ttl_secs = 5 is outside 10..=86400")
            && said.contains("the environment variable LICENSED_DOWNLOAD_URL_TTL_SECS"),
        "{said}"
    );
    assert!(
        !node.dir.join("licensed.sqlite3").exists(),
        "refused before anything is opened"
    );
    let _ = std::fs::remove_dir_all(&node.dir);
}

/// `licensed status`: one `name: value` line each; on a new data directory it says what is
/// pending and creates nothing; on a library it counts what it holds and shows the last purge,
/// which `licensed purge` runs.
#[test]
fn status_tells_the_operator_how_the_library_is() {
    let node = common::Node::sqlite("status", "city");
    let status = || {
        let out = node.command().arg("status").output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        said
    };
    let said = status();
    assert!(
        said.contains("role: city\n") && said.contains("migrations pending"),
        "{said}"
    );
    assert!(!node.dir.join("licensed.sqlite3").exists(), "it only reads");
    node.provision("hall", "hall-client", "search");
    node.import(
        &(0..3)
            .map(|i| license_platform::sample::import_line(i) + "\n")
            .collect::<String>(),
    );
    let said = status();
    for line in [
        "schema: up to date\n",
        "licenses: 3\n",
        "accounts: 1\n",
        "pending pushes: 0\n",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }
    let events: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("audit events: "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(events >= 3, "the CLI's actions are audited: {said}");
    assert!(said.contains("oldest audit event: 20"), "{said}");
    assert!(said.contains("last purge: never\n"), "{said}");
    assert!(said.lines().all(|l| l.contains(": ")), "{said}");
    // `licensed purge` runs one now and says what it removed; status shows it.
    let purged = node.cli(&["purge"]);
    assert!(
        purged.starts_with("purged 0 expired download links (0 copies), 0 token pairs"),
        "{purged}"
    );
    let said = status();
    assert!(
        said.contains("last purge: 20") && said.contains(": 0 expired download links"),
        "{said}"
    );
    // A serving node purges by itself every purge_interval_secs.
    let last = |said: &str| {
        said.lines()
            .find(|l| l.starts_with("last purge: "))
            .map(str::to_owned)
    };
    let before = last(&said);
    let serving = node.serve(
        "127.0.0.1:0",
        &[("LICENSED_PURGE_INTERVAL_SECS", "1".to_owned())],
    );
    let started = std::time::Instant::now();
    while last(&status()) == before {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no purge by the serving node"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(serving);
    let _ = std::fs::remove_dir_all(&node.dir);
}

/// `licensed license export`: JSON Lines that import again as the same licenses — identifiers,
/// file numbers, states and faces — and CSV with the face as `face.<name>` columns.
#[test]
fn an_export_imports_again_as_the_same_licenses() {
    let a = common::Node::sqlite("export-a", "city");
    let mut lines: Vec<String> = (0..4).map(license_platform::sample::import_line).collect();
    lines[3] = lines[3].replacen('{', r#"{"state":"revoked","#, 1);
    a.import(&(lines.join("\n") + "\n"));
    let exported = a.cli(&["license", "export"]);
    assert_eq!(exported.lines().count(), 4, "{exported}");
    assert!(exported.contains(r#""state":"revoked""#), "{exported}");
    let b = common::Node::sqlite("export-b", "city");
    b.import(&exported);
    assert_eq!(b.cli(&["license", "export"]), exported, "the same licenses");
    let csv = a.cli(&["license", "export", "--format", "csv"]);
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("certTypeCode,")
            && header.contains(",certIdentifier,")
            && header.contains(",face.certno,face.name"),
        "{header}"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");
    let out = a.run(&["license", "export", "--format", "xml"], "");
    assert!(!out.status.success());
    for n in [a, b] {
        let _ = std::fs::remove_dir_all(&n.dir);
    }
}
