//! The conformance suite three ways on one node: the in-process `Platform`, the REST client
//! against the real `licensed` binary, and the gRPC client against the same binary — on
//! SQLite always, and on PostgreSQL and MariaDB when `LICENSE_TEST_POSTGRES_URL` /
//! `LICENSE_TEST_MYSQL_URL` are set (`.ci/run` sets both). The in-process platform and the
//! binary share the database, the file directory and the node key, so all three ways see the
//! same licenses; each way logs in with accounts of its own.

mod common;

use std::time::Duration;

use common::Node;
use license_core::LicenseService;
use license_core::upstream::Credentials;
use license_grpc::{GrpcClient, GrpcClientConfig};
use license_http::{RestClient, RestClientConfig};

/// The same node in process, built by the binary's own constructor from the same settings:
/// the binary's database, files and key (it made them at start).
async fn in_process(node: &Node, base: &str) -> license_server::node::Node {
    let settings = license_server::settings::Settings {
        data_dir: node.dir.clone(),
        database_url: node.database_url.clone(),
        ..Default::default()
    };
    license_server::node::build(&settings, base).await.unwrap()
}

fn no_account() -> Credentials {
    Credentials {
        client_id: license_conformance::CLIENT_ID.into(),
        client_secret: license_conformance::CLIENT_SECRET.into(),
        ..Credentials::default()
    }
}

async fn three_ways(label: &str, database_url: Option<String>) {
    let database_url = database_url.as_deref();
    let run_id = format!(
        "{label}{}x{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis() % 1_000_000
    );
    // The node as configured by default: the suite tests the budgets too.
    let node = Node {
        database_url: database_url.map(str::to_owned),
        budgets_off: false,
        ..Node::sqlite(&format!("conformance-{run_id}"), "city")
    };
    let served = node.start();
    let base = format!("http://{}", served.http);
    let wired = in_process(&node, &base).await;
    let platform = wired.platform.clone();
    let seed = u64::from(std::process::id()) * 1_000
        + (chrono::Utc::now().timestamp_millis() as u64 % 1_000);
    let world = license_conformance::seed(&platform, &base, seed).await;

    let rest = RestClient::new(RestClientConfig {
        base_url: base.clone(),
        credentials: no_account(),
        timeout: Duration::from_secs(60),
        ca_pem: None,
    })
    .unwrap();
    let grpc = GrpcClient::new(GrpcClientConfig {
        url: served.grpc.clone(),
        credentials: no_account(),
        timeout: Duration::from_secs(60),
        ca_pem: None,
    })
    .unwrap();
    let ways: [(&str, &dyn LicenseService); 3] = [
        ("in-process", platform.as_ref()),
        ("REST", &rest),
        ("gRPC", &grpc),
    ];
    let mut transcripts = Vec::new();
    for (way, svc) in ways {
        let who = license_conformance::principals(&platform, &format!("{run_id}-{way}")).await;
        transcripts.push((way, license_conformance::run(svc, &world, &who, way).await));
    }
    // `CONFORMANCE_TRANSCRIPTS=DIR` keeps each way's transcript, to compare two builds.
    if let Ok(dir) = std::env::var("CONFORMANCE_TRANSCRIPTS") {
        for (way, t) in &transcripts {
            let file = format!("{dir}/{label}-{way}.txt");
            std::fs::write(file, t.lines.join("\n") + "\n").unwrap();
        }
    }
    let (first_way, first) = &transcripts[0];
    for (way, t) in &transcripts[1..] {
        for (i, (a, b)) in first.lines.iter().zip(&t.lines).enumerate() {
            assert_eq!(a, b, "step {i}: {first_way} and {way} differ");
        }
        assert_eq!(
            first.lines.len(),
            t.lines.len(),
            "{first_way} and {way}: steps"
        );
    }
    assert!(
        first.lines.len() >= 90,
        "the suite ran: {} steps",
        first.lines.len()
    );
    // The node counts its gRPC calls like its REST ones, beside the build and the platform's
    // own metrics.
    let metrics = common::get(&served.http, "/metrics").text();
    for needle in [
        r#"licensed_grpc_requests_total{interface="ShareDownloadUrl",code="0"}"#,
        r#"licensed_grpc_request_duration_seconds_count{interface="ShareDownloadUrl"}"#,
        r#"licensed_requests_total{interface="ShareDownloadUrl",code="0"}"#,
        r#"licensed_build_info{version=""#,
        "licensed_audit_commit_duration_seconds_count ",
        "licensed_outbox_pending 0",
        r#"licensed_db_pool_connections{state="in_use"}"#,
        "licensed_db_pool_max_connections ",
        "licensed_purge_running 0",
    ] {
        assert!(
            metrics.contains(needle),
            "{label}: {needle} missing in\n{metrics}"
        );
    }
    drop(platform);
    wired.finish().await;
    let _ = std::fs::remove_dir_all(&node.dir);
}

on_every_database!(three_ways, "sq", "pg", "my");
