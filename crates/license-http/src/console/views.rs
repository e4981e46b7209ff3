//! The console's pages (`templates/console/`, checked when the crate compiles) and what they
//! share: the frame around every page, Beijing time, masking and paging.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, Utc};

use super::session::{ConsoleInfo, KeyView};
use super::{html, path};

/// What every page around its content shows: who is signed in, the node, the CSRF token its
/// forms carry, and a message of the last action.
#[derive(Debug, Clone, Default)]
pub(super) struct Chrome {
    /// The operator's account.
    pub operator: String,
    /// The CSRF token.
    pub csrf: String,
    /// The build's version.
    pub version: String,
    /// 市级节点 or 省级节点.
    pub role: String,
    /// The console's root path.
    pub root: String,
    /// The page's menu entry.
    pub nav: &'static str,
    /// What the last action did.
    pub flash: Option<String>,
    /// Why the last action failed.
    pub error: Option<String>,
}

impl Chrome {
    pub fn new(info: &ConsoleInfo, operator: String, csrf: String) -> Self {
        Chrome {
            operator,
            csrf,
            version: info.version.clone(),
            role: role_label(&info.role).to_owned(),
            root: path(""),
            ..Chrome::default()
        }
    }

    /// The frame of a page in the menu entry `nav`.
    pub fn at(&self, nav: &'static str) -> Self {
        Chrome {
            nav,
            ..self.clone()
        }
    }
}

fn role_label(role: &str) -> &'static str {
    if role == "province" {
        "省级节点"
    } else {
        "市级节点"
    }
}

/// A time in Beijing time, to the second.
pub(super) fn beijing(t: DateTime<Utc>) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(super) use crate::page::{mask_code, mask_name};

/// A page of a listing: where it is and the links to its neighbours.
#[derive(Debug, Clone, Default)]
pub(super) struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `page` (1-based) of `total` rows `size` a page; `link(n)` is page n's address.
    pub fn new(page: u64, size: u64, total: u64, link: impl Fn(u64) -> String) -> Self {
        let pages = total.div_ceil(size.max(1)).max(1);
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// A page rendered (rendering fails only when a value's `Display` does, which none of these
/// do).
pub(super) fn page(status: StatusCode, t: &impl Template) -> Response {
    html(status, t.render().unwrap_or_default())
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct Login<'a> {
    root: String,
    csrf: &'a str,
    username: &'a str,
    message: Option<String>,
    version: &'a str,
}

/// The sign-in page.
pub(super) fn login(
    info: &ConsoleInfo,
    csrf: &str,
    username: &str,
    message: Option<String>,
) -> String {
    Login {
        root: path(""),
        csrf,
        username,
        message,
        version: &info.version,
    }
    .render()
    .unwrap_or_default()
}

/// A notice in the frame (a refused form, a failure with nothing else to show).
#[derive(Template)]
#[template(path = "console/notice.html")]
pub(super) struct Notice {
    pub chrome: Chrome,
    pub title: String,
}

/// The answer to a form whose CSRF token is not the session's.
pub(super) fn refused(chrome: &Chrome) -> Response {
    let mut chrome = chrome.at("");
    chrome.error = Some("页面已过期或来源不明，操作未执行。请刷新页面后重试。".into());
    page(
        StatusCode::FORBIDDEN,
        &Notice {
            chrome,
            title: "操作未执行".into(),
        },
    )
}

/// One row of the overview's table of calls.
pub(super) struct CallRow {
    pub interface: String,
    pub code: String,
    pub message: String,
    pub calls: u64,
    pub failed: bool,
}

/// `GET /console/`.
#[derive(Template)]
#[template(path = "console/overview.html")]
pub(super) struct OverviewPage {
    pub chrome: Chrome,
    pub since: String,
    pub rows: Vec<CallRow>,
    pub total: u64,
    pub failures: u64,
    pub outbox_pending: u64,
    pub outbox_failed: u64,
    pub outbox_oldest: String,
    pub database_ready: bool,
}

/// A license in a list (personal data masked).
pub(super) struct LicenseRow {
    pub identifier: String,
    pub file_number: String,
    pub name: String,
    pub number: String,
    pub holder: String,
    pub holder_code: String,
    pub state: String,
    pub issue_date: String,
}

/// A cert type in a choice.
pub(super) struct TypeOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// A choice of a fixed list.
pub(super) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// `GET /console/licenses`.
#[derive(Template)]
#[template(path = "console/licenses.html")]
pub(super) struct LicensesPage {
    pub chrome: Chrome,
    pub key: String,
    pub holder_code: String,
    pub number: String,
    pub types: Vec<TypeOption>,
    pub states: Vec<Choice>,
    pub rows: Vec<LicenseRow>,
    pub pager: Pager,
    pub searched: bool,
}

/// A label and a value.
pub(super) struct Field {
    pub label: String,
    pub value: String,
}

/// An audited call as the license page and the audit page show it.
pub(super) struct UsageRow {
    pub at: String,
    pub account: String,
    pub system: String,
    pub matter: String,
    pub reason: String,
    pub interface: String,
    pub outcome: String,
    pub ok: bool,
    pub holder_code: String,
    pub licenses: Vec<String>,
    pub request_id: String,
    pub client_addr: String,
}

/// `GET /console/licenses/{key}`.
#[derive(Template)]
#[template(path = "console/license.html")]
pub(super) struct LicensePage {
    pub chrome: Chrome,
    pub key: String,
    pub title: String,
    pub state: String,
    pub state_class: &'static str,
    pub fields: Vec<Field>,
    pub face: Vec<Field>,
    pub pages: usize,
    pub changes: Vec<Choice>,
    pub history: Vec<UsageRow>,
    pub usage: Vec<UsageRow>,
    pub pager: Pager,
    pub number: String,
    pub holder: String,
    pub validate_end: String,
}

/// An input of the issue form.
pub(super) struct Input {
    pub name: String,
    pub label: String,
    pub value: String,
    pub required: bool,
    pub kind: &'static str,
}

/// `GET /console/licenses/new`.
#[derive(Template)]
#[template(path = "console/issue.html")]
pub(super) struct IssuePage {
    pub chrome: Chrome,
    pub types: Vec<TypeOption>,
    pub type_code: String,
    pub type_name: String,
    pub inputs: Vec<Input>,
    pub holder_types: Vec<Choice>,
    pub face: Vec<Field>,
}

/// A rejected line of an import.
pub(super) struct RejectedRow {
    pub line: usize,
    pub reason: String,
}

/// `GET /console/licenses/import`, and the frame of its results (`streaming`).
#[derive(Template)]
#[template(path = "console/import.html")]
pub(super) struct ImportPage {
    pub chrome: Chrome,
    pub streaming: bool,
}

/// What an import did, sent after its progress.
#[derive(Template)]
#[template(path = "console/import_result.html")]
pub(super) struct ImportResult {
    pub lines: usize,
    pub imported: usize,
    pub rejected: Vec<RejectedRow>,
    pub error: Option<String>,
}

/// An account in the list.
pub(super) struct AccountRow {
    pub username: String,
    pub roles: String,
    pub cert_types: String,
    pub department: String,
    pub rate_limit: String,
    pub holder_limit: String,
    pub enabled: bool,
}

/// `GET /console/accounts` (with OAuth clients).
#[derive(Template)]
#[template(path = "console/accounts.html")]
pub(super) struct AccountsPage {
    pub chrome: Chrome,
    pub accounts: Vec<AccountRow>,
    pub clients: Vec<String>,
    pub roles: Vec<Choice>,
    /// A secret made now, shown this once: (what it is for, the secret).
    pub secret: Option<(String, String)>,
}

/// A cert type's row.
pub(super) struct CertTypeRow {
    pub code: String,
    pub name: String,
    pub published: bool,
    pub fields: String,
}

/// `GET /console/cert-types`.
#[derive(Template)]
#[template(path = "console/cert_types.html")]
pub(super) struct CertTypesPage {
    pub chrome: Chrome,
    pub rows: Vec<CertTypeRow>,
    pub known_fields: String,
}

/// `GET /console/audit`.
#[derive(Template)]
#[template(path = "console/audit.html")]
pub(super) struct AuditPage {
    pub chrome: Chrome,
    pub from: String,
    pub until: String,
    pub account: String,
    pub license: String,
    pub holder: String,
    pub interfaces: Vec<Choice>,
    pub outcomes: Vec<Choice>,
    pub rows: Vec<UsageRow>,
    pub pager: Pager,
    pub csv: String,
}

/// A push in the outbox list.
pub(super) struct PushRow {
    pub sequence: u64,
    pub operation: String,
    pub license: String,
    pub state: String,
    pub failed: bool,
    pub attempts: u32,
    pub at: String,
    pub next: String,
    pub error: String,
}

/// `GET /console/outbox`.
#[derive(Template)]
#[template(path = "console/outbox.html")]
pub(super) struct OutboxPage {
    pub chrome: Chrome,
    pub states: Vec<Choice>,
    pub rows: Vec<PushRow>,
    pub pager: Pager,
}

/// `GET /console/keys`.
#[derive(Template)]
#[template(path = "console/keys.html")]
pub(super) struct KeysPage {
    pub chrome: Chrome,
    pub keys: Vec<KeyView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome() -> Chrome {
        Chrome::new(
            &ConsoleInfo {
                version: "1.0".into(),
                role: "province".into(),
                ..Default::default()
            },
            "<ops>".into(),
            "c".repeat(32),
        )
    }

    #[test]
    fn pages_escape_what_they_show_and_run_no_script() {
        let page = LicensesPage {
            chrome: chrome().at("licenses"),
            key: String::new(),
            holder_code: "\"><script>".into(),
            number: String::new(),
            types: Vec::new(),
            states: Vec::new(),
            rows: vec![LicenseRow {
                identifier: "1.2/3".into(),
                file_number: "F1".into(),
                name: "<b>证</b>".into(),
                number: "N1".into(),
                holder: mask_name("张三"),
                holder_code: mask_code("370402198001011234"),
                state: "正常有效".into(),
                issue_date: "2026-01-01".into(),
            }],
            pager: Pager::new(1, 20, 1, |n| format!("?page={n}")),
            searched: true,
        };
        let html = page.render().unwrap();
        assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&#60;ops&#62;") && html.contains("省级节点"));
        assert!(html.contains("张*") && html.contains("3704**********1234"));
        assert!(
            html.contains("licenses/1.2%2F3"),
            "the key is one path segment: {html}"
        );
        assert!(
            html.contains(r#"class="on">证照"#),
            "the menu marks the page"
        );
    }

    #[test]
    fn a_pager_links_its_neighbours() {
        let p = Pager::new(2, 20, 45, |n| format!("?page={n}"));
        assert_eq!(
            (p.pages, p.prev.as_deref(), p.next.as_deref()),
            (3, Some("?page=1"), Some("?page=3"))
        );
        let one = Pager::new(1, 20, 0, |n| format!("?page={n}"));
        assert_eq!((one.pages, one.prev, one.next), (1, None, None));
    }

    #[test]
    fn beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-12-06T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(beijing(t), "2026-12-07 00:30:00");
    }
}
