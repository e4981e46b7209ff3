//! A city node and its province upstream as two real `licensed` processes: `interfaceType=0`
//! on the city answers from the province library (province shape, `head.type` "1") over REST
//! and over gRPC, `interfaceType=1` from the city's own; with the province gone the city
//! answers `1` within its timeout.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Demo, enc, field, post_form};
use license_platform::sample::{SAMPLE_TYPES, citizen_id, import_line};

const BIN: &str = env!("CARGO_BIN_EXE_licensed");
const API: &str = "/license-api-release/m/v/license/external/api";

fn licensed(dir: &Path, role: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env("LICENSED_DATA_DIR", dir)
        .env("LICENSED_ROLE", role)
        .env("LICENSED_LOG", "warn")
        .env_remove("LICENSED_DATABASE_URL");
    c
}

/// An account and an OAuth client on a node's data directory, through the operators' CLI.
fn provision(dir: &Path, role: &str, user: &str, client: &str) {
    let mut add = licensed(dir, role)
        .args(["account", "add", user, "--roles"])
        .arg("search,info,view,download,verify,sync")
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"federation-password\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let ok = licensed(dir, role)
        .args(["client", "add", client, "--secret", "federation-secret"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
}

/// Serves a node; its HTTP `host:port` and gRPC URL.
fn serve(mut cmd: Command) -> (Demo, String, String) {
    let mut child = Demo(
        cmd.arg("serve")
            .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
            .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| {
        let l = lines.next().unwrap().unwrap();
        l.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{l}"))
            .to_owned()
    };
    let http = next("licensed listening on http://");
    let grpc = next("licensed gRPC on ");
    (child, http, grpc)
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("federation-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn token(addr: &str, user: &str, client: &str) -> String {
    let r = post_form(
        addr,
        "/license-api-release/oauth/token",
        None,
        &format!(
            "grant_type=password&client_id={client}&client_secret=federation-secret&username={user}&password=federation-password"
        ),
    );
    field(&r, "access_token").unwrap_or_else(|| panic!("{r}"))
}

fn holder_query(addr: &str, token: &str, holder: &str, interface_type: &str) -> String {
    holder_call(
        addr,
        "ShareQueryCertInfoByHo",
        token,
        holder,
        interface_type,
    )
}

fn holder_call(addr: &str, name: &str, token: &str, holder: &str, interface_type: &str) -> String {
    let ctx = format!(
        "certificateSystemName={}&certificateCallCategory=0&certificateMatterName={}&certificateEventCode=E1&certificateCopyCause={}",
        enc("市级办事大厅"),
        enc("跨库查询"),
        enc("联调测试")
    );
    post_form(
        addr,
        &format!("{API}/{name}"),
        Some(token),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode={}&interfaceType={interface_type}&{ctx}",
            SAMPLE_TYPES[0]
        ),
    )
}

#[test]
fn a_city_forwards_to_its_province_over_rest_and_grpc() {
    // The province: one license (sample 0) in its library, an account for the city.
    let pdir = temp("province");
    provision(&pdir, "province", "zaozhuang", "zaozhuang-client");
    std::fs::write(pdir.join("one.jsonl"), import_line(0) + "\n").unwrap();
    let out = licensed(&pdir, "province")
        .args(["license", "import"])
        .arg(pdir.join("one.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (province, paddr, pgrpc) = serve(licensed(&pdir, "province"));
    let holder = citizen_id(0);

    for transport in ["rest", "grpc"] {
        let cdir = temp(&format!("city-{transport}"));
        provision(&cdir, "city", "hall", "hall-client");
        // The city holds sample 30 (holder 10, same type) only.
        std::fs::write(cdir.join("one.jsonl"), import_line(30) + "\n").unwrap();
        let out = licensed(&cdir, "city")
            .args(["license", "import"])
            .arg(cdir.join("one.jsonl"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let url = if transport == "rest" {
            format!("http://{paddr}")
        } else {
            pgrpc.clone()
        };
        let mut cmd = licensed(&cdir, "city");
        cmd.env("LICENSED_PROVINCE_URL", &url)
            .env("LICENSED_PROVINCE_TRANSPORT", transport)
            .env("LICENSED_PROVINCE_CLIENT_ID", "zaozhuang-client")
            .env("LICENSED_PROVINCE_CLIENT_SECRET", "federation-secret")
            .env("LICENSED_PROVINCE_USERNAME", "zaozhuang")
            .env("LICENSED_PROVINCE_PASSWORD", "federation-password")
            .env("LICENSED_PROVINCE_TIMEOUT_MS", "1500");
        let (_city, caddr, _) = serve(cmd);
        let t = token(&caddr, "hall", "hall-client");
        let from_province = holder_query(&caddr, &t, &holder, "0");
        assert!(
            from_province.contains("\"status\":\"0\"")
                && from_province.contains("\"type\":\"1\"")
                && from_province.contains("cert_identifier")
                && from_province.contains(&holder),
            "{transport}: {from_province}"
        );
        let from_city = holder_query(&caddr, &t, &holder, "1");
        assert!(
            from_city.contains("\"status\":\"10\""),
            "{transport}: the city library does not hold it: {from_city}"
        );
        // shengShiStateInfo combines both libraries, whatever interfaceType says.
        for (who, interface_type, province, city) in [
            (citizen_id(0), "1", "1", "0"),
            (citizen_id(10), "0", "0", "1"),
            (citizen_id(20), "1", "0", "0"),
        ] {
            let both = holder_call(&caddr, "shengShiStateInfo", &t, &who, interface_type);
            assert!(
                both.contains("\"status\":\"0\"")
                    && both.contains(&format!("\"shengIsExists\":\"{province}\""))
                    && both.contains(&format!("\"shiIsExists\":\"{city}\"")),
                "{transport} {who}: {both}"
            );
            assert_eq!(
                both.contains("\"data\":null"),
                province == "0" && city == "0",
                "{transport} {who}: {both}"
            );
        }
        let _ = std::fs::remove_dir_all(&cdir);
    }

    // The province goes away: the city answers 1 within its timeout (plus a margin).
    let cdir = temp("city-orphan");
    provision(&cdir, "city", "hall", "hall-client");
    let mut cmd = licensed(&cdir, "city");
    cmd.env("LICENSED_PROVINCE_URL", format!("http://{paddr}"))
        .env("LICENSED_PROVINCE_CLIENT_ID", "zaozhuang-client")
        .env("LICENSED_PROVINCE_CLIENT_SECRET", "federation-secret")
        .env("LICENSED_PROVINCE_USERNAME", "zaozhuang")
        .env("LICENSED_PROVINCE_PASSWORD", "federation-password")
        .env("LICENSED_PROVINCE_TIMEOUT_MS", "1000");
    let (_city, caddr, _) = serve(cmd);
    drop(province);
    let t = token(&caddr, "hall", "hall-client");
    let started = Instant::now();
    let gone = holder_query(&caddr, &t, &holder, "0");
    assert!(gone.contains("\"status\":\"1\""), "{gone}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&cdir);
    let _ = std::fs::remove_dir_all(&pdir);
}
