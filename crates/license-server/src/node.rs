//! Wiring a node from its settings, and serving it.

use std::net::SocketAddr;
use std::sync::Arc;

use license_core::Library;
use license_core::interface::{BASE_PATH, VERIFY_PAGE_PATH};
use license_core::ports::SystemClock;
use license_platform::{AuditTask, Lockout, Platform, PlatformConfig, Ports};
use license_store::{Durability, ObjectFileStore, Schema, SeaStore};

use crate::Settings;
use crate::settings::ProvinceSettings;
use crate::transport;
use license_core::LicenseService;
use license_core::upstream::Credentials;

/// A wired node.
pub struct Node {
    /// The platform.
    pub platform: Arc<Platform>,
    /// The audit committer (finish after the platform is dropped).
    pub audit: AuditTask,
    /// How the REST front reads requests (body limits, trusted proxies).
    pub http: license_http::HttpOptions,
    /// How the listeners take connections (TLS, timeouts, the connection cap).
    pub limits: crate::transport::Limits,
    /// The store under the platform, closed last.
    pub store: SeaStore,
    /// What the operator console shows of the node.
    pub console: license_http::console::ConsoleInfo,
}

impl Node {
    /// The end of a node's life, after its fronts stopped: the platform goes, the audit log's
    /// last events are committed, then the store closes (on SQLite with its log copied into
    /// the database file). A failure to close is logged; nothing is lost by it.
    pub async fn finish(self) {
        let Node {
            platform,
            audit,
            store,
            ..
        } = self;
        drop(platform);
        audit.finish().await;
        if let Err(e) = store.close().await {
            tracing::warn!(error = %e, "closing the database");
        }
    }
}

/// The CA certificates of `province.ca_file`, checked to hold at least one PEM certificate.
fn province_ca(p: &ProvinceSettings) -> Result<Option<Vec<u8>>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let Some(path) = &p.ca_file else {
        return Ok(None);
    };
    let named = |e: &dyn std::fmt::Display| format!("province.ca_file {}: {e}", path.display());
    let pem = std::fs::read(path).map_err(|e| named(&e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| named(&e))?;
    if certs.is_empty() {
        return Err(named(&"no PEM certificate in it"));
    }
    Ok(Some(pem))
}

/// The province upstream of a city node: a REST or gRPC client logged in with the city's own
/// account (API.md §5).
fn upstream(p: &ProvinceSettings) -> Result<Arc<dyn LicenseService>, String> {
    let ca_pem = province_ca(p)?;
    let credentials = Credentials {
        client_id: p.client_id.clone(),
        client_secret: p.client_secret.clone(),
        username: p.username.clone(),
        password: p.password.clone(),
    };
    let timeout = std::time::Duration::from_millis(p.timeout_ms);
    let refused = |e: license_core::ServiceError| format!("province upstream {}: {e}", p.url);
    Ok(match p.transport.as_str() {
        "rest" => Arc::new(
            license_http::RestClient::new(license_http::RestClientConfig {
                base_url: p.url.clone(),
                credentials,
                timeout,
                ca_pem,
            })
            .map_err(refused)?,
        ),
        "grpc" => Arc::new(
            license_grpc::GrpcClient::new(license_grpc::GrpcClientConfig {
                url: p.url.clone(),
                credentials,
                timeout,
                ca_pem,
            })
            .map_err(refused)?,
        ),
        other => {
            return Err(format!(
                "province.transport must be rest or grpc, not {other:?}"
            ));
        }
    })
}

/// The database URL of the settings: `database_url`, else SQLite in the data directory.
pub(crate) fn database_url(opts: &Settings) -> Result<String, String> {
    match &opts.database_url {
        Some(url) => Ok(url.clone()),
        None => SeaStore::sqlite_url(&opts.data_dir).map_err(|e| e.to_string()),
    }
}

/// Opens the store; migrates first when `migrate_on_start` (or `schema` says so).
async fn open_store(opts: &Settings, schema: Schema) -> Result<SeaStore, String> {
    let pool = if opts.database_url.is_some() {
        opts.database_max_connections
    } else {
        SeaStore::SQLITE_POOL
    };
    let durability = Durability::from_word(&opts.sqlite_synchronous)
        .ok_or_else(|| format!("sqlite_synchronous: {:?}", opts.sqlite_synchronous))?;
    SeaStore::open_with(&database_url(opts)?, pool, schema, durability)
        .await
        .map_err(|e| e.to_string())
}

/// Opens the store as `migrate_on_start` says.
pub(crate) async fn store(opts: &Settings) -> Result<SeaStore, String> {
    let schema = if opts.migrate_on_start {
        Schema::Migrate
    } else {
        Schema::Require
    };
    open_store(opts, schema).await
}

/// `https` when the listeners serve TLS, else `http`.
pub fn scheme(opts: &Settings) -> &'static str {
    if opts.tls_cert_file.is_some() {
        "https"
    } else {
        "http"
    }
}

/// The public URL: configured, or derived from the listen address (`https://` with TLS).
pub fn public_url(opts: &Settings, bound: Option<SocketAddr>) -> String {
    match &opts.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => format!(
            "{}://{}",
            scheme(opts),
            bound.map_or_else(|| opts.http_addr.clone(), |a| a.to_string())
        ),
    }
}

/// How the listeners take connections, from the settings; the TLS files are read here.
fn limits(opts: &Settings) -> Result<crate::transport::Limits, String> {
    let tls = match (&opts.tls_cert_file, &opts.tls_key_file) {
        (Some(cert), Some(key)) => Some(crate::transport::Tls::load(cert, key)?),
        (None, None) => None,
        _ => return Err("tls_cert_file and tls_key_file go together: set both or neither".into()),
    };
    Ok(crate::transport::Limits {
        tls,
        header_timeout: std::time::Duration::from_secs(opts.http_header_timeout_secs),
        body_timeout: std::time::Duration::from_secs(opts.http_body_timeout_secs),
        max_connections: opts.max_connections,
    })
}

/// Where the node keeps license files and copies: `object_store_url`, else the data
/// directory's `files` folder.
pub(crate) fn file_store(opts: &Settings) -> Result<ObjectFileStore, String> {
    let files = match &opts.object_store_url {
        Some(url) => ObjectFileStore::open(url).map_err(|e| e.to_string())?,
        None => ObjectFileStore::local(opts.default_files_dir())
            .map_err(|e| format!("file store: {e}"))?,
    };
    if files.is_local() && opts.database_url.is_some() {
        tracing::info!(
            files = files.location(),
            "license files are kept in a local directory: every node sharing this database must \
             see the same directory, or set object_store_url to a shared bucket"
        );
    }
    Ok(files)
}

/// Builds the node: store, files, keys, document engine, platform.
pub async fn build(opts: &Settings, public: &str) -> Result<Node, String> {
    let role = match opts.role.as_str() {
        "city" => Library::City,
        "province" => Library::Province,
        other => {
            return Err(format!(
                "LICENSED_ROLE must be city or province, not {other:?}"
            ));
        }
    };
    let limits = limits(opts)?;
    let store = store(opts).await?;
    let kept = store.clone();
    let files = file_store(opts)?;
    let (engine, keys) = crate::keys::engine(
        opts,
        &store,
        format!("{public}{BASE_PATH}{VERIFY_PAGE_PATH}"),
    )
    .await?;
    let ports = Ports::from_store(
        Arc::new(store),
        Arc::new(files),
        Arc::new(engine),
        Arc::new(SystemClock),
    );
    let config = PlatformConfig {
        role,
        public_url: public.to_owned(),
        token_ttl: chrono::Duration::seconds(opts.token_ttl_secs),
        refresh_ttl: chrono::Duration::seconds(opts.refresh_token_ttl_secs),
        token_requests_per_address_per_minute: opts.token_requests_per_address_per_minute,
        rate_limit_per_minute: opts.rate_limit_per_minute,
        download_ttl: chrono::Duration::seconds(opts.download_url_ttl_secs),
        single_use_links: opts.single_use_links,
        token_cache_ttl: std::time::Duration::from_millis(opts.token_cache_ttl_ms),
        license_cache_ttl: std::time::Duration::from_millis(opts.license_cache_ttl_ms),
        holder_search_per_minute: opts.holder_search_per_minute,
        lockout: Lockout {
            max_failures: opts.lockout_max_failures,
            window: chrono::Duration::seconds(opts.lockout_window_secs),
            lock_for: chrono::Duration::seconds(opts.lockout_secs),
        },
        time_zone: opts
            .time_zone
            .parse()
            .map_err(|_| format!("unknown time zone {}", opts.time_zone))?,
        upstream_timeout: std::time::Duration::from_millis(
            opts.province.as_ref().map_or(5_000, |p| p.timeout_ms),
        ),
        auto_sync: opts.province.as_ref().is_some_and(|p| p.auto_sync),
        outbox_retry_base: std::time::Duration::from_millis(
            opts.province.as_ref().map_or(500, |p| p.retry_base_ms),
        ),
        purge_interval: std::time::Duration::from_secs(opts.purge_interval_secs),
        audit_retention_days: u32::try_from(opts.audit_retention_days).unwrap_or(u32::MAX),
        console_idle: chrono::Duration::seconds(
            i64::try_from(opts.console_idle_secs).unwrap_or(i64::MAX),
        ),
        outbox_retry_max: std::time::Duration::from_millis(
            opts.province.as_ref().map_or(60_000, |p| p.retry_max_ms),
        ),
        ..PlatformConfig::default()
    };
    let trusted_proxies = opts.trusted_proxies.parse()?;
    let (mut platform, audit) = Platform::new(ports, config);
    if let Some(province) = &opts.province {
        platform = platform.with_upstream(upstream(province)?);
    }
    Ok(Node {
        platform: Arc::new(platform),
        audit,
        http: license_http::HttpOptions {
            body_limit: opts.body_limit_bytes,
            file_body_limit: opts.file_body_limit_bytes,
            trusted_proxies,
            separate_ops: !opts.admin_addr.trim().is_empty(),
        },
        console: license_http::console::ConsoleInfo {
            version: env!("CARGO_PKG_VERSION").into(),
            role: opts.role.clone(),
            secure_cookies: opts.tls_cert_file.is_some() || public.starts_with("https://"),
            idle_secs: opts.console_idle_secs,
            keys,
        },
        limits,
        store: kept,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Where a node listens: HTTP always, gRPC and the operations listener when configured.
pub struct Listeners {
    /// The REST front.
    pub http: tokio::net::TcpListener,
    /// The gRPC mirror.
    pub grpc: Option<tokio::net::TcpListener>,
    /// Metrics, Swagger UI and the OpenAPI document (`admin_addr`).
    pub admin: Option<tokio::net::TcpListener>,
}

impl Listeners {
    /// Binds the configured addresses (`grpc_addr` empty = no gRPC, `admin_addr` empty = no
    /// operations listener); `fallback` binds a free local port instead of failing when an
    /// address is taken (the demo).
    pub async fn bind(opts: &Settings, fallback: bool) -> Result<Self, String> {
        async fn one(addr: &str, fallback: bool) -> Result<tokio::net::TcpListener, String> {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => Ok(l),
                Err(_) if fallback => tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| format!("cannot listen: {e}")),
                Err(e) => Err(format!("cannot listen on {addr}: {e}")),
            }
        }
        let http = one(&opts.http_addr, fallback).await?;
        let grpc = if opts.grpc_addr.trim().is_empty() {
            None
        } else {
            Some(one(&opts.grpc_addr, fallback).await?)
        };
        let admin = if opts.admin_addr.trim().is_empty() {
            None
        } else {
            Some(one(&opts.admin_addr, fallback).await?)
        };
        Ok(Listeners { http, grpc, admin })
    }

    /// The HTTP address actually bound.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.local_addr().ok()
    }

    /// The gRPC address actually bound.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The operations listener's address actually bound.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// The values `/metrics` reads from the database when scraped.
struct StoreSampler(SeaStore);

#[async_trait::async_trait]
impl license_http::Sampler for StoreSampler {
    async fn sample(&self) -> Option<license_http::Sampled> {
        let (pending, oldest) = match self.0.outbox_backlog().await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(error = %e, "the outbox's backlog was not read for /metrics");
                return None;
            }
        };
        let pool = self.0.pool_status();
        let age = oldest.map_or(0.0, |t| {
            (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1_000.0
        });
        Some(license_http::Sampled {
            outbox_pending: i64::try_from(pending).unwrap_or(i64::MAX),
            outbox_oldest_pending_age_seconds: age,
            pool_in_use: i64::from(pool.open.saturating_sub(pool.idle)),
            pool_idle: i64::from(pool.idle),
            pool_max: i64::from(pool.max),
            pool_saturated: pool.open >= pool.max && pool.idle == 0,
        })
    }
}

/// Serves a node on bound listeners until SIGINT/SIGTERM — both fronts stop taking calls and
/// finish those in flight — then flushes the audit log.
pub async fn serve_on(listeners: Listeners, node: Node) -> Result<(), String> {
    let metrics = Arc::new(
        license_http::Metrics::default()
            .with_build(env!("CARGO_PKG_VERSION"), env!("LICENSE_SERVER_GIT_HASH"))
            .register_with(|r| node.platform.telemetry().register(r))
            .with_sampler(Arc::new(StoreSampler(node.store.clone()))),
    );
    let state = license_http::AppState {
        service: node.platform.clone(),
        node: node.platform.clone(),
        admin: node.platform.clone(),
        metrics: metrics.clone(),
        console: Arc::new(node.console.clone()),
    };
    let separate_ops = node.http.separate_ops;
    // The routers hold the platform; they are gone when the fronts stop, before `finish`.
    let ops = listeners
        .admin
        .is_some()
        .then(|| license_http::ops_router(state.clone()));
    let app = license_http::router(state, node.http.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let limits = &node.limits;
    let http_tls = limits.tls.as_ref().map(|t| t.http.clone());
    let http = async {
        let conns = transport::accept(
            listeners.http,
            http_tls.clone(),
            limits,
            until_stopped(stopped.clone()),
        );
        transport::serve_http(conns, app, limits, until_stopped(stopped.clone())).await
    };
    let admin = async {
        match (listeners.admin, ops) {
            (Some(l), Some(ops)) => {
                let conns =
                    transport::accept(l, http_tls.clone(), limits, until_stopped(stopped.clone()));
                transport::serve_http(conns, ops, limits, until_stopped(stopped.clone())).await
            }
            _ => Ok(()),
        }
    };
    let grpc = async {
        match listeners.grpc {
            Some(l) => {
                let routes = license_grpc::routes_with(
                    node.platform.clone(),
                    node.http.file_body_limit,
                    node.http.trusted_proxies.clone(),
                    !separate_ops,
                    Some(metrics.clone() as Arc<dyn license_core::service::CallObserver>),
                )
                .await?;
                let timeouts = license_grpc::Timeouts {
                    call: limits.body_timeout,
                    keepalive: limits.header_timeout,
                };
                let conns = transport::accept(
                    l,
                    limits.tls.as_ref().map(|t| t.grpc.clone()),
                    limits,
                    until_stopped(stopped.clone()),
                );
                license_grpc::serve_incoming(
                    transport::incoming(conns),
                    routes,
                    timeouts,
                    until_stopped(stopped.clone()),
                )
                .await
            }
            None => Ok(()),
        }
    };
    // The outbox's deliverer stops with the fronts; what it has not delivered stays recorded.
    let outbox = node
        .platform
        .clone()
        .run_outbox(until_stopped(stopped.clone()));
    // So does the purge; a purge cut off is taken up by the next (its lease lapses).
    let upkeep = node
        .platform
        .clone()
        .run_upkeep(until_stopped(stopped.clone()));
    let (served, (), ()) = tokio::join!(
        async { tokio::try_join!(http, admin, grpc) },
        outbox,
        upkeep
    );
    node.finish().await;
    tracing::info!("stopped");
    served.map(|_| ())
}

/// `licensed serve`.
pub async fn serve(opts: Settings) -> Result<(), String> {
    let listeners = Listeners::bind(&opts, false).await?;
    let public = public_url(&opts, listeners.http_addr());
    let node = build(&opts, &public).await?;
    tracing::info!(
        addr = %opts.http_addr,
        grpc = %opts.grpc_addr,
        admin = %opts.admin_addr,
        tls = opts.tls_cert_file.is_some(),
        public = %public,
        "serving"
    );
    // Where it listens, for operators and scripts; a closed stdout must not stop the node.
    let scheme = scheme(&opts);
    let mut banner = format!(
        "licensed listening on {scheme}://{}\n",
        listeners
            .http_addr()
            .map_or_else(|| opts.http_addr.clone(), |a| a.to_string())
    );
    if let Some(a) = listeners.grpc_addr() {
        banner.push_str(&format!("licensed gRPC on {scheme}://{a}\n"));
    }
    if let Some(a) = listeners.admin_addr() {
        banner.push_str(&format!("licensed admin on {scheme}://{a}\n"));
    }
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    }
    serve_on(listeners, node).await
}

/// The database URL for commands that only read: asking creates nothing, not the data
/// directory, not the SQLite file.
pub(crate) fn reading_url(opts: &Settings) -> String {
    match &opts.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            SeaStore::sqlite_path(&opts.data_dir).display()
        ),
    }
}

/// `licensed migrate`: brings the schema up to date (under the database lock), whatever
/// `migrate_on_start` says; with `status`, lists every migration and whether it is applied.
pub async fn migrate(opts: &Settings, status: bool) -> Result<(), String> {
    if status {
        let s = SeaStore::migration_status(&reading_url(opts))
            .await
            .map_err(|e| e.to_string())?;
        let pending = s.known.iter().filter(|(_, applied)| !applied).count();
        for (name, applied) in &s.known {
            println!("{} {name}", if *applied { "applied" } else { "pending" });
        }
        for name in &s.unknown {
            println!("applied {name} (not in this build: a newer one's)");
        }
        println!(
            "{} of {} applied; {}",
            s.known.len() - pending,
            s.known.len(),
            if pending == 0 {
                "the schema is up to date".to_owned()
            } else {
                format!("{pending} pending: run `licensed migrate`")
            }
        );
        return Ok(());
    }
    open_store(opts, Schema::Migrate)
        .await?
        .close()
        .await
        .map_err(|e| e.to_string())?;
    println!("database schema is up to date");
    Ok(())
}
