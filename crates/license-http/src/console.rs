//! The operator console (`/license-api-release/console/`): server-rendered Chinese pages for
//! the staff who run a node — overview, licenses and their usage, accounts and OAuth
//! clients, cert types, the audit log, the province outbox and the keys. It signs an
//! administrator in with a session cookie, checks a CSRF token on every change, and does
//! everything through the [`AdminService`](license_core::AdminService), so each change is
//! audited with the operator's name and no rule is written twice. No script runs in its
//! pages; its one style sheet is served from the binary.

mod forms;
mod licenses;
mod manage;
mod session;
mod views;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use license_core::interface::BASE_PATH;

use crate::routes::AppState;

pub use session::{ConsoleInfo, KeyView};

/// The console's path, under the base path.
pub const CONSOLE_PREFIX: &str = "/console";

/// The console's style sheet.
const STYLE: &str = include_str!("../assets/console.css");
/// The console's icon.
const ICON: &str = include_str!("../assets/favicon.svg");

/// The console's Content-Security-Policy: its own style sheet and images, forms posted to
/// itself, no script at all.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A console path: `/license-api-release/console{path}`.
pub fn path(p: &str) -> String {
    format!("{BASE_PATH}{CONSOLE_PREFIX}{p}")
}

/// The console's routes (every one answers HTML, CSV or an image; none is in the OpenAPI
/// document).
pub(crate) fn routes(
    state: &AppState,
    files: impl Fn(MethodRouter<AppState>) -> MethodRouter<AppState>,
) -> Router<AppState> {
    Router::new()
        .route(&path("/"), get(manage::overview))
        .route(&path(""), get(|| async { Redirect::to(&path("/")) }))
        .route(
            &path("/assets/console.css"),
            get(|| asset("text/css; charset=utf-8", STYLE)),
        )
        .route(
            &path("/assets/favicon.svg"),
            get(|| asset("image/svg+xml", ICON)),
        )
        .route(
            &path("/login"),
            get(session::login_page).post(session::login),
        )
        .route(&path("/logout"), post(session::logout))
        .route(
            &path("/licenses"),
            get(licenses::search).post(licenses::issue),
        )
        .route(&path("/licenses/new"), get(licenses::issue_form))
        .route(
            &path("/licenses/import"),
            files(get(licenses::import_form).post(licenses::import)),
        )
        .route(&path("/licenses/{key}"), get(licenses::license))
        .route(&path("/licenses/{key}/face.jpg"), get(licenses::face))
        .route(&path("/licenses/{key}/state"), post(licenses::change_state))
        .route(&path("/licenses/{key}/reissue"), post(licenses::reissue))
        .route(
            &path("/accounts"),
            get(manage::accounts).post(manage::create_account),
        )
        .route(&path("/accounts/{name}/enabled"), post(manage::set_enabled))
        .route(
            &path("/accounts/{name}/password"),
            post(manage::reset_password),
        )
        .route(&path("/clients"), post(manage::add_client))
        .route(&path("/clients/{id}/remove"), post(manage::remove_client))
        .route(&path("/cert-types"), get(manage::cert_types))
        .route(&path("/cert-types/{code}"), post(manage::set_cert_type))
        .route(&path("/audit"), get(manage::audit))
        .route(&path("/audit.csv"), get(manage::audit_csv))
        .route(&path("/outbox"), get(manage::outbox))
        .route(&path("/outbox/{sequence}/retry"), post(manage::retry_push))
        .route(&path("/keys"), get(manage::keys))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::guard,
        ))
}

/// A file of the console's, from the binary.
async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The answer to a failed admin call: to the sign-in page when the session has ended (or no
/// longer carries the `admin` role), else the failure in the frame.
fn failed(chrome: &views::Chrome, e: license_core::ServiceError) -> Response {
    use license_core::ReturnCode;
    let status = match e.code {
        ReturnCode::Unauthorized => return session::to_login(true),
        ReturnCode::NotFound => StatusCode::NOT_FOUND,
        ReturnCode::Other | ReturnCode::UpstreamUnreachable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut chrome = chrome.clone();
    chrome.error = Some(e.message());
    views::page(
        status,
        &views::Notice {
            chrome,
            title: "操作未完成".into(),
        },
    )
}

/// An HTML answer with the console's policy.
fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, axum::response::Html(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    r
}
