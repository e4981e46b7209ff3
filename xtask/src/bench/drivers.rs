//! The Rust load drivers: many concurrent callers over reqwest (REST) or tonic (gRPC, plain or
//! with batched writes), each result with its calls, latencies and the driver's own CPU.

use std::time::Instant;

/// What a load run by a Rust driver measured.
pub(super) struct DriverResult {
    pub(super) rps: f64,
    pub(super) p99_ms: f64,
    pub(super) failures: u64,
}

/// Runs `clients` concurrent callers for `seconds` on a two-thread runtime (as wrk's two
/// threads); `call(client, i)` makes one call and says whether it succeeded.
pub(super) fn drive<C, F, Fut>(
    clients: u32,
    seconds: u32,
    connect: impl Fn() -> Result<C, String>,
    call: F,
) -> Result<DriverResult, String>
where
    C: Send + 'static,
    F: Fn(C, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = (C, bool)> + Send,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds.into());
        let mut tasks = Vec::new();
        for c in 0..clients {
            let mut client = connect()?;
            let call = call.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                let mut i = c as usize;
                while tokio::time::Instant::now() < deadline {
                    i = i.wrapping_mul(7).wrapping_add(13);
                    let started = Instant::now();
                    let (back, ok) = call(client, i).await;
                    client = back;
                    if ok {
                        latencies.push(started.elapsed().as_micros() as u64);
                    } else {
                        failures += 1;
                    }
                }
                (latencies, failures)
            }));
        }
        let mut all = Vec::new();
        let mut failures = 0;
        for t in tasks {
            let (l, f) = t.await.map_err(|e| e.to_string())?;
            all.extend(l);
            failures += f;
        }
        all.sort_unstable();
        let p99 = all.get(all.len() * 99 / 100).copied().unwrap_or(0);
        Ok(DriverResult {
            rps: all.len() as f64 / f64::from(seconds),
            p99_ms: p99 as f64 / 1000.0,
            failures,
        })
    })
}

/// How the tonic clients of a gRPC load run reach the server.
#[derive(Clone, Copy)]
pub(super) enum GrpcTransport {
    /// Each client on a tonic `Channel` of its own (its own HTTP/2 connection).
    OwnChannel,
    /// The clients share this many tonic `Channel`s (HTTP/2 carries many calls on one
    /// connection); `batched`: connected by `license_grpc::BatchedConnector`, as
    /// `GrpcClient`'s are, so the calls made in one scheduler turn leave in one write.
    SharedChannels { channels: u32, batched: bool },
}

/// `clients` concurrent tonic clients calling `QueryCertInfo` for `seconds` over `transport`.
pub(super) fn grpc_load(
    url: &str,
    token: &str,
    ids: &[String],
    clients: u32,
    transport: GrpcTransport,
    seconds: u32,
) -> Result<DriverResult, String> {
    use license_grpc::pb;
    let auth: tonic::metadata::MetadataValue<_> = format!("Bearer {token}")
        .parse()
        .map_err(|_| "token not usable as metadata")?;
    let context = pb::CallContext {
        system_name: Some("bench".into()),
        call_category: Some("0".into()),
        matter_name: Some("bench".into()),
        event_code: Some("B1".into()),
        copy_cause: Some("load test".into()),
        ..pb::CallContext::default()
    };
    let ids = std::sync::Arc::new(ids.to_vec());
    let endpoint =
        tonic::transport::Endpoint::from_shared(url.to_owned()).map_err(|e| e.to_string())?;
    // Made on first use: a channel needs the driver's runtime.
    let shared = std::sync::OnceLock::<Vec<tonic::transport::Channel>>::new();
    let next = std::sync::atomic::AtomicUsize::new(0);
    drive(
        clients,
        seconds,
        // Connected lazily, on the client's task.
        || {
            let channel = match transport {
                GrpcTransport::OwnChannel => endpoint.connect_lazy(),
                GrpcTransport::SharedChannels { channels, batched } => {
                    let shared = shared.get_or_init(|| {
                        (0..channels.max(1))
                            .map(|_| {
                                if batched {
                                    endpoint.connect_with_connector_lazy(
                                        license_grpc::BatchedConnector::default(),
                                    )
                                } else {
                                    endpoint.connect_lazy()
                                }
                            })
                            .collect()
                    });
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    shared[i % shared.len()].clone()
                }
            };
            Ok(pb::license_service_client::LicenseServiceClient::new(
                channel,
            ))
        },
        move |mut client, i| {
            let (ids, auth, context) = (ids.clone(), auth.clone(), context.clone());
            async move {
                let mut req = tonic::Request::new(pb::QueryCertInfoRequest {
                    certificate_id: Some(ids[i % ids.len()].clone()),
                    interface_type: Some("1".into()),
                    context: Some(context),
                });
                req.metadata_mut().insert("authorization", auth);
                let ok = client.query_cert_info(req).await.is_ok();
                (client, ok)
            }
        },
    )
}

/// `clients` concurrent HTTP/1.1 keep-alive clients (reqwest, one connection per node each)
/// posting `ShareQueryCertInfo` forms for `seconds`, the calls spread over `urls` (the same
/// interface on several nodes) in turn; a call counts when it answers status 0.
pub(super) fn rest_load(
    urls: &[String],
    token: &str,
    ids: &[String],
    form_tail: &str,
    clients: u32,
    seconds: u32,
) -> Result<DriverResult, String> {
    let ids = std::sync::Arc::new(ids.to_vec());
    let (urls, auth, tail) = (
        std::sync::Arc::new(urls.to_vec()),
        std::sync::Arc::new(format!("Bearer {token}")),
        std::sync::Arc::new(form_tail.to_owned()),
    );
    drive(
        clients,
        seconds,
        || {
            reqwest::Client::builder()
                .http1_only()
                .pool_max_idle_per_host(1)
                .build()
                .map_err(|e| e.to_string())
        },
        move |client: reqwest::Client, i| {
            let (ids, urls, auth, tail) = (ids.clone(), urls.clone(), auth.clone(), tail.clone());
            async move {
                let body = format!("certificateID={}{tail}", ids[i % ids.len()]);
                let ok = match client
                    .post(urls[i % urls.len()].as_str())
                    .header("Authorization", auth.as_str())
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) => r.bytes().await.is_ok_and(|b| {
                        let ok = br#""status":"0""#;
                        b.windows(ok.len()).any(|w| w == ok)
                    }),
                    Err(_) => false,
                };
                (client, ok)
            }
        },
    )
}
