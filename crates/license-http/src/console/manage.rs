//! The console's pages for running the node: the overview, accounts and OAuth clients, cert
//! types, the audit log and its CSV export, the province outbox and the keys.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDateTime, TimeZone};
use license_core::admin::NewAccount;
use license_core::ports::{AuditOutcome, AuditQuery, AuditRecord, CertTypeSettings, PushState};
use license_core::service::CollectOperation;
use license_core::{Interface, ReturnCode, Role, ServiceError};

use super::forms::FormData;
use super::licenses::{PAGE_SIZE, page_of, query_string, usage_row};
use super::session::{Change, Operator};
use super::views::*;
use super::{failed, path};
use crate::routes::AppState;

/// `GET /console/`: today's calls by interface and code, the outbox, the node.
pub(super) async fn overview(State(s): State<AppState>, op: Operator) -> Response {
    let chrome = op.chrome.at("overview");
    let o = match s.admin.overview(&op.caller).await {
        Ok(o) => o,
        Err(e) => return failed(&chrome, e),
    };
    let total = o.calls.iter().map(|c| c.calls).sum();
    let failures = o
        .calls
        .iter()
        .filter(|c| c.code != ReturnCode::Success)
        .map(|c| c.calls)
        .sum();
    page(
        StatusCode::OK,
        &OverviewPage {
            since: beijing(o.since),
            rows: o
                .calls
                .iter()
                .map(|c| CallRow {
                    interface: c.interface.label().into(),
                    code: c.code.code().to_string(),
                    message: c.code.message().into(),
                    calls: c.calls,
                    failed: c.code != ReturnCode::Success,
                })
                .collect(),
            total,
            failures,
            outbox_pending: o.outbox_pending,
            outbox_failed: o.outbox_failed,
            outbox_oldest: o.outbox_oldest.map(beijing).unwrap_or_else(|| "无".into()),
            database_ready: o.database_ready,
            chrome,
        },
    )
}

/// A role in the console's words.
fn role_label(r: Role) -> &'static str {
    match r {
        Role::Search => "主体查询 search",
        Role::Info => "信息查询 info",
        Role::View => "照面查看 view",
        Role::Download => "下载 download",
        Role::Verify => "核验 verify",
        Role::Sync => "省市同步 sync",
        Role::Admin => "管理 admin",
    }
}

/// A secret made for the operator to hand over: 24 characters from a random UUID.
fn new_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..24].to_owned()
}

async fn accounts_page(
    s: &AppState,
    op: &Operator,
    mut chrome: Chrome,
    secret: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let accounts = match s.admin.accounts(&op.caller).await {
        Ok(a) => a,
        Err(e) => return failed(&chrome, e),
    };
    let clients = match s.admin.clients(&op.caller).await {
        Ok(c) => c,
        Err(e) => return failed(&chrome, e),
    };
    let default = |v: Option<u32>| v.map_or_else(|| "默认".to_owned(), |v| v.to_string());
    chrome.nav = "accounts";
    page(
        status,
        &AccountsPage {
            accounts: accounts
                .into_iter()
                .map(|a| AccountRow {
                    roles: a
                        .roles
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    cert_types: if a.cert_types.is_empty() {
                        "全部".into()
                    } else {
                        a.cert_types.join(", ")
                    },
                    department: a.department.unwrap_or_default(),
                    rate_limit: default(a.rate_limit_per_minute),
                    holder_limit: default(a.holder_search_per_minute),
                    enabled: a.enabled,
                    username: a.username,
                })
                .collect(),
            clients,
            roles: Role::ALL
                .into_iter()
                .map(|r| Choice {
                    value: r.name().into(),
                    label: role_label(r).into(),
                    selected: false,
                })
                .collect(),
            secret,
            chrome,
        },
    )
}

/// `GET /console/accounts`.
pub(super) async fn accounts(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(q): RawQuery,
) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let mut chrome = op.chrome.at("accounts");
    chrome.flash = match q.get("done") {
        Some("enabled") => Some("账号已启用。".into()),
        Some("disabled") => Some("账号已停用，其令牌已全部失效。".into()),
        Some("removed") => Some("客户端已删除，其令牌已全部失效。".into()),
        _ => None,
    };
    accounts_page(&s, &op, chrome, None, StatusCode::OK).await
}

/// An optional per-minute limit of a form: blank is the node's default.
fn limit(form: &FormData, name: &str) -> Result<Option<u32>, ServiceError> {
    form.text(name)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                ServiceError::new(ReturnCode::Unparseable, format!("{name} 须为非负整数"))
            })
        })
        .transpose()
}

/// `POST /console/accounts`: a new account with a password made now and shown once.
pub(super) async fn create_account(
    State(s): State<AppState>,
    Change { op, form }: Change,
) -> Response {
    let chrome = op.chrome.at("accounts");
    let password = new_secret();
    let account = (|| {
        let roles = form
            .all("roles")
            .iter()
            .map(|r| {
                Role::from_name(r).ok_or_else(|| {
                    ServiceError::new(ReturnCode::Unparseable, format!("未知角色 {r}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, ServiceError>(NewAccount {
            username: form.text("username").unwrap_or_default(),
            password: password.clone(),
            roles,
            cert_types: form
                .text("certTypes")
                .map(|t| {
                    t.split([',', '，', ' '])
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            department: form.text("department"),
            holder_search_per_minute: limit(&form, "holderSearchPerMinute")?,
            rate_limit_per_minute: limit(&form, "rateLimitPerMinute")?,
        })
    })();
    let r = match account {
        Ok(a) => s.admin.create_account(&op.caller, a).await,
        Err(e) => Err(e),
    };
    let shown = r.map(|a| (format!("账号 {} 的初始密码", a.username), password));
    created(&s, &op, chrome, shown).await
}

/// The accounts page after something was created with a secret: the secret shown this once,
/// or why it was not created above the forms.
async fn created(
    s: &AppState,
    op: &Operator,
    mut chrome: Chrome,
    r: Result<(String, String), ServiceError>,
) -> Response {
    match r {
        Ok(secret) => accounts_page(s, op, chrome, Some(secret), StatusCode::OK).await,
        Err(e) if e.code == ReturnCode::Unauthorized => failed(&chrome, e),
        Err(e) => {
            chrome.error = Some(e.message());
            accounts_page(s, op, chrome, None, StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /console/accounts/{name}/enabled`: `enabled` = `true` | `false`.
pub(super) async fn set_enabled(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Change { op, form }: Change,
) -> Response {
    let chrome = op.chrome.at("accounts");
    let enabled = form.get("enabled") == Some("true");
    match s.admin.set_account_enabled(&op.caller, name, enabled).await {
        Ok(()) => Redirect::to(&path(if enabled {
            "/accounts?done=enabled"
        } else {
            "/accounts?done=disabled"
        }))
        .into_response(),
        Err(e) => failed(&chrome, e),
    }
}

/// `POST /console/accounts/{name}/password`: a new password, shown once; the account's
/// tokens end at once.
pub(super) async fn reset_password(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Change { op, form: _ }: Change,
) -> Response {
    let chrome = op.chrome.at("accounts");
    // A new password ends every session of its account, this one too, before it is shown.
    if name.trim() == op.chrome.operator {
        return failed(
            &chrome,
            ServiceError::new(
                ReturnCode::Unparseable,
                "不能在控制台重置当前登录账号的密码：请由其他管理员重置，或在节点上使用 licensed account passwd",
            ),
        );
    }
    let password = new_secret();
    match s
        .admin
        .set_password(&op.caller, name.clone(), password.clone())
        .await
    {
        Ok(()) => {
            let secret = (
                format!("账号 {name} 的新密码（原令牌已全部失效）"),
                password,
            );
            accounts_page(&s, &op, chrome, Some(secret), StatusCode::OK).await
        }
        Err(e) => failed(&chrome, e),
    }
}

/// `POST /console/clients`: a new OAuth client with a secret made now and shown once.
pub(super) async fn add_client(State(s): State<AppState>, Change { op, form }: Change) -> Response {
    let chrome = op.chrome.at("accounts");
    let id = form.text("clientId").unwrap_or_default();
    let secret = new_secret();
    let r = s
        .admin
        .add_client(&op.caller, id.clone(), secret.clone())
        .await;
    let shown = r.map(|()| (format!("客户端 {id} 的密钥"), secret));
    created(&s, &op, chrome, shown).await
}

/// `POST /console/clients/{id}/remove`.
pub(super) async fn remove_client(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Change { op, form: _ }: Change,
) -> Response {
    let chrome = op.chrome.at("accounts");
    match s.admin.remove_client(&op.caller, id).await {
        Ok(()) => Redirect::to(&path("/accounts?done=removed")).into_response(),
        Err(e) => failed(&chrome, e),
    }
}

/// Fields a verification commonly requires (API.md 4.3.4); any face field's name serves too.
const VERIFY_FIELDS: [&str; 4] = [
    license_core::params::CERTIFICATE_NUMBER,
    license_core::params::CERTIFICATE_HOLDER_CODE,
    "certificateHolder",
    "certificateName",
];

/// `GET /console/cert-types`.
pub(super) async fn cert_types(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(q): RawQuery,
) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let mut chrome = op.chrome.at("cert-types");
    if let Some(code) = q.text("saved") {
        chrome.flash = Some(format!("证照类型 {code} 已保存。"));
    }
    match s.admin.cert_types(&op.caller).await {
        Ok(types) => page(
            StatusCode::OK,
            &CertTypesPage {
                rows: types
                    .into_iter()
                    .map(|t| CertTypeRow {
                        code: t.settings.code,
                        name: t.name,
                        published: t.settings.published,
                        fields: t.settings.verify_fields.join(","),
                    })
                    .collect(),
                known_fields: VERIFY_FIELDS.join(", "),
                chrome,
            },
        ),
        Err(e) => failed(&chrome, e),
    }
}

/// `POST /console/cert-types/{code}`: `published` (a check box) and `verifyFields`.
pub(super) async fn set_cert_type(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Change { op, form }: Change,
) -> Response {
    let chrome = op.chrome.at("cert-types");
    let verify_fields: Vec<String> = form
        .get("verifyFields")
        .unwrap_or_default()
        .split([',', '，', ' '])
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    let settings = CertTypeSettings {
        code: code.clone(),
        published: form.get("published") == Some("true"),
        verify_fields,
    };
    match s.admin.set_cert_type(&op.caller, settings).await {
        Ok(()) => Redirect::to(&path(&format!(
            "/cert-types?saved={}",
            super::licenses::urlencode(&code)
        )))
        .into_response(),
        Err(e) => failed(&chrome, e),
    }
}

/// A `datetime-local` value (Beijing time) as a moment.
fn moment(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    chrono::FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The audit query a search form describes.
fn audit_query(q: &FormData) -> Result<AuditQuery, ServiceError> {
    let time = |name: &str| -> Result<_, ServiceError> {
        q.text(name)
            .map(|v| {
                moment(&v).ok_or_else(|| {
                    ServiceError::new(ReturnCode::Unparseable, format!("时间 {v} 无法识别"))
                })
            })
            .transpose()
    };
    Ok(AuditQuery {
        from: time("from")?,
        until: time("until")?,
        username: q.text("account"),
        interface: q.text("interface").and_then(|i| Interface::from_label(&i)),
        license: q.text("license"),
        holder_code: q
            .text("holder")
            .map(|c| license_core::normalize_holder_code(&c)),
        outcome: q.get("outcome").and_then(AuditOutcome::parse),
        offset: 0,
        limit: PAGE_SIZE,
    })
}

const AUDIT_FIELDS: [&str; 7] = [
    "from",
    "until",
    "account",
    "license",
    "holder",
    "interface",
    "outcome",
];

/// `GET /console/audit`: by time, account, license, holder code, interface and outcome;
/// holder codes masked.
pub(super) async fn audit(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let chrome = op.chrome.at("audit");
    let page_no = page_of(&q);
    let mut query = match audit_query(&q) {
        Ok(a) => a,
        Err(e) => return failed(&chrome, e),
    };
    query.offset = (page_no - 1) * PAGE_SIZE;
    let found = match s.admin.audit_log(&op.caller, query.clone()).await {
        Ok(p) => p,
        Err(e) => return failed(&chrome, e),
    };
    let kept: Vec<(&str, String)> = AUDIT_FIELDS
        .iter()
        .map(|f| (*f, q.text(f).unwrap_or_default()))
        .collect();
    let pairs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let link = |n| path(&format!("/audit?{}", query_string(&pairs, n)));
    let value = |f: &str| q.text(f).unwrap_or_default();
    page(
        StatusCode::OK,
        &AuditPage {
            from: value("from"),
            until: value("until"),
            account: value("account"),
            license: value("license"),
            holder: value("holder"),
            interfaces: Interface::ALL
                .into_iter()
                .map(|i| Choice {
                    value: i.label().into(),
                    label: i.label().into(),
                    selected: query.interface == Some(i),
                })
                .collect(),
            // Every failure, then each code.
            outcomes: std::iter::once(Choice {
                value: "failed".into(),
                label: "全部失败".into(),
                selected: query.outcome == Some(AuditOutcome::Failed),
            })
            .chain(ReturnCode::ALL.into_iter().map(|c| Choice {
                value: c.code().to_string(),
                label: format!("{} {}", c.code(), c.message()),
                selected: query.outcome == Some(AuditOutcome::Code(c)),
            }))
            .collect(),
            rows: found.items.iter().map(|e| usage_row(e, true)).collect(),
            pager: Pager::new(page_no, PAGE_SIZE, found.total, link),
            csv: path(&format!("/audit.csv?{}", query_string(&pairs, 1))),
            chrome,
        },
    )
}

/// Most rows one CSV export holds; a narrower search exports the rest.
const CSV_MAX_ROWS: u64 = 100_000;

/// `GET /console/audit.csv`: the search's records (newest first), the columns of
/// `licensed audit export --format csv`, with a byte-order mark for spreadsheet software.
pub(super) async fn audit_csv(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let chrome = op.chrome.at("audit");
    let mut query = match audit_query(&q) {
        Ok(a) => a,
        Err(e) => return failed(&chrome, e),
    };
    query.limit = CSV_MAX_ROWS;
    let found = match s.admin.audit_log(&op.caller, query).await {
        Ok(p) => p,
        Err(e) => return failed(&chrome, e),
    };
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut written = out.write_record(crate::admin::AUDIT_CSV_COLUMNS);
    for e in found.items {
        if written.is_ok() {
            let cells = crate::admin::audit_csv_cells(&AuditRecord::from(e));
            written = out.write_record(cells.iter().map(|c| inert(c).into_owned()));
        }
    }
    match (written, out.into_inner()) {
        (Ok(()), Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=audit.csv",
                ),
            ],
            bytes,
        )
            .into_response(),
        _ => failed(
            &chrome,
            ServiceError::new(ReturnCode::Other, "the CSV could not be written"),
        ),
    }
}

/// A cell a spreadsheet will not run: one that would start a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return; callers choose some of these values) gets a `'` before it.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn push_state_label(s: PushState) -> &'static str {
    match s {
        PushState::Pending => "待发送",
        PushState::Delivered => "已送达",
        PushState::Failed => "失败",
    }
}

fn operation_label(o: CollectOperation) -> &'static str {
    match o {
        CollectOperation::Create => "新增",
        CollectOperation::Update => "更新",
        CollectOperation::Revoke => "废止",
    }
}

/// `GET /console/outbox?state=`: the pushes to the province, newest first.
pub(super) async fn outbox(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = FormData::parse(raw.unwrap_or_default().as_bytes());
    let mut chrome = op.chrome.at("outbox");
    if let Some(n) = q.text("retried") {
        chrome.flash = Some(format!("推送 {n} 已重新排队，将尽快发送。"));
    }
    let state = q.text("state").and_then(|v| PushState::from_name(&v));
    let page_no = page_of(&q);
    let found = match s
        .admin
        .outbox(&op.caller, state, (page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        .await
    {
        Ok(p) => p,
        Err(e) => return failed(&chrome, e),
    };
    let state_name = state.map(PushState::name).unwrap_or_default();
    let link = |n| {
        path(&format!(
            "/outbox?{}",
            query_string(&[("state", state_name)], n)
        ))
    };
    page(
        StatusCode::OK,
        &OutboxPage {
            states: PushState::ALL
                .into_iter()
                .map(|st| Choice {
                    value: st.name().into(),
                    label: push_state_label(st).into(),
                    selected: Some(st) == state,
                })
                .collect(),
            rows: found
                .items
                .into_iter()
                .map(|p| PushRow {
                    sequence: p.sequence,
                    operation: operation_label(p.push.operation).into(),
                    license: p.push.license.clone(),
                    state: push_state_label(p.state).into(),
                    failed: p.state == PushState::Failed,
                    attempts: p.attempts,
                    at: beijing(p.push.at),
                    next: if p.state == PushState::Pending {
                        beijing(p.next_attempt_at)
                    } else {
                        String::new()
                    },
                    error: p.last_error.unwrap_or_default(),
                })
                .collect(),
            pager: Pager::new(page_no, PAGE_SIZE, found.total, link),
            chrome,
        },
    )
}

/// `POST /console/outbox/{sequence}/retry`.
pub(super) async fn retry_push(
    State(s): State<AppState>,
    Path(sequence): Path<u64>,
    Change { op, form: _ }: Change,
) -> Response {
    let chrome = op.chrome.at("outbox");
    match s.admin.retry_push(&op.caller, sequence).await {
        Ok(()) => Redirect::to(&path(&format!("/outbox?retried={sequence}"))).into_response(),
        Err(e) => failed(&chrome, e),
    }
}

/// `GET /console/keys`: the node's certificate and the ones it trusts.
pub(super) async fn keys(State(s): State<AppState>, op: Operator) -> Response {
    page(
        StatusCode::OK,
        &KeysPage {
            chrome: op.chrome.at("keys"),
            keys: s.console.keys.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_start_no_formula() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("-1"), "'-1");
        assert_eq!(inert("hall-system"), "hall-system");
        assert_eq!(inert(""), "");
    }

    #[test]
    fn times_are_read_in_beijing() {
        let t = moment("2026-12-07T08:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-07T00:30:00+00:00");
        assert!(moment("yesterday").is_none());
    }
}
