//! Console sessions: the sign-in form, the session cookie (the console's access token, its
//! life extended while the operator works, so that it ends after the idle time), the CSRF
//! token every form carries, and sign-out.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use license_core::service::{Caller, OAuthErrorKind, TokenError};

use super::forms::FormData;
use super::views::{self, Chrome};
use super::{html, path};
use crate::peer::ClientAddr;
use crate::routes::{AppState, caller};

/// The session cookie: `access.touched.operator` — the console's access token, when its life
/// was last extended (Unix seconds), and the operator's name percent-encoded, for display only
/// (the token carries the authority).
const SESSION: &str = "lp_console";
/// The CSRF cookie, echoed as the `csrf` field of every form.
const CSRF: &str = "lp_csrf";

/// What the console shows of the node and how it sets its cookies.
#[derive(Debug, Clone, Default)]
pub struct ConsoleInfo {
    /// The build's version.
    pub version: String,
    /// The node's role: `city` or `province`.
    pub role: String,
    /// Whether the node is reached over TLS (its cookies are then `Secure`).
    pub secure_cookies: bool,
    /// A session ends after this many seconds without a page.
    pub idle_secs: u64,
    /// The certificate the node signs with, then the certificates it trusts.
    pub keys: Vec<KeyView>,
}

/// A certificate as the keys page shows it.
#[derive(Debug, Clone, Default)]
pub struct KeyView {
    /// 本节点签章证书 or 信任的证书.
    pub kind: String,
    /// The subject's common name.
    pub subject: String,
    /// The issuer's common name.
    pub issuer: String,
    /// The serial number, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint: String,
    /// The PEM.
    pub pem: String,
}

/// How often a page extends its session's life, at most.
const TOUCH_EVERY_SECS: i64 = 60;

/// The session a request carries.
#[derive(Debug, Clone)]
struct Session {
    access: String,
    touched: i64,
    operator: String,
}

impl Session {
    fn parse(v: &str) -> Option<Self> {
        let mut it = v.splitn(3, '.');
        let (access, touched, operator) = (it.next()?, it.next()?, it.next()?);
        Some(Session {
            access: access.to_owned(),
            touched: touched.parse().ok()?,
            operator: percent_encoding::percent_decode_str(operator)
                .decode_utf8()
                .ok()?
                .into_owned(),
        })
    }

    fn value(&self) -> String {
        let op = percent_encoding::utf8_percent_encode(
            &self.operator,
            percent_encoding::NON_ALPHANUMERIC,
        );
        format!("{}.{}.{op}", self.access, self.touched)
    }
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'static>> + '_ {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()).filter_map(Result::ok))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    cookies(headers)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn set_cookie(
    info: &ConsoleInfo,
    name: &'static str,
    value: String,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = Cookie::build((name, value))
        .path(path(""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(info.secure_cookies);
    if let Some(secs) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(secs));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Equal in constant time (a CSRF token is compared with what the cookie holds).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The CSRF token of this request (made by [`guard`] when the browser had none).
#[derive(Debug, Clone)]
pub(super) struct CsrfToken(pub String);

/// Every console request: a CSRF cookie is set when absent, and a session not extended for a
/// minute is extended (it then ends after the idle time from now) before the page is made.
/// Nothing rotates, so pages open at once in several tabs never race.
pub(super) async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let info = s.console.clone();
    let mut set = Vec::new();
    let csrf = match cookie_value(req.headers(), CSRF).filter(|v| v.len() == 32) {
        Some(v) => v,
        None => {
            let v = uuid::Uuid::new_v4().simple().to_string();
            set.push(set_cookie(&info, CSRF, v.clone(), None));
            v
        }
    };
    req.extensions_mut().insert(CsrfToken(csrf));
    let asset = req.uri().path().contains("/assets/");
    if let Some(old) = cookie_value(req.headers(), SESSION)
        .and_then(|v| Session::parse(&v))
        .filter(|_| !asset)
    {
        let now = chrono::Utc::now().timestamp();
        let every = TOUCH_EVERY_SECS.min(i64::try_from(info.idle_secs / 4).unwrap_or(i64::MAX));
        if now.saturating_sub(old.touched) >= every {
            let mut c = caller(req.headers(), client_addr(&req), None);
            c.token = Some(old.access.clone());
            match s.node.console_touch(&c).await {
                Ok(true) => {
                    let value = Session {
                        touched: now,
                        ..old
                    }
                    .value();
                    set.push(set_cookie(&info, SESSION, value, None));
                }
                // The session has ended: the page asks to sign in again.
                Ok(false) => {
                    replace_cookie(req.headers_mut(), SESSION, None);
                    set.push(set_cookie(&info, SESSION, String::new(), Some(0)));
                }
                // The database did not answer: the session stays as it is.
                Err(_) => {}
            }
        }
    }
    let mut r = next.run(req).await;
    // A page that set the session cookie itself (sign-in, sign-out) has the last word.
    let own = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(format!("{SESSION}=").as_bytes()));
    for v in set {
        if !(own && v.as_bytes().starts_with(format!("{SESSION}=").as_bytes())) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

fn client_addr(req: &Request) -> ClientAddr {
    req.extensions()
        .get::<ClientAddr>()
        .cloned()
        .unwrap_or_default()
}

/// The request's cookies with `name` replaced (or removed when `value` is `None`).
fn replace_cookie(headers: &mut HeaderMap, name: &str, value: Option<&str>) {
    let mut kept: Vec<String> = cookies(headers)
        .filter(|c| c.name() != name)
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect();
    if let Some(v) = value {
        kept.push(format!("{name}={v}"));
    }
    headers.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
        headers.insert(header::COOKIE, v);
    }
}

/// A signed-in operator: the caller the admin service sees, and what every page shows.
pub(super) struct Operator {
    pub caller: Caller,
    pub chrome: Chrome,
}

impl Operator {
    /// Whether a form's CSRF token is this request's.
    pub fn csrf_ok(&self, form: &FormData) -> bool {
        form.get("csrf").is_some_and(|v| same(v, &self.chrome.csrf))
    }
}

/// A change an operator sends: the signed-in operator and the form, whose CSRF token was the
/// session's. A form without it is answered with the refusal before any handler sees it, so
/// no change can forget the check (the multipart import checks its own field).
pub(super) struct Change {
    pub op: Operator,
    pub form: FormData,
}

impl FromRequest<AppState> for Change {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let op = Operator::from_request_parts(&mut parts, s).await?;
        let form = FormData::from_request(Request::from_parts(parts, body), s).await?;
        if !op.csrf_ok(&form) {
            return Err(views::refused(&op.chrome));
        }
        Ok(Change { op, form })
    }
}

/// To the sign-in page (the session is absent or has ended).
pub(super) fn to_login(expired: bool) -> Response {
    let target = if expired {
        path("/login?expired=1")
    } else {
        path("/login")
    };
    Redirect::to(&target).into_response()
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let Some(session) = cookie_value(&parts.headers, SESSION).and_then(|v| Session::parse(&v))
        else {
            return Err(to_login(false));
        };
        let addr = parts
            .extensions
            .get::<ClientAddr>()
            .cloned()
            .unwrap_or_default();
        if !s.node.token_live(&session.access).await {
            return Err(to_login(true));
        }
        let mut caller = caller(&parts.headers, addr, None);
        caller.token = Some(session.access);
        Ok(Operator {
            caller,
            chrome: Chrome::new(&s.console, session.operator, csrf),
        })
    }
}

/// `GET /console/login`.
pub(super) async fn login_page(
    State(s): State<AppState>,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let expired = q.is_some_and(|q| q.contains("expired=1"));
    let message = expired.then(|| "会话已结束，请重新登录。".to_owned());
    html(
        StatusCode::OK,
        views::login(&s.console, &csrf.0, "", message),
    )
}

/// The sign-in failure in the operator's words.
fn sign_in_message(e: &TokenError) -> String {
    match e.kind {
        OAuthErrorKind::SlowDown => "登录请求过于频繁，请稍后再试。".into(),
        OAuthErrorKind::InvalidGrant if e.description.contains("locked") => {
            "登录失败次数过多，账号已暂时锁定，请稍后再试。".into()
        }
        OAuthErrorKind::InvalidRequest => "请输入账号和密码。".into(),
        OAuthErrorKind::TemporarilyUnavailable => "服务暂时不可用，请稍后再试。".into(),
        _ => "账号或密码错误。".into(),
    }
}

/// `POST /console/login`: form fields `username`, `password`, `csrf`.
pub(super) async fn login(
    State(s): State<AppState>,
    axum::Extension(csrf): axum::Extension<CsrfToken>,
    peer: ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Response {
    let username = form.get("username").unwrap_or_default().trim().to_owned();
    if !form.get("csrf").is_some_and(|v| same(v, &csrf.0)) {
        let msg = Some("页面已过期，请重新提交。".to_owned());
        return html(
            StatusCode::FORBIDDEN,
            views::login(&s.console, &csrf.0, &username, msg),
        );
    }
    let c = caller(&headers, peer, None);
    match s
        .node
        .console_sign_in(&c, &username, form.get("password").unwrap_or_default())
        .await
    {
        Ok(g) => {
            let session = Session {
                access: g.access_token,
                touched: chrono::Utc::now().timestamp(),
                operator: username,
            };
            let mut r = Redirect::to(&path("/")).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&s.console, SESSION, session.value(), None),
            );
            r
        }
        Err(e) => {
            let status = if e.kind == OAuthErrorKind::SlowDown {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            html(
                status,
                views::login(&s.console, &csrf.0, &username, Some(sign_in_message(&e))),
            )
        }
    }
}

/// `POST /console/logout`: the pair is removed and the cookie cleared.
pub(super) async fn logout(State(s): State<AppState>, Change { op, form: _ }: Change) -> Response {
    s.node.console_sign_out(&op.caller).await;
    let mut r = Redirect::to(&path("/login")).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&s.console, SESSION, String::new(), Some(0)),
    );
    r
}
