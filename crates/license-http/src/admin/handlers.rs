//! The admin API's handlers, one per path and method: each takes the caller and its input,
//! calls the [`AdminService`](license_core::admin::AdminService) and renders the answer.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use license_core::admin::{Correction, NewAccount, StateChange};
use license_core::ports::{AuditOutcome, AuditQuery, CertTypeSettings, LicenseFilter, PushState};
use license_core::{Interface, LicenseState, ReturnCode, Role, ServiceError};

use crate::routes::AppState;

use super::*;

/// `POST /admin/licenses`: issue a license.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses",
    request_body = IssueLicenseBody,
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
    )
)]
pub async fn issue(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Body(body): Body<IssueLicenseBody>,
) -> Response {
    reply(
        s.admin.issue_license(&c, body.into()).await,
        LicenseView::from,
    )
}

/// `GET /admin/licenses`: search licenses.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/licenses",
    params(LicenseSearch),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<LicenseView>>),
    )
)]
pub async fn search(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AdminQuery(q): AdminQuery<LicenseSearch>,
) -> Response {
    let filter = (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let state = match blank_to_none(q.state) {
            None => None,
            Some(name) => Some(LicenseState::from_name(&name).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    "state must be pending, valid, suspended or revoked",
                )
            })?),
        };
        Ok(LicenseFilter {
            holder_code: blank_to_none(q.holder_code)
                .map(|c| license_core::normalize_holder_code(&c)),
            cert_type_code: blank_to_none(q.cert_type_code),
            issue_dept_code: blank_to_none(q.issue_dept_code),
            state,
            certificate_number: blank_to_none(q.certificate_number),
            offset,
            limit,
        })
    })();
    let r = match filter {
        Ok(f) => s.admin.search_licenses(&c, f).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, LicenseView::from))
}

/// `GET /admin/licenses/{key}`: one license by identifier, file number or province identifier.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/licenses/{key}",
    params(("key" = String, Path, description = "Identifier, file number or province identifier")),
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
    )
)]
pub async fn license(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(key): Path<String>,
) -> Response {
    reply(s.admin.license(&c, key).await, LicenseView::from)
}

/// `POST /admin/licenses/{key}/state`: change a license's state.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/{key}/state",
    params(("key" = String, Path, description = "Identifier, file number or province identifier")),
    request_body = StateChangeBody,
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
    )
)]
pub async fn change_state(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(key): Path<String>,
    Body(body): Body<StateChangeBody>,
) -> Response {
    let r = match StateChange::from_name(&body.change) {
        Some(change) => s.admin.change_state(&c, key, change, body.reason).await,
        None => Err(ServiceError::new(
            ReturnCode::Unparseable,
            "change must be activate, suspend, revoke or reinstate",
        )),
    };
    reply(r, LicenseView::from)
}

/// `POST /admin/licenses/{key}/reissue`: correct and re-issue at version + 1.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/{key}/reissue",
    params(("key" = String, Path, description = "Identifier, file number or province identifier")),
    request_body = CorrectionBody,
    responses(
        (status = 200, description = "Done", body = Answer<LicenseView>),
    )
)]
pub async fn reissue(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(key): Path<String>,
    Body(b): Body<CorrectionBody>,
) -> Response {
    let correction = Correction {
        certificate_number: b.certificate_number,
        certificate_holder: b.certificate_holder,
        certificate_validate_end: b.certificate_validate_end,
        face: b.face,
        reason: b.reason,
    };
    reply(
        s.admin.reissue(&c, key, correction).await,
        LicenseView::from,
    )
}

/// `POST /admin/licenses/import`: JSON Lines in the import format.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/licenses/import",
    request_body(content = String, content_type = "text/plain", description = "JSON Lines (one license per line in the import format) or CSV (the format's field names as columns, face fields as face.<name>); UTF-8 or GB18030 (any text content type)"),
    responses(
        (status = 200, description = "Done", body = Answer<ImportView>),
    )
)]
pub async fn import(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return crate::routes::body_rejected(e),
    };
    reply(
        s.admin.import_licenses(&c, body.to_vec(), &|_| {}).await,
        ImportView::from,
    )
}

/// `GET /admin/accounts`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/accounts",
    responses(
        (status = 200, description = "Done", body = Answer<Vec<AccountView>>),
    )
)]
pub async fn accounts(State(s): State<AppState>, AdminCaller(c): AdminCaller) -> Response {
    reply(s.admin.accounts(&c).await, |v| {
        v.into_iter().map(AccountView::from).collect::<Vec<_>>()
    })
}

/// `POST /admin/accounts`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts",
    request_body = NewAccountBody,
    responses(
        (status = 200, description = "Done", body = Answer<AccountView>),
    )
)]
pub async fn create_account(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Body(b): Body<NewAccountBody>,
) -> Response {
    let mut roles = Vec::new();
    for r in &b.roles {
        match Role::from_name(r) {
            Some(role) => roles.push(role),
            None => {
                return unparseable(format!("unknown role {r}"));
            }
        }
    }
    let new = NewAccount {
        username: b.username,
        password: b.password,
        roles,
        cert_types: b.cert_types,
        department: b.department,
        holder_search_per_minute: b.holder_search_per_minute,
        rate_limit_per_minute: b.rate_limit_per_minute,
    };
    reply(s.admin.create_account(&c, new).await, AccountView::from)
}

/// `POST /admin/accounts/{username}/password`: sets the password and ends every token of
/// the account.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts/{username}/password",
    params(("username" = String, Path)),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
    )
)]
pub async fn set_password(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(username): Path<String>,
    Body(b): Body<PasswordBody>,
) -> Response {
    reply(s.admin.set_password(&c, username, b.password).await, |()| {
        serde_json::Value::Null
    })
}

/// `POST /admin/accounts/{username}/enabled`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/accounts/{username}/enabled",
    params(("username" = String, Path)),
    request_body = EnabledBody,
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
    )
)]
pub async fn set_enabled(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(username): Path<String>,
    Body(b): Body<EnabledBody>,
) -> Response {
    reply(
        s.admin.set_account_enabled(&c, username, b.enabled).await,
        |()| serde_json::Value::Null,
    )
}

/// `GET /admin/clients`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/clients",
    responses(
        (status = 200, description = "Done", body = Answer<Vec<String>>),
    )
)]
pub async fn clients(State(s): State<AppState>, AdminCaller(c): AdminCaller) -> Response {
    reply(s.admin.clients(&c).await, |v| v)
}

/// `POST /admin/clients`.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/clients",
    request_body = NewClientBody,
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
    )
)]
pub async fn add_client(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Body(b): Body<NewClientBody>,
) -> Response {
    reply(s.admin.add_client(&c, b.client_id, b.secret).await, |()| {
        serde_json::Value::Null
    })
}

/// `DELETE /admin/clients/{client_id}`: removes the client; its tokens end at once.
#[utoipa::path(
    delete,
    path = "/license-api-release/admin/clients/{client_id}",
    params(("client_id" = String, Path)),
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
    )
)]
pub async fn remove_client(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(client_id): Path<String>,
) -> Response {
    reply(s.admin.remove_client(&c, client_id).await, |()| {
        serde_json::Value::Null
    })
}

/// `GET /admin/cert-types`.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/cert-types",
    responses(
        (status = 200, description = "Done", body = Answer<Vec<CertTypeSettingsView>>),
    )
)]
pub async fn cert_types(State(s): State<AppState>, AdminCaller(c): AdminCaller) -> Response {
    reply(s.admin.cert_types(&c).await, |v| {
        v.into_iter()
            .map(CertTypeSettingsView::from)
            .collect::<Vec<_>>()
    })
}

/// `PUT /admin/cert-types/{code}`.
#[utoipa::path(
    put,
    path = "/license-api-release/admin/cert-types/{code}",
    params(("code" = String, Path, description = "21-character cert-type code")),
    request_body = CertTypeBody,
    responses(
        (status = 200, description = "Done", body = Answer<Option<String>>),
    )
)]
pub async fn set_cert_type(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(code): Path<String>,
    Body(b): Body<CertTypeBody>,
) -> Response {
    let settings = CertTypeSettings {
        code,
        published: b.published,
        verify_fields: b.verify_fields,
    };
    reply(s.admin.set_cert_type(&c, settings).await, |()| {
        serde_json::Value::Null
    })
}

/// `GET /admin/audit`: the audit log, newest first.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/audit",
    params(AuditSearch),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<AuditView>>),
    )
)]
pub async fn audit(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AdminQuery(q): AdminQuery<AuditSearch>,
) -> Response {
    let query = (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let interface = match blank_to_none(q.interface) {
            None => None,
            Some(label) => Some(Interface::from_label(&label).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    format!("unknown interface {label}"),
                )
            })?),
        };
        Ok(AuditQuery {
            from: time("from", q.from.as_deref())?,
            until: time("until", q.until.as_deref())?,
            username: blank_to_none(q.username),
            interface,
            license: blank_to_none(q.license),
            holder_code: blank_to_none(q.holder_code)
                .map(|c| license_core::normalize_holder_code(&c)),
            outcome: match blank_to_none(q.code) {
                None => None,
                Some(c) => Some(AuditOutcome::parse(&c).ok_or_else(|| {
                    ServiceError::new(
                        ReturnCode::Unparseable,
                        format!("code must be a return code or failed, not {c}"),
                    )
                })?),
            },
            offset,
            limit,
        })
    })();
    let r = match query {
        Ok(q) => s.admin.audit_log(&c, q).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, AuditView::from))
}

/// `GET /admin/outbox`: a city's pushes to its province, newest first.
#[utoipa::path(
    get,
    path = "/license-api-release/admin/outbox",
    params(OutboxSearch),
    responses(
        (status = 200, description = "Done", body = Answer<PageView<PushView>>),
    )
)]
pub async fn outbox(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    AdminQuery(q): AdminQuery<OutboxSearch>,
) -> Response {
    let r = match (|| {
        let (offset, limit) = paging(q.page, q.size)?;
        let state = match blank_to_none(q.state) {
            None => None,
            Some(name) => Some(PushState::from_name(&name).ok_or_else(|| {
                ServiceError::new(
                    ReturnCode::Unparseable,
                    "state must be pending, delivered or failed",
                )
            })?),
        };
        Ok((state, offset, limit))
    })() {
        Ok((state, offset, limit)) => s.admin.outbox(&c, state, offset, limit).await,
        Err(e) => Err(e),
    };
    reply(r, |p| page_view(p, PushView::from))
}

/// `POST /admin/outbox/{sequence}/retry`: makes a failed push pending again.
#[utoipa::path(
    post,
    path = "/license-api-release/admin/outbox/{sequence}/retry",
    params(("sequence" = u64, Path, description = "The push's sequence")),
    responses(
        (status = 200, description = "Done"),
    )
)]
pub async fn retry_push(
    State(s): State<AppState>,
    AdminCaller(c): AdminCaller,
    Path(sequence): Path<String>,
) -> Response {
    let r = match sequence.trim().parse::<u64>() {
        Ok(n) => s.admin.retry_push(&c, n).await,
        Err(_) => Err(ServiceError::new(
            ReturnCode::Unparseable,
            "sequence must be a positive integer",
        )),
    };
    reply(r, |()| serde_json::Value::Null)
}
