//! The console's license pages: search, one license with its face, history and usage, state
//! changes, re-issue, the issue form per cert type and import.

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use license_core::admin::{ADMIN_CHANGE, ADMIN_READ, Correction, NewLicense, StateChange};
use license_core::ports::{AuditEvent, AuditQuery, LicenseFilter};
use license_core::service::Caller;
use license_core::{Interface, License, LicenseState, LicenseStatus, ReturnCode, ServiceError};
use license_dict::{cert_types, holder_code_types};
use tokio_stream::StreamExt;

use super::forms::FormData;
use super::session::{Change, Operator};
use super::views::*;
use super::{failed, path};
use crate::routes::AppState;

/// Rows of a console listing.
pub(super) const PAGE_SIZE: u64 = 20;

/// The 1-based page a query asks for.
pub(super) fn page_of(q: &FormData) -> u64 {
    q.get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(MAX_PAGE)
}

/// The last page a listing goes to (a bound on the offset a query string can ask for).
const MAX_PAGE: u64 = 1_000_000;

/// A query string of the given fields (blank ones left out) and a page.
pub(super) fn query_string(fields: &[(&str, &str)], page: u64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    s.finish()
}

fn type_options(selected: &str) -> Vec<TypeOption> {
    cert_types()
        .distinct_codes()
        .map(|code| TypeOption {
            code: code.to_owned(),
            name: format!(
                "{}（{code}）",
                cert_types().primary_name(code).unwrap_or_default()
            ),
            selected: code == selected,
        })
        .collect()
}

/// The class of a status on the pages: ok, warn or bad.
pub(super) fn status_class(s: LicenseStatus) -> &'static str {
    match s {
        LicenseStatus::Valid => "ok",
        LicenseStatus::Revoked | LicenseStatus::Expired => "bad",
        LicenseStatus::Suspended | LicenseStatus::NotActivated => "warn",
    }
}

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `GET /console/licenses`: by identifier or file number straight to the license; else by
/// holder code, number, cert type and state, personal data masked.
pub(super) async fn search(
    State(s): State<AppState>,
    op: Operator,
    RawQuery(q): RawQuery,
) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let chrome = op.chrome.at("licenses");
    if let Some(key) = q.text("key") {
        return match s.admin.license(&op.caller, key).await {
            Ok(l) => Redirect::to(&path(&format!(
                "/licenses/{}",
                urlencode(l.identifier.as_ref())
            )))
            .into_response(),
            Err(e) => failed(&chrome, e),
        };
    }
    let page_no = page_of(&q);
    let state = q.text("state").and_then(|s| LicenseState::from_name(&s));
    let type_code = q.text("certTypeCode").unwrap_or_default();
    let filter = LicenseFilter {
        holder_code: q
            .text("holderCode")
            .map(|c| license_core::normalize_holder_code(&c)),
        cert_type_code: (!type_code.is_empty()).then(|| type_code.clone()),
        issue_dept_code: None,
        state,
        certificate_number: q.text("number"),
        offset: (page_no - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let found = match s.admin.search_licenses(&op.caller, filter).await {
        Ok(p) => p,
        Err(e) => return failed(&chrome, e),
    };
    let holder_code = q.text("holderCode").unwrap_or_default();
    let number = q.text("number").unwrap_or_default();
    let state_name = state.map(LicenseState::name).unwrap_or_default();
    let link = |n| {
        path(&format!(
            "/licenses?{}",
            query_string(
                &[
                    ("holderCode", &holder_code),
                    ("number", &number),
                    ("certTypeCode", &type_code),
                    ("state", state_name),
                ],
                n
            )
        ))
    };
    let today = chrono::Utc::now().date_naive();
    page(
        StatusCode::OK,
        &LicensesPage {
            key: String::new(),
            types: type_options(&type_code),
            states: LicenseState::ALL
                .into_iter()
                .map(|st| Choice {
                    value: st.name().into(),
                    label: st.label().into(),
                    selected: Some(st) == state,
                })
                .collect(),
            rows: found
                .items
                .iter()
                .map(|l| LicenseRow {
                    identifier: l.identifier.to_string(),
                    file_number: l.file_number.clone(),
                    name: l.certificate_name.clone(),
                    number: l.certificate_number.clone(),
                    holder: mask_name(&l.holder),
                    holder_code: mask_code(&l.holder_code),
                    state: l.status_on(today).label().into(),
                    issue_date: day(l.issue_date),
                })
                .collect(),
            pager: Pager::new(page_no, PAGE_SIZE, found.total, link),
            holder_code,
            number,
            searched: true,
            chrome,
        },
    )
}

/// A path segment, percent-encoded.
pub(super) fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// An audited call as the pages show it; `mask` hides the holder code (lists).
pub(super) fn usage_row(e: &AuditEvent, mask: bool) -> UsageRow {
    let ctx = e.context.as_ref();
    // An operator's action says what and why in its matter name.
    let operator = ctx.is_some_and(|c| c.event_code == ADMIN_CHANGE || c.event_code == ADMIN_READ);
    let reason = e
        .purpose
        .clone()
        .or_else(|| ctx.filter(|_| !operator).map(|c| c.copy_cause.clone()))
        .unwrap_or_default();
    UsageRow {
        at: beijing(e.at),
        account: e.username.clone().unwrap_or_default(),
        system: ctx.map(|c| c.system_name.clone()).unwrap_or_default(),
        matter: ctx.map(|c| c.matter_name.clone()).unwrap_or_default(),
        reason,
        interface: e.interface.label().to_owned(),
        outcome: format!("{} {}", e.code.code(), e.code.message()),
        ok: e.code == ReturnCode::Success,
        holder_code: e
            .holder_code
            .as_deref()
            .map(|c| if mask { mask_code(c) } else { c.to_owned() })
            .unwrap_or_default(),
        licenses: e.licenses.clone(),
        request_id: e.request_id.clone(),
        client_addr: e.client_addr.clone().unwrap_or_default(),
    }
}

/// What the last action on a license did (`?done=`).
fn done_message(q: &FormData) -> Option<String> {
    Some(
        match q.get("done")? {
            "issued" => "证照已签发。",
            "state" => "状态已变更。",
            "reissued" => "证照已更正并重新签发。",
            _ => return None,
        }
        .to_owned(),
    )
}

/// `GET /console/licenses/{key}`: the license in full (the viewing is audited), its face,
/// its changes and every call that touched it, newest first, paged.
pub(super) async fn license(
    State(s): State<AppState>,
    op: Operator,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let mut chrome = op.chrome.at("licenses");
    chrome.flash = done_message(&q);
    let l = match s.admin.license(&op.caller, key).await {
        Ok(l) => l,
        Err(e) => return failed(&chrome, e),
    };
    let id = l.identifier.to_string();
    let page_no = page_of(&q);
    let usage = match s
        .admin
        .audit_log(
            &op.caller,
            AuditQuery {
                license: Some(id.clone()),
                offset: (page_no - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
                ..AuditQuery::default()
            },
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return failed(&chrome, e),
    };
    let history = match changes(&s, &op, &id).await {
        Ok(h) => h,
        Err(e) => return failed(&chrome, e),
    };
    let status = l.status_on(chrome_today());
    let link = |n| path(&format!("/licenses/{}?page={n}#usage", urlencode(&id)));
    page(
        StatusCode::OK,
        &LicensePage {
            key: id.clone(),
            title: l.certificate_name.clone(),
            state: status.label().into(),
            state_class: status_class(status),
            fields: fields(&l),
            face: l
                .face
                .iter()
                .map(|(k, v)| Field {
                    label: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            pages: 1,
            changes: StateChange::ALL
                .into_iter()
                .map(|c| Choice {
                    value: c.name().into(),
                    label: c.label().into(),
                    selected: false,
                })
                .collect(),
            history,
            usage: usage.items.iter().map(|e| usage_row(e, false)).collect(),
            pager: Pager::new(page_no, PAGE_SIZE, usage.total, link),
            number: l.certificate_number.clone(),
            holder: l.holder.clone(),
            validate_end: l.validity.end.map(day).unwrap_or_default(),
            chrome,
        },
    )
}

/// Administrators' calls on a license read per page, and the most read, in search of its
/// changes among its views.
const HISTORY_PAGE: u64 = 500;
const HISTORY_PAGES: u64 = 20;

/// The changes operators made to a license (event code `admin-change`), newest first, found
/// among every administrator's call on it.
async fn changes(s: &AppState, op: &Operator, id: &str) -> Result<Vec<UsageRow>, ServiceError> {
    let mut out = Vec::new();
    for n in 0..HISTORY_PAGES {
        let page = s
            .admin
            .audit_log(
                &op.caller,
                AuditQuery {
                    license: Some(id.to_owned()),
                    interface: Some(Interface::Admin),
                    offset: n * HISTORY_PAGE,
                    limit: HISTORY_PAGE,
                    ..AuditQuery::default()
                },
            )
            .await?;
        out.extend(
            page.items
                .iter()
                .filter(|e| {
                    e.context
                        .as_ref()
                        .is_some_and(|c| c.event_code == ADMIN_CHANGE)
                })
                .map(|e| usage_row(e, false)),
        );
        if (n + 1) * HISTORY_PAGE >= page.total {
            break;
        }
    }
    Ok(out)
}

fn chrome_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .date_naive()
}

fn fields(l: &License) -> Vec<Field> {
    let f = |label: &str, value: String| Field {
        label: label.into(),
        value,
    };
    vec![
        f("证照标识", l.identifier.to_string()),
        f("文件编号", l.file_number.clone()),
        f(
            "省级标识",
            l.province_identifier.clone().unwrap_or_default(),
        ),
        f("证照类型", l.cert_type_code.clone()),
        f("证照编号", l.certificate_number.clone()),
        f("持证主体", l.holder.clone()),
        f("持证主体代码", l.holder_code.clone()),
        f("代码类型", l.holder_code_type.clone()),
        f("颁证单位", l.issue_dept.clone()),
        f("颁证单位代码", l.issue_dept_code.clone()),
        f("颁证日期", day(l.issue_date)),
        f("有效期起始", day(l.validity.start)),
        f(
            "有效期截止",
            l.validity
                .end
                .map(day)
                .unwrap_or_else(|| license_core::license::OPEN_ENDED.into()),
        ),
        f("存储状态", l.state.label().into()),
        f("状态原因", l.state_reason.clone().unwrap_or_default()),
        f(
            "状态变更时间",
            l.state_changed_at.map(beijing).unwrap_or_default(),
        ),
        f("版本", l.version.to_string()),
        f("签发时间", beijing(l.created_at)),
        f("更新时间", beijing(l.updated_at)),
    ]
}

/// `GET /console/licenses/{key}/face.jpg?page=N`: a page of the face.
pub(super) async fn face(
    State(s): State<AppState>,
    op: Operator,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let n: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    match s.admin.face_images(&op.caller, key).await {
        Ok(mut pages) if n < pages.len() => {
            ([(header::CONTENT_TYPE, "image/jpeg")], pages.swap_remove(n)).into_response()
        }
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(e) if e.code == ReturnCode::NotFound => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// `POST /console/licenses/{key}/state`: `change`, `reason`.
pub(super) async fn change_state(
    State(s): State<AppState>,
    Path(key): Path<String>,
    Change { op, form }: Change,
) -> Response {
    let chrome = op.chrome.at("licenses");
    let Some(change) = form.get("change").and_then(StateChange::from_name) else {
        return failed(
            &chrome,
            ServiceError::new(ReturnCode::Unparseable, "未知的状态变更"),
        );
    };
    let reason = form.text("reason").unwrap_or_default();
    match s.admin.change_state(&op.caller, key, change, reason).await {
        Ok(l) => to_license(&l, "state"),
        Err(e) => failed(&chrome, e),
    }
}

fn to_license(l: &License, done: &str) -> Response {
    Redirect::to(&path(&format!(
        "/licenses/{}?done={done}",
        urlencode(l.identifier.as_ref())
    )))
    .into_response()
}

/// `POST /console/licenses/{key}/reissue`: the corrected fields and `reason`.
pub(super) async fn reissue(
    State(s): State<AppState>,
    Path(key): Path<String>,
    Change { op, form }: Change,
) -> Response {
    let chrome = op.chrome.at("licenses");
    let correction = Correction {
        certificate_number: form.text("certificateNumber"),
        certificate_holder: form.text("certificateHolder"),
        certificate_validate_end: form
            .get("certificateValidateEnd")
            .map(|v| v.trim().to_owned()),
        face: None,
        reason: form.text("reason").unwrap_or_default(),
    };
    match s.admin.reissue(&op.caller, key, correction).await {
        Ok(l) => to_license(&l, "reissued"),
        Err(e) => failed(&chrome, e),
    }
}

/// The issue form's inputs: the import format's fields (their names are [`NewLicense`]'s).
const ISSUE_INPUTS: [(&str, &str, bool, &str); 9] = [
    ("certificateName", "证照名称", false, "text"),
    ("certificateNumber", "证照编号", true, "text"),
    ("certificateHolder", "持证主体", true, "text"),
    ("certificateHolderCode", "持证主体代码", true, "text"),
    ("issueDept", "颁证单位", true, "text"),
    (
        "issueDeptCode",
        "颁证单位代码（18 位统一社会信用代码）",
        true,
        "text",
    ),
    ("issueDate", "颁证日期", true, "date"),
    ("certificateValidateStart", "有效期起始", true, "date"),
    (
        "certificateValidateEnd",
        "有效期截止（空为长期）",
        false,
        "date",
    ),
];

/// Blank pairs of face fields the form offers.
const FACE_ROWS: usize = 6;

/// `GET /console/licenses/new?type=CODE`: the issue form of a cert type.
pub(super) async fn issue_form(op: Operator, RawQuery(q): RawQuery) -> Response {
    let q = FormData::parse(q.unwrap_or_default().as_bytes());
    let code = q
        .text("type")
        .filter(|c| cert_types().contains(c))
        .unwrap_or_default();
    issue_page(
        op.chrome.at("licenses"),
        &code,
        &FormData::default(),
        StatusCode::OK,
    )
}

fn issue_page(chrome: Chrome, code: &str, values: &FormData, status: StatusCode) -> Response {
    let name = cert_types()
        .primary_name(code)
        .unwrap_or_default()
        .to_owned();
    let today = day(chrome_today());
    let inputs = ISSUE_INPUTS
        .iter()
        .map(|(n, label, required, kind)| Input {
            name: (*n).into(),
            label: (*label).into(),
            value: values
                .get(n)
                .map(str::to_owned)
                .unwrap_or_else(|| match *n {
                    "certificateName" => name.clone(),
                    "issueDate" | "certificateValidateStart" => today.clone(),
                    _ => String::new(),
                }),
            required: *required,
            kind,
        })
        .collect();
    let holder_type = values.get("certificateHolderType").unwrap_or("111");
    let names = values.all("faceName");
    let vals = values.all("faceValue");
    let face = (0..FACE_ROWS.max(names.len()))
        .map(|i| Field {
            label: names.get(i).cloned().unwrap_or_default(),
            value: vals.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    page(
        status,
        &IssuePage {
            types: type_options(code),
            type_code: code.to_owned(),
            type_name: name,
            inputs,
            holder_types: holder_code_types()
                .rows()
                .iter()
                .map(|h| Choice {
                    value: h.code.clone(),
                    label: format!("{} {}", h.code, h.name),
                    selected: h.code == holder_type,
                })
                .collect(),
            face,
            chrome,
        },
    )
}

/// The license a filled-in issue form describes (through the import format, so the form
/// and a JSON Lines file are read by one rule).
fn new_license(form: &FormData) -> Result<NewLicense, String> {
    let mut m = serde_json::Map::new();
    for name in ["certTypeCode", "certificateHolderType"]
        .into_iter()
        .chain(ISSUE_INPUTS.iter().map(|i| i.0))
    {
        if let Some(v) = form.text(name) {
            m.insert(name.into(), v.into());
        }
    }
    let face: serde_json::Map<String, serde_json::Value> = form
        .all("faceName")
        .into_iter()
        .zip(form.all("faceValue"))
        .filter(|(k, _)| !k.trim().is_empty())
        .map(|(k, v)| (k.trim().to_owned(), v.into()))
        .collect();
    m.insert("face".into(), face.into());
    serde_json::from_value(m.into()).map_err(|e| e.to_string())
}

/// `POST /console/licenses`: issue from the form.
pub(super) async fn issue(State(s): State<AppState>, Change { op, form }: Change) -> Response {
    let mut chrome = op.chrome.at("licenses");
    let code = form.text("certTypeCode").unwrap_or_default();
    let r = match new_license(&form) {
        Ok(new) => s.admin.issue_license(&op.caller, new).await,
        Err(e) => Err(ServiceError::new(ReturnCode::MissingParameter, e)),
    };
    match r {
        Ok(l) => to_license(&l, "issued"),
        Err(e) if e.code == ReturnCode::Unauthorized => failed(&chrome, e),
        Err(e) => {
            chrome.error = Some(e.message());
            issue_page(chrome, &code, &form, StatusCode::BAD_REQUEST)
        }
    }
}

/// `GET /console/licenses/import`.
pub(super) async fn import_form(op: Operator) -> Response {
    page(
        StatusCode::OK,
        &ImportPage {
            chrome: op.chrome.at("licenses"),
            streaming: false,
        },
    )
}

/// Where the import page's progress and results go as they come.
const IMPORT_SLOT: &str = "<!--import-->";

/// The import's page, sent as the import runs: the page up to its progress section, a line
/// each time the platform reports progress (every thousand lines read), then the results
/// (every rejected line with its number and reason) and the rest of the page. The import
/// runs to its end even when the browser goes away.
fn streamed_import(s: AppState, caller: Caller, chrome: Chrome, file: Vec<u8>) -> Response {
    let html = ImportPage {
        chrome,
        streaming: true,
    }
    .render()
    .unwrap_or_default();
    let (head, tail) = html.split_once(IMPORT_SLOT).unwrap_or((&html, ""));
    let (head, tail) = (head.to_owned(), tail.to_owned());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let _ = tx.send(head);
        let _ =
            tx.send("<section class=\"card\" id=\"import-progress\"><h2>导入进度</h2>\n".into());
        let told = tx.clone();
        let tell = move |lines: usize| {
            let _ = told.send(format!("<p class=\"progress\">已读取 {lines} 行…</p>\n"));
        };
        let result = match s.admin.import_licenses(&caller, file, &tell).await {
            Ok(report) => ImportResult {
                lines: report.imported + report.rejected.len(),
                imported: report.imported,
                rejected: report
                    .rejected
                    .into_iter()
                    .map(|r| RejectedRow {
                        line: r.line,
                        reason: r.reason,
                    })
                    .collect(),
                error: None,
            },
            Err(e) => ImportResult {
                lines: 0,
                imported: 0,
                rejected: Vec::new(),
                error: Some(e.message()),
            },
        };
        let _ = tx.send("<p class=\"progress\">已完成。</p></section>\n".into());
        let _ = tx.send(result.render().unwrap_or_default());
        let _ = tx.send(tail);
    });
    let body = axum::body::Body::from_stream(
        tokio_stream::wrappers::UnboundedReceiverStream::new(rx)
            .map(Ok::<_, std::convert::Infallible>),
    );
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(super::POLICY),
    );
    // A proxy in front (nginx) passes the progress on as it comes.
    r.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    r
}

/// `POST /console/licenses/import` (multipart: `csrf`, then `file`): every line imported or
/// rejected with its line number and reason.
pub(super) async fn import(
    State(s): State<AppState>,
    op: Operator,
    mut parts: Multipart,
) -> Response {
    // A session that has ended reads no file: `Operator` checked the token first.
    let mut chrome = op.chrome.at("licenses");
    let mut csrf = FormData::default();
    let mut file = None;
    loop {
        match parts.next_field().await {
            Ok(Some(f)) => match f.name() {
                Some("csrf") => {
                    let v = f.text().await.unwrap_or_default();
                    csrf = FormData::parse(format!("csrf={}", urlencode(&v)).as_bytes());
                }
                Some("file") if op.csrf_ok(&csrf) => match f.bytes().await {
                    Ok(b) => file = Some(b),
                    Err(e) => {
                        return failed(
                            &chrome,
                            ServiceError::new(ReturnCode::Unparseable, e.to_string()),
                        );
                    }
                },
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                return failed(
                    &chrome,
                    ServiceError::new(ReturnCode::Unparseable, e.to_string()),
                );
            }
        }
    }
    if !op.csrf_ok(&csrf) {
        return refused(&chrome);
    }
    let Some(bytes) = file else {
        chrome.error = Some("请选择要导入的文件。".into());
        return page(
            StatusCode::BAD_REQUEST,
            &ImportPage {
                chrome,
                streaming: false,
            },
        );
    };
    streamed_import(s, op.caller, chrome, bytes.to_vec())
}
