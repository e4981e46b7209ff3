//! The routes: share interfaces (POST and GET, with the `ShareQueryCertInfoByHolderCode`
//! alias), the OAuth token endpoint, capability download links, the public verification page,
//! and health checks.

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{MethodRouter, any, get, post};
use license_core::interface::{
    BASE_PATH, CITY_DOWNLOAD_PATH, COLLECT_PREFIX, PROVINCE_DOWNLOAD_PATH, REVOKE_PATH,
    SHARE_PREFIX, TOKEN_PATH, VERIFY_PAGE_PATH,
};
use license_core::service::*;
use license_core::{AdminService, Interface, LicenseService};

use crate::admin::{self, ADMIN_PREFIX};
use crate::metrics::{Metrics, metrics, observe};
use crate::openapi::{DOCS_PATH, OPENAPI_PATH};

mod oauth;
mod pages;
mod respond;
mod share;

pub(crate) use oauth::*;
pub(crate) use pages::*;
pub(crate) use respond::*;
pub(crate) use share::*;

/// Default body limit where no file arrives: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Default body limit where files arrive (file verification, import): 20 MiB, to allow
/// base64 files (API.md §1).
pub const DEFAULT_FILE_BODY_LIMIT: usize = 20 << 20;
/// The request id header.
pub use license_core::service::REQUEST_ID;

/// What the routes serve from.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The share interfaces.
    pub service: Arc<dyn LicenseService>,
    /// Download links, verification page, readiness.
    pub node: Arc<dyn NodeService>,
    /// The admin API.
    pub admin: Arc<dyn AdminService>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// What the operator console shows of the node.
    pub console: Arc<crate::console::ConsoleInfo>,
}

/// `Content-Disposition` with exactly one `filename=` and nothing after it (real clients split
/// The routes where files arrive: the large body limit, for callers admitted by
/// [`crate::admit`].
struct FileRoutes {
    limit: usize,
    admission: crate::admit::Admission,
}

impl FileRoutes {
    fn layer(&self, route: MethodRouter<AppState>) -> MethodRouter<AppState> {
        route
            .layer(DefaultBodyLimit::max(self.limit))
            .layer(axum::middleware::from_fn_with_state(
                self.admission.clone(),
                crate::admit::admit,
            ))
    }
}

fn admin_routes(files: &FileRoutes) -> Router<AppState> {
    let a = |path: &str| format!("{BASE_PATH}{ADMIN_PREFIX}{path}");
    Router::new()
        .route(&a("/licenses"), get(admin::search).post(admin::issue))
        .route(&a("/licenses/import"), files.layer(post(admin::import)))
        .route(&a("/licenses/{key}"), get(admin::license))
        .route(&a("/licenses/{key}/state"), post(admin::change_state))
        .route(&a("/licenses/{key}/reissue"), post(admin::reissue))
        .route(
            &a("/accounts"),
            get(admin::accounts).post(admin::create_account),
        )
        .route(&a("/accounts/{username}/enabled"), post(admin::set_enabled))
        .route(
            &a("/accounts/{username}/password"),
            post(admin::set_password),
        )
        .route(&a("/clients"), get(admin::clients).post(admin::add_client))
        .route(
            &a("/clients/{client_id}"),
            axum::routing::delete(admin::remove_client),
        )
        .route(&a("/cert-types"), get(admin::cert_types))
        .route(
            &a("/cert-types/{code}"),
            axum::routing::put(admin::set_cert_type),
        )
        .route(&a("/audit"), get(admin::audit))
        .route(&a("/outbox"), get(admin::outbox))
        .route(&a("/outbox/{sequence}/retry"), post(admin::retry_push))
}

/// How the REST front reads requests, beyond what it serves from.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body, except where files arrive (413 past it).
    pub body_limit: usize,
    /// Largest request body where files arrive: file verification and license import.
    pub file_body_limit: usize,
    /// Proxies whose forwarding headers name the client ([`crate::peer`]).
    pub trusted_proxies: license_core::peer::TrustedProxies,
    /// Metrics, Swagger UI and the OpenAPI document are served by [`ops_router`] on a
    /// listener of their own: this router answers 404 for them.
    pub separate_ops: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            body_limit: DEFAULT_BODY_LIMIT,
            file_body_limit: DEFAULT_FILE_BODY_LIMIT,
            trusted_proxies: Default::default(),
            separate_ops: false,
        }
    }
}

/// The REST application.
pub fn router(state: AppState, options: HttpOptions) -> Router {
    let share_path = format!("{BASE_PATH}{SHARE_PREFIX}{{name}}");
    let verify_path = format!(
        "{BASE_PATH}{SHARE_PREFIX}{}",
        Interface::ShareVerifyCertInfo.name()
    );
    let files = FileRoutes {
        limit: options.file_body_limit,
        admission: crate::admit::Admission {
            node: state.node.clone(),
            small_limit: options.body_limit,
        },
    };
    let router = Router::new()
        .route(&share_path, get(share).post(share))
        .route(
            &verify_path,
            files.layer(get(share_verify).post(share_verify)),
        )
        .route(&format!("{BASE_PATH}{TOKEN_PATH}"), post(token))
        .route(&format!("{BASE_PATH}{REVOKE_PATH}"), post(revoke))
        .route(
            &format!("{BASE_PATH}{COLLECT_PREFIX}{{operation}}"),
            post(crate::collect::collect),
        )
        .route(&format!("{BASE_PATH}{CITY_DOWNLOAD_PATH}"), get(download))
        .route(
            &format!("{BASE_PATH}{PROVINCE_DOWNLOAD_PATH}"),
            get(download),
        )
        .route(
            &format!("{BASE_PATH}{VERIFY_PAGE_PATH}{{token}}"),
            get(verify_page),
        )
        .route("/healthz", any(healthz))
        .route("/readyz", any(readyz))
        .merge(admin_routes(&files))
        .merge(crate::console::routes(&state, |r| files.layer(r)));
    let router = if options.separate_ops {
        router
    } else {
        router.merge(ops_routes())
    };
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            observe,
        ));
    crate::trace::layers(router)
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(options.trusted_proxies),
            crate::peer::resolve,
        ))
        .layer(axum::middleware::from_fn(crate::headers::protect))
        .with_state(state)
}

/// What operators and tools read: metrics, Swagger UI and the OpenAPI document.
fn ops_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics)).merge(
        utoipa_swagger_ui::SwaggerUi::new(format!("{BASE_PATH}{DOCS_PATH}")).url(
            format!("{BASE_PATH}{OPENAPI_PATH}"),
            crate::openapi::document(),
        ),
    )
}

/// The operations listener's application (`admin_addr`): metrics, Swagger UI and the OpenAPI
/// document, beside a [`router`] built with [`HttpOptions::separate_ops`].
pub fn ops_router(state: AppState) -> Router {
    ops_routes()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::headers::protect))
        .with_state(state)
}
