//! The tonic server: every RPC decodes its request, asks the service, and encodes the answer
//! or the failure (see [`crate::status`]). Health (`grpc.health.v1`) and reflection (v1 and
//! v1alpha) are served beside it.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use license_core::peer::TrustedProxies;
use license_core::service::{
    CallObserver, Caller, REQUEST_ID, ServiceResult, TokenError, TokenGrant, acceptable_request_id,
    bearer_token, new_request_id,
};
use license_core::{LicenseService, ReturnCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_stream::StreamExt;
use tonic::metadata::MetadataValue;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::batched::BatchedWrites;
use crate::pb;
use crate::pb::license_service_server::{LicenseService as Rpc, LicenseServiceServer};
use crate::rpcs::share_rpcs;
use crate::status::{to_status, token_status};

/// The gRPC front of a node: the service every RPC asks.
#[derive(Clone)]
pub struct GrpcFront {
    service: Arc<dyn LicenseService>,
    trusted: Arc<TrustedProxies>,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for GrpcFront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcFront").finish_non_exhaustive()
    }
}

/// Who is calling: the bearer token from `authorization` metadata, the peer address (or, from
/// a trusted proxy, the address its `forwarded` / `x-forwarded-for` metadata names), and the
/// request id (the client's when acceptable, else a new one).
fn caller<T>(req: &Request<T>, trusted: &TrustedProxies) -> Caller {
    let md = req.metadata();
    let text = |key: &str| md.get(key).and_then(|v| v.to_str().ok());
    Caller {
        token: bearer_token(text("authorization")),
        client_addr: req.remote_addr().map(|a| {
            trusted
                .client(a.ip(), text("forwarded"), text("x-forwarded-for"))
                .to_string()
        }),
        request_id: md
            .get(REQUEST_ID)
            .filter(|v| acceptable_request_id(v.as_bytes()))
            .and_then(|v| v.to_str().ok())
            .map_or_else(new_request_id, str::to_owned),
    }
}

/// Puts the request id on the answer. It is marked sensitive so HTTP/2 sends it as a literal
/// never indexed: a new value on every answer would otherwise be added to the connection's
/// header table each time and push out the entries every answer reuses (`content-type`,
/// `grpc-status`), which would then be sent and added again.
fn finish<P>(caller: &Caller, out: Result<P, Status>) -> Result<Response<P>, Status> {
    let id = MetadataValue::try_from(caller.request_id.as_str())
        .ok()
        .map(|mut v| {
            v.set_sensitive(true);
            v
        });
    match out {
        Ok(p) => {
            let mut r = Response::new(p);
            if let Some(id) = id {
                r.metadata_mut().insert(REQUEST_ID, id);
            }
            Ok(r)
        }
        Err(mut s) => {
            if let Some(id) = id {
                s.metadata_mut().insert(REQUEST_ID, id);
            }
            Err(s)
        }
    }
}

/// One log line per call: the RPC, its outcome and the time it took — never parameters or
/// tokens.
fn log(rpc: &str, caller: &Caller, started: Instant, outcome: impl std::fmt::Display) {
    tracing::info!(
        rpc,
        %outcome,
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        request_id = %caller.request_id,
        "grpc call"
    );
}

impl GrpcFront {
    /// A front for a service, trusting no proxy's forwarding metadata.
    pub fn new(service: Arc<dyn LicenseService>) -> Self {
        GrpcFront {
            service,
            trusted: Arc::default(),
            observer: None,
        }
    }

    /// Reports every answered call to `observer` (the node's metrics).
    pub fn with_observer(mut self, observer: Option<Arc<dyn CallObserver>>) -> Self {
        self.observer = observer;
        self
    }

    /// One log line and one observation per call.
    fn answered(&self, rpc: &str, who: &Caller, started: Instant, code: &str) {
        log(rpc, who, started, code);
        if let Some(o) = &self.observer {
            o.answered(rpc, code, started.elapsed().as_secs_f64());
        }
    }

    /// Believes the forwarding metadata of these proxies ([`TrustedProxies`]).
    pub fn with_trusted_proxies(mut self, trusted: TrustedProxies) -> Self {
        self.trusted = Arc::new(trusted);
        self
    }

    /// One share RPC: the request into core, the service's answer back into a reply.
    async fn share<Q, C, R, P, F, Fut>(
        &self,
        rpc: &str,
        req: Request<Q>,
        call: F,
    ) -> Result<Response<P>, Status>
    where
        C: From<Q>,
        P: From<R>,
        F: FnOnce(Arc<dyn LicenseService>, Caller, C) -> Fut,
        Fut: Future<Output = ServiceResult<R>>,
    {
        let started = Instant::now();
        let who = caller(&req, &self.trusted);
        let answer = call(self.service.clone(), who.clone(), req.into_inner().into()).await;
        let code = answer
            .as_ref()
            .map_or_else(|e| e.code, |_| ReturnCode::Success);
        self.answered(rpc, &who, started, &code.code().to_string());
        finish(&who, answer.map(P::from).map_err(|e| to_status(&e)))
    }

    /// One token RPC: a grant, or the RFC 6749 error as a status.
    async fn token<Q, G, F, Fut>(
        &self,
        rpc: &str,
        req: Request<Q>,
        grant: F,
    ) -> Result<Response<pb::TokenGrant>, Status>
    where
        G: From<Q>,
        F: FnOnce(Arc<dyn LicenseService>, Caller, G) -> Fut,
        Fut: Future<Output = Result<TokenGrant, TokenError>>,
    {
        let started = Instant::now();
        let who = caller(&req, &self.trusted);
        let out = grant(self.service.clone(), who.clone(), req.into_inner().into()).await;
        self.answered(
            rpc,
            &who,
            started,
            out.as_ref().map_or_else(|e| e.kind.code(), |_| "granted"),
        );
        finish(&who, out.map(Into::into).map_err(|e| token_status(&e)))
    }
}

/// The server's RPCs: one per entry of [`share_rpcs`], each through [`GrpcFront::share`].
macro_rules! server_impl {
    ($(($method:ident, $rpc:literal, $req:ident, $answer:ty, $reply:ident)),* $(,)?) => {
        #[tonic::async_trait]
        impl Rpc for GrpcFront {
            async fn issue_token(
                &self,
                req: Request<pb::PasswordGrant>,
            ) -> Result<Response<pb::TokenGrant>, Status> {
                self.token("IssueToken", req, |s, c, g| async move {
                    s.issue_token(&c, g).await
                })
                .await
            }

            async fn refresh_token(
                &self,
                req: Request<pb::RefreshGrant>,
            ) -> Result<Response<pb::TokenGrant>, Status> {
                self.token("RefreshToken", req, |s, c, g| async move {
                    s.refresh_token(&c, g).await
                })
                .await
            }

            async fn collect(
                &self,
                req: Request<pb::CollectRequest>,
            ) -> Result<Response<pb::CollectReply>, Status> {
                let (metadata, extensions, message) = req.into_parts();
                match license_core::service::CollectRequest::try_from(message) {
                    Ok(core) => {
                        let req = Request::from_parts(metadata, extensions, core);
                        self.share(
                            "Collect",
                            req,
                            |s, c, r| async move { s.collect(&c, r).await },
                        )
                        .await
                    }
                    Err(e) => {
                        let who = caller(
                            &Request::from_parts(metadata, extensions, ()),
                            &self.trusted,
                        );
                        log("Collect", &who, Instant::now(), e.code.code());
                        finish(&who, Err(to_status(&e)))
                    }
                }
            }

            $(
                async fn $method(
                    &self,
                    req: Request<pb::$req>,
                ) -> Result<Response<pb::$reply>, Status> {
                    self.share($rpc, req, |s, c, r| async move { s.$method(&c, r).await })
                        .await
                }
            )*
        }
    };
}

share_rpcs!(server_impl);

/// The fully qualified name of the service (what reflection lists).
pub const SERVICE_NAME: &str = "license.v1.LicenseService";

/// The routes of a gRPC node: the license service, health (`SERVING` for the whole server and
/// for [`SERVICE_NAME`]) and reflection (v1 and v1alpha). `max_message_bytes` bounds a request (files are
/// sent inline).
pub async fn routes(
    service: Arc<dyn LicenseService>,
    max_message_bytes: usize,
    trusted: TrustedProxies,
) -> Result<tonic::service::Routes, String> {
    routes_with(service, max_message_bytes, trusted, true, None).await
}

/// [`routes`], with reflection only when `reflection` is set (a node whose operations
/// endpoints are on a listener of their own does not describe itself on the public one), and
/// every answered call reported to `observer`.
pub async fn routes_with(
    service: Arc<dyn LicenseService>,
    max_message_bytes: usize,
    trusted: TrustedProxies,
    reflection: bool,
    observer: Option<Arc<dyn CallObserver>>,
) -> Result<tonic::service::Routes, String> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<LicenseServiceServer<GrpcFront>>()
        .await;
    let front = GrpcFront::new(service)
        .with_trusted_proxies(trusted)
        .with_observer(observer);
    let license = LicenseServiceServer::new(front)
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(usize::MAX);
    let routes = tonic::service::Routes::new(license).add_service(health);
    if !reflection {
        return Ok(routes);
    }
    // Reflection v1, and v1alpha for the clients that only speak it (grpcio-reflection,
    // older grpcurl): the same descriptors either way.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .map_err(|e| format!("gRPC reflection: {e}"))?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| format!("gRPC reflection: {e}"))?;
    Ok(routes
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Serves the routes on a bound listener until `shutdown` completes, finishing calls in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: tonic::service::Routes,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), String> {
    // Small answers must leave at once: Nagle's algorithm would hold them for the peer's
    // delayed ACK.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    serve_incoming(incoming, routes, Timeouts::default(), shutdown).await
}

/// How long a gRPC connection and its calls may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// The longest a call may take, its request's messages included: past it the call ends
    /// with `CANCELLED` ("Timeout expired"; a client that stalls half-way through a message is
    /// cut off).
    pub call: std::time::Duration,
    /// How often an idle connection is pinged (HTTP/2 PING), and how long the answer may take
    /// before the connection is closed: a peer that is gone or stalled does not hold it.
    pub keepalive: std::time::Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            call: std::time::Duration::from_secs(60),
            keepalive: std::time::Duration::from_secs(10),
        }
    }
}

/// Serves the routes on connections from `incoming` (plain TCP, TLS…) until `shutdown`
/// completes, finishing calls in flight. The answers of calls finished together leave in one
/// write (`batched`).
pub async fn serve_incoming<IO, IE>(
    incoming: impl tokio_stream::Stream<Item = Result<IO, IE>> + Send,
    routes: tonic::service::Routes,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), String>
where
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IO::ConnectInfo: Clone + Send + Sync + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let incoming = incoming.map(|accepted| accepted.map(BatchedWrites::new));
    tonic::transport::Server::builder()
        .timeout(timeouts.call)
        .http2_keepalive_interval(Some(timeouts.keepalive))
        .http2_keepalive_timeout(Some(timeouts.keepalive))
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| format!("gRPC server: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            token: None,
            client_addr: None,
            request_id: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    #[test]
    fn the_request_id_goes_on_answers_and_failures_never_indexed() {
        let ok = finish(&caller(), Ok(())).expect("an answer");
        let id = ok.metadata().get(REQUEST_ID).expect("request id");
        assert_eq!(id, "0123456789abcdef0123456789abcdef");
        assert!(
            id.is_sensitive(),
            "a new value on every answer: never indexed"
        );
        let failed = finish::<()>(&caller(), Err(Status::not_found("no"))).expect_err("failure");
        let id = failed.metadata().get(REQUEST_ID).expect("request id");
        assert_eq!(id, "0123456789abcdef0123456789abcdef");
        assert!(id.is_sensitive());
    }
}
