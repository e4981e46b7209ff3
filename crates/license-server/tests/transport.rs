//! The transport of the real binary: TLS on the REST and gRPC listeners (certificates made at
//! test time), `https` upstreams over both transports with `province.ca_file`, slow clients
//! cut off by the header and body timeouts, the connection cap, and the operations listener
//! (`admin_addr`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::tls::{TestPki, path};
use common::{Node, PASSWORD, SECRET, get, holder_call, send, token, upstream_env};
use license_core::LicenseService;
use license_core::service::{Caller, PasswordGrant};
use license_core::upstream::Credentials;
use license_grpc::{GrpcClient, GrpcClientConfig};
use license_platform::sample::{SAMPLE_TYPES, citizen_id, import_line};

/// A gRPC client of the province with the city's account.
fn grpc_client(url: &str, ca_pem: Option<Vec<u8>>) -> GrpcClient {
    GrpcClient::new(GrpcClientConfig {
        url: url.to_owned(),
        credentials: Credentials {
            client_id: "zaozhuang-client".into(),
            client_secret: SECRET.into(),
            username: "zaozhuang".into(),
            password: PASSWORD.into(),
        },
        timeout: Duration::from_secs(10),
        ca_pem,
    })
    .unwrap()
}

fn grant() -> PasswordGrant {
    PasswordGrant {
        client_id: Some("zaozhuang-client".into()),
        client_secret: Some(SECRET.into()),
        username: Some("zaozhuang".into()),
        password: Some(PASSWORD.into()),
        scope: None,
    }
}

fn caller() -> Caller {
    Caller {
        token: None,
        client_addr: None,
        request_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_both_listeners_and_https_upstreams_over_both_transports() {
    let pnode = Node::fresh("tls-province", "province", None).await;
    let pki = TestPki::new(&pnode.dir.join("pki"));
    pnode.provision(
        "zaozhuang",
        "zaozhuang-client",
        "search,info,view,download,verify,sync",
    );
    pnode.import(&(import_line(0) + "\n"));
    let (_province, lines) = pnode.spawn("127.0.0.1:0", &pki.env(), 2);
    let https = lines[0]
        .strip_prefix("licensed listening on https://")
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_owned();
    let grpc = lines[1]
        .strip_prefix("licensed gRPC on ")
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_owned();
    assert!(grpc.starts_with("https://"), "{grpc}");

    // HTTPS with the test CA trusted; the security headers as on plain HTTP.
    let client = pki.client();
    let health = client
        .get(format!("https://{https}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
    let granted = client
        .post(format!("https://{https}/license-api-release/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "zaozhuang-client"),
            ("client_secret", SECRET),
            ("username", "zaozhuang"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 200);
    assert!(granted.text().await.unwrap().contains("access_token"));
    // `licensed healthcheck` asks the TLS listener it is configured with; a closed port is a
    // failure.
    let check = |addr: &str| {
        let mut c = pnode.command();
        for (k, v) in pki.env() {
            c.env(k, v);
        }
        c.env("LICENSED_HTTP_ADDR", addr)
            .arg("healthcheck")
            .output()
            .unwrap()
    };
    let ok = check(&https);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "ready");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    assert!(!check(&closed).status.success());
    // Without the CA the certificate is not trusted; plain HTTP on the TLS port gets no answer.
    let untrusted = reqwest::Client::new()
        .get(format!("https://{https}/healthz"))
        .send()
        .await;
    assert!(untrusted.is_err(), "{untrusted:?}");
    let plain = send("GET", &https, "/healthz", &[], None);
    assert!(plain.is_err(), "{plain:?}");

    // gRPC over TLS, with the CA; without it the call fails.
    let ca = std::fs::read(&pki.ca).unwrap();
    let tokens = grpc_client(&grpc, Some(ca.clone()))
        .issue_token(&caller(), grant())
        .await
        .unwrap();
    assert!(!tokens.access_token.is_empty());
    assert!(
        grpc_client(&grpc, None)
            .issue_token(&caller(), grant())
            .await
            .is_err()
    );

    // City nodes whose province is reached over https, REST and gRPC, trusting the test CA
    // through province.ca_file: a province query forwarded answers from the province.
    let holder = citizen_id(0);
    for (transport, url) in [("rest", format!("https://{https}")), ("grpc", grpc.clone())] {
        let cnode = Node::fresh(&format!("tls-city-{transport}"), "city", None).await;
        cnode.provision("hall", "hall-client", "search,info,view,download,verify");
        let mut env = upstream_env(&url, transport, 5_000);
        env.push(("LICENSED_PROVINCE_CA_FILE", path(&pki.ca)));
        let c = cnode.serve("127.0.0.1:0", &env);
        let t = token(&c.http, "hall", "hall-client");
        let forwarded = holder_call(
            &c.http,
            "ShareQueryCertInfoByHo",
            &t,
            &holder,
            SAMPLE_TYPES[0],
            "0",
        )
        .text();
        assert!(
            forwarded.contains("\"status\":\"0\"")
                && forwarded.contains("\"type\":\"1\"")
                && forwarded.contains(&holder),
            "{transport}: {forwarded}"
        );
    }
    // Without the CA the province is not trusted: the forwarded call answers 1.
    let cnode = Node::fresh("tls-city-untrusting", "city", None).await;
    cnode.provision("hall", "hall-client", "search,info,view,download,verify");
    let c = cnode.serve(
        "127.0.0.1:0",
        &upstream_env(&format!("https://{https}"), "rest", 5_000),
    );
    let t = token(&c.http, "hall", "hall-client");
    let refused = holder_call(
        &c.http,
        "ShareQueryCertInfoByHo",
        &t,
        &holder,
        SAMPLE_TYPES[0],
        "0",
    );
    assert_eq!(refused.status_code(), "1", "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_tls_and_ca_files_stop_the_start_naming_the_file() {
    let node = Node::fresh("tls-missing", "city", None).await;
    let out = node
        .command()
        .arg("serve")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "")
        .env("LICENSED_TLS_CERT_FILE", "/nonexistent/cert.pem")
        .env("LICENSED_TLS_KEY_FILE", "/nonexistent/key.pem")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    let out = node
        .command()
        .arg("serve")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "")
        .env("LICENSED_TLS_CERT_FILE", "/nonexistent/cert.pem")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tls_key_file"), "{err}");
    let garbage = node.dir.join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let out = node
        .command()
        .arg("serve")
        .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
        .env("LICENSED_GRPC_ADDR", "")
        .envs(upstream_env("https://127.0.0.1:1", "rest", 1_000))
        .env("LICENSED_PROVINCE_CA_FILE", &garbage)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("garbage.pem"), "{err}");
}

/// Reads until the server closes the connection; what it sent, and when it closed.
fn until_closed(s: &mut TcpStream, started: Instant) -> (String, Duration) {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_by_the_header_and_body_timeouts() {
    let node = Node::fresh("slow-clients", "city", None).await;
    let served = node.serve(
        "127.0.0.1:0",
        &[
            ("LICENSED_HTTP_HEADER_TIMEOUT_SECS", "1".to_owned()),
            ("LICENSED_HTTP_BODY_TIMEOUT_SECS", "1".to_owned()),
        ],
    );
    // Half the headers, then nothing: disconnected after the header timeout.
    let mut s = TcpStream::connect(&served.http).unwrap();
    let started = Instant::now();
    s.write_all(b"POST /license-api-release/oauth/token HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, after) = until_closed(&mut s, started);
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
    // Half a body, then nothing: 408 and the connection closed after the body timeout.
    let mut s = TcpStream::connect(&served.http).unwrap();
    let started = Instant::now();
    s.write_all(
        b"POST /license-api-release/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type",
    )
    .unwrap();
    let (answer, after) = until_closed(&mut s, started);
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A connection to the gRPC port that says nothing is closed after the header timeout.
    let grpc = served.grpc.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(grpc).unwrap();
    let (_, after) = until_closed(&mut s, Instant::now());
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(5),
        "closed after {after:?}"
    );
    // A prompt client is served as before.
    assert_eq!(get(&served.http, "/healthz").status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_wait_until_one_closes() {
    let node = Node::fresh("capped", "city", None).await;
    let served = node.serve(
        "127.0.0.1:0",
        &[("LICENSED_MAX_CONNECTIONS", "2".to_owned())],
    );
    let first = TcpStream::connect(&served.http).unwrap();
    let second = TcpStream::connect(&served.http).unwrap();
    // Let the node take both.
    std::thread::sleep(Duration::from_millis(300));
    let mut third = TcpStream::connect(&served.http).unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(1_500)))
        .unwrap();
    let mut buf = [0u8; 64];
    let waited = third.read(&mut buf);
    assert!(
        waited.is_err(),
        "the third connection was answered: {waited:?}"
    );
    // One closes: the third is taken and answered.
    drop(first);
    let (answer, _) = until_closed(&mut third, Instant::now());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_addr_takes_metrics_and_the_api_documents_off_the_main_listener() {
    let node = Node::fresh("ops-listener", "city", None).await;
    let (_child, lines) = node.spawn(
        "127.0.0.1:0",
        &[("LICENSED_ADMIN_ADDR", "127.0.0.1:0".to_owned())],
        3,
    );
    let main = lines[0]
        .strip_prefix("licensed listening on http://")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let admin = lines[2]
        .strip_prefix("licensed admin on http://")
        .unwrap_or_else(|| panic!("{lines:?}"));
    for path in ["/metrics", "/license-api-release/openapi.json"] {
        assert_eq!(get(admin, path).status, 200, "{path} on the admin listener");
        assert_eq!(get(main, path).status, 404, "{path} on the main listener");
    }
    let docs = get(admin, "/license-api-release/docs/");
    assert_eq!(docs.status, 200, "{docs}");
    assert_eq!(get(main, "/healthz").status, 200);
    assert_eq!(get(main, "/readyz").status, 200);
    assert_eq!(get(admin, "/healthz").status, 404);
    // The public gRPC listener serves no reflection then.
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest,
    };
    let grpc = lines[1]
        .strip_prefix("licensed gRPC on ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let channel = tonic::transport::Endpoint::from_shared(grpc.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let refused = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([ask]))
        .await
        .expect_err("no reflection");
    assert_eq!(refused.code(), tonic::Code::Unimplemented, "{refused:?}");
}
