//! A gRPC client that implements [`LicenseService`] — a city node's province upstream, and one
//! of the transports the conformance suite runs through.
//!
//! A call that carries the caller's token is made with it; a call without one uses the
//! client's own account ([`OwnAccount`]). A transport failure or a timeout answers `1`.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use license_core::service::*;
use license_core::upstream::{Credentials, OwnAccount};
use license_core::{FileVerifyResult, LicenseService, ReturnCode, ServiceError};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

use crate::batched::{BatchedConnector, client_tls};
use crate::convert::IntoCore;
use crate::pb;
use crate::pb::license_service_client::LicenseServiceClient;
use crate::rpcs::share_rpcs;
use crate::status::{from_status, token_error};

type Rpc = LicenseServiceClient<Channel>;

/// Where and as whom the client calls.
#[derive(Debug, Clone)]
pub struct GrpcClientConfig {
    /// The node's gRPC URL (`http://host:port`, or `https://host:port` for gRPC over TLS).
    pub url: String,
    /// The client's own account, for calls that carry no token (`username` empty = none).
    pub credentials: Credentials,
    /// How long one call may take (connecting included) before it answers `1`.
    pub timeout: Duration,
    /// PEM certificates of CAs trusted beside the system's roots for an `https` URL (a
    /// province's own CA).
    pub ca_pem: Option<Vec<u8>>,
}

/// The gRPC client. Cheap to share: calls multiplex over one HTTP/2 connection.
pub struct GrpcClient {
    rpc: Rpc,
    own: OwnAccount,
    url: String,
}

impl std::fmt::Debug for GrpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcClient")
            .field("url", &self.url)
            .field("account", &self.own)
            .finish_non_exhaustive()
    }
}

/// A request with the caller's token and request id as metadata.
fn request<Q>(caller: &Caller, message: Q) -> Request<Q> {
    let mut r = Request::new(message);
    let md = r.metadata_mut();
    if let Some(t) = &caller.token
        && let Ok(v) = MetadataValue::try_from(format!("Bearer {t}"))
    {
        md.insert("authorization", v);
    }
    if let Ok(v) = MetadataValue::try_from(caller.request_id.as_str())
        && !caller.request_id.is_empty()
    {
        md.insert(REQUEST_ID, v);
    }
    r
}

impl GrpcClient {
    /// A client; it connects on the first call.
    pub fn new(config: GrpcClientConfig) -> Result<Self, ServiceError> {
        let endpoint = Endpoint::from_shared(config.url.clone())
            .map_err(|e| {
                ServiceError::new(
                    ReturnCode::Other,
                    format!("gRPC URL {:?} is not usable: {e}", config.url),
                )
            })?
            .connect_timeout(config.timeout)
            .timeout(config.timeout);
        let connector = if endpoint.uri().scheme_str() == Some("https") {
            let tls = client_tls(config.ca_pem.as_deref())
                .map_err(|e| ServiceError::new(ReturnCode::Other, e))?;
            BatchedConnector::with_tls(tls)
        } else {
            BatchedConnector::default()
        };
        // Calls made together leave together (`batched`); the connect timeout applies.
        let rpc = LicenseServiceClient::new(endpoint.connect_with_connector_lazy(connector))
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        Ok(GrpcClient {
            rpc,
            own: OwnAccount::new(config.credentials),
            url: config.url,
        })
    }

    /// One share call: as the caller or as the own account, the failure rebuilt from the
    /// status, the answer checked back into core.
    async fn unary<Q, M, F, Fut>(
        &self,
        caller: &Caller,
        message: Q,
        rpc: F,
    ) -> ServiceResult<M::Core>
    where
        Q: Clone,
        M: IntoCore,
        F: Fn(Rpc, Request<Q>) -> Fut,
        Fut: Future<Output = Result<Response<M>, Status>>,
    {
        self.own
            .call(self, caller, |c| {
                let call = rpc(self.rpc.clone(), request(&c, message.clone()));
                async move {
                    call.await
                        .map_err(|s| from_status(&s))?
                        .into_inner()
                        .into_core()
                }
            })
            .await
    }
}

/// The trait's share methods, one per RPC of [`share_rpcs`], each made with
/// [`GrpcClient::unary`].
macro_rules! client_impl {
    ($(($method:ident, $rpc:literal, $req:ident, $answer:ty, $reply:ident)),* $(,)?) => {
        #[async_trait]
        impl LicenseService for GrpcClient {
            async fn issue_token(
                &self,
                caller: &Caller,
                grant: PasswordGrant,
            ) -> Result<TokenGrant, TokenError> {
                self.rpc
                    .clone()
                    .issue_token(request(caller, pb::PasswordGrant::from(grant)))
                    .await
                    .map(|r| r.into_inner().into())
                    .map_err(|s| token_error(&s))
            }

            async fn refresh_token(
                &self,
                caller: &Caller,
                grant: RefreshGrant,
            ) -> Result<TokenGrant, TokenError> {
                self.rpc
                    .clone()
                    .refresh_token(request(caller, pb::RefreshGrant::from(grant)))
                    .await
                    .map(|r| r.into_inner().into())
                    .map_err(|s| token_error(&s))
            }

            async fn collect(&self, caller: &Caller, req: CollectRequest) -> ServiceResult<String> {
                self.unary(
                    caller,
                    pb::CollectRequest::from(req),
                    |mut c, r| async move { c.collect(r).await },
                )
                .await
            }

            $(
                async fn $method(&self, caller: &Caller, req: $req) -> ServiceResult<$answer> {
                    self.unary(caller, pb::$req::from(req), |mut c, r| async move {
                        c.$method(r).await
                    })
                    .await
                }
            )*
        }
    };
}

share_rpcs!(client_impl);
