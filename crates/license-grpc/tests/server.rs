//! The gRPC front of a real platform (SQLite, real document engine) on a free local port:
//! health and reflection v1 answer; the client rebuilds failures exactly, uses its own account
//! when a call carries no token, and answers `1` promptly when the node is silent or gone; the
//! server stops on its shutdown signal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use license_core::Role;
use license_core::context::RawCallContext;
use license_core::ports::SystemClock;
use license_core::service::*;
use license_core::upstream::Credentials;
use license_core::{LicenseService, ReturnCode};
use license_file::{NodeKey, OfdEngine, TrustStore};
use license_grpc::{GrpcClient, GrpcClientConfig, SERVICE_NAME};
use license_platform::{Platform, PlatformConfig, Ports};
use license_store::{ObjectFileStore, SeaStore};
use tokio_stream::StreamExt;

struct Node {
    platform: Arc<Platform>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<Result<(), String>>,
}

async fn node() -> Node {
    node_with(license_grpc::Timeouts::default()).await
}

async fn node_with(timeouts: license_grpc::Timeouts) -> Node {
    let dir = std::env::temp_dir().join(format!(
        "grpc-server-{}-{}",
        std::process::id(),
        new_request_id()
    ));
    let store = SeaStore::sqlite_in(&dir).await.unwrap();
    let engine = OfdEngine::new(
        NodeKey::generate("测试平台", "枣庄市").unwrap(),
        "测试签章",
        TrustStore::default(),
        "http://127.0.0.1:9/license-api-release/verify/".to_owned(),
    )
    .unwrap();
    let ports = Ports::from_store(
        Arc::new(store),
        Arc::new(ObjectFileStore::local(dir.join("files")).unwrap()),
        Arc::new(engine),
        Arc::new(SystemClock),
    );
    let (platform, _audit) = Platform::new(ports, PlatformConfig::default());
    let platform = Arc::new(platform);
    platform
        .create_account("hall", "hall-password", Role::ALL.to_vec(), vec![], None)
        .await
        .unwrap();
    platform
        .add_client("hall-client", "hall-secret")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let routes = license_grpc::routes(platform.clone(), 1 << 20, Default::default())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let served = tokio::spawn(license_grpc::serve_incoming(
        incoming,
        routes,
        timeouts,
        async {
            let _ = stopped.await;
        },
    ));
    Node {
        platform,
        url,
        stop: Some(stop),
        served,
    }
}

fn client(url: &str, username: &str, timeout: Duration) -> GrpcClient {
    GrpcClient::new(GrpcClientConfig {
        url: url.to_owned(),
        credentials: Credentials {
            client_id: "hall-client".into(),
            client_secret: "hall-secret".into(),
            username: username.into(),
            password: "hall-password".into(),
        },
        timeout,
        ca_pem: None,
    })
    .unwrap()
}

fn anonymous() -> Caller {
    Caller {
        request_id: new_request_id(),
        ..Caller::default()
    }
}

fn query() -> QueryCertInfoRequest {
    QueryCertInfoRequest {
        certificate_id: Some(
            "1.2.156.3005.2.11100000000013127D001.113704000042365553.X.001.1".into(),
        ),
        interface_type: Some("1".into()),
        context: RawCallContext {
            system_name: Some("测试".into()),
            call_category: Some("0".into()),
            matter_name: Some("测试事项".into()),
            event_code: Some("E1".into()),
            copy_cause: Some("测试调用".into()),
            ..RawCallContext::default()
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_v1_answer() {
    let mut n = node().await;
    let channel = tonic::transport::Endpoint::from_shared(n.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    for service in ["", SERVICE_NAME] {
        let s = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            s.status(),
            tonic_health::pb::health_check_response::ServingStatus::Serving,
            "{service:?}"
        );
    }
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(channel);
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::iter([ask]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(answer)) = answers.next().await else {
        panic!("a reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("a service list")
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&SERVICE_NAME), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
    // Graceful shutdown: the server returns once its signal fires.
    n.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), &mut n.served)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_the_own_account_come_through() {
    let n = node().await;
    // No token, no own account: the node's 11 comes back exactly.
    let e = client(&n.url, "", Duration::from_secs(30))
        .query_cert_info(&anonymous(), query())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "{e:?}");
    // The own account logs in; the unknown license is 10 with its detail.
    let c = client(&n.url, "hall", Duration::from_secs(30));
    let e = c.query_cert_info(&anonymous(), query()).await.unwrap_err();
    assert_eq!(e.code, ReturnCode::NotFound, "{e:?}");
    // The node forgets the account's tokens: the client logs in again by itself.
    n.platform.set_account_enabled("hall", false).await.unwrap();
    n.platform.set_account_enabled("hall", true).await.unwrap();
    let e = c.query_cert_info(&anonymous(), query()).await.unwrap_err();
    assert_eq!(e.code, ReturnCode::NotFound, "{e:?}");
    // Disabled for good: the refusal comes through as 11.
    n.platform.set_account_enabled("hall", false).await.unwrap();
    let e = c.query_cert_info(&anonymous(), query()).await.unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "{e:?}");
    // A token request refused by the node keeps its RFC 6749 code.
    let e = c
        .issue_token(
            &anonymous(),
            PasswordGrant {
                client_id: Some("hall-client".into()),
                client_secret: Some("wrong".into()),
                scope: None,
                username: Some("hall".into()),
                password: Some("hall-password".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidClient, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_answer_is_code_1_promptly() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let e = client(&url, "", Duration::from_millis(300))
        .query_cert_info(&anonymous(), query())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable, "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let e = client(&closed, "hall", Duration::from_millis(300))
        .query_cert_info(&anonymous(), query())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable, "{e:?}");
}

/// A caller that sends half a message and then nothing holds its call no longer than the call
/// deadline: the stream ends with `CANCELLED` or is reset, and the node serves others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_message_is_cut_off_at_the_call_deadline() {
    let n = node_with(license_grpc::Timeouts {
        call: Duration::from_secs(1),
        keepalive: Duration::from_secs(10),
    })
    .await;
    let addr = n.url.strip_prefix("http://").unwrap().to_owned();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut h2 = h2.ready().await.unwrap();
    let request = http::Request::post(format!("http://{addr}/{SERVICE_NAME}/QueryCertInfo"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let started = Instant::now();
    let (answer, mut body) = h2.send_request(request, false).unwrap();
    // A message announced as 100 bytes, of which 10 arrive.
    let mut half = vec![0u8, 0, 0, 0, 100];
    half.extend_from_slice(&[0x0a; 10]);
    body.send_data(bytes::Bytes::from(half), false).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        let answer = answer.await?;
        let status = answer
            .headers()
            .get("grpc-status")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let mut rest = answer.into_body();
        while rest.data().await.transpose()?.is_some() {}
        let trailers = rest.trailers().await?;
        Ok::<_, h2::Error>(status.or_else(|| {
            trailers.and_then(|t| {
                t.get("grpc-status")
                    .map(|v| v.to_str().unwrap_or("").to_owned())
            })
        }))
    })
    .await
    .expect("the call is still open 15 s later");
    let after = started.elapsed();
    match ended {
        // tonic ends a call past its server timeout as CANCELLED ("Timeout expired").
        Ok(status) => assert_eq!(status.as_deref(), Some("1"), "CANCELLED"),
        Err(e) => assert!(e.is_reset() || e.is_io(), "{e:?}"),
    }
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(10),
        "ended after {after:?}"
    );
    // The node still serves: the unknown license is 10.
    let e = client(&n.url, "hall", Duration::from_secs(10))
        .query_cert_info(&anonymous(), query())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::NotFound, "{e:?}");
}
