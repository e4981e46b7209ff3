//! The public verification page a license's QR value points to (API.md §7): Chinese, readable
//! on a phone, personal data masked.

use askama::Template;
use chrono::{DateTime, FixedOffset, Utc};
use license_core::LicenseStatus;
use license_core::license::OPEN_ENDED;
use license_core::service::VerificationView;

/// Masks a name: the first character kept (张三 → 张*, 欧阳娜娜 → 欧***).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// Masks a code: the first four and last four characters kept (3704**********1234).
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// The pages' one style sheet, inline (its hash is in the pages' Content-Security-Policy).
pub const STYLE: &str = "body{margin:0;font-family:-apple-system,'PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;background:#f3f5f8;color:#1a1a1a}\
main{max-width:560px;margin:0 auto;padding:20px 16px}\
h1{font-size:20px;margin:8px 0 16px;text-align:center}\
.card{background:#fff;border-radius:12px;padding:18px 16px;box-shadow:0 1px 4px rgba(0,0,0,.08)}\
.state{font-size:22px;font-weight:700;text-align:center;padding:12px;border-radius:8px;margin-bottom:14px}\
.ok{background:#e7f6ec;color:#137333}.bad{background:#fdecea;color:#b3261e}.warn{background:#fff4e5;color:#8a5300}\
dl{margin:0;display:grid;grid-template-columns:6.5em 1fr;row-gap:10px;column-gap:8px;font-size:16px}\
dt{color:#666}dd{margin:0;word-break:break-all}\
footer{text-align:center;color:#888;font-size:13px;margin-top:16px}.d{white-space:nowrap}\
.hint{text-align:center;color:#666}";

/// The page of a license (`templates/verification.html`).
#[derive(Template)]
#[template(path = "verification.html")]
struct VerificationPage<'a> {
    class: &'static str,
    state: &'static str,
    name: &'a str,
    holder: String,
    holder_code: String,
    issue_dept: &'a str,
    valid_from: String,
    valid_to: String,
    checked_at: String,
}

/// The page for no license (`templates/not_found.html`).
#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

/// A page as HTML (rendering into a string fails only when a value's `Display` does, which
/// none of these do).
fn render(page: &impl Template) -> String {
    page.render().unwrap_or_default()
}

/// The page for a license.
pub fn verification(v: &VerificationView, checked_at: DateTime<Utc>) -> String {
    let day = |d: chrono::NaiveDate| d.format("%Y年%m月%d日").to_string();
    let beijing = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    render(&VerificationPage {
        class: match v.status {
            LicenseStatus::Valid => "ok",
            LicenseStatus::Revoked | LicenseStatus::Expired => "bad",
            LicenseStatus::Suspended | LicenseStatus::NotActivated => "warn",
        },
        state: v.status.label(),
        name: &v.certificate_name,
        holder: mask_name(&v.holder),
        holder_code: mask_code(&v.holder_code),
        issue_dept: &v.issue_dept,
        valid_from: day(v.valid_from),
        valid_to: v.valid_to.map_or_else(|| OPEN_ENDED.to_owned(), day),
        checked_at: checked_at
            .with_timezone(&beijing)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    })
}

/// The page for an unknown or malformed token.
pub fn not_found() -> String {
    render(&NotFoundPage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_code("370402198001011234"), "3704**********1234");
        assert_eq!(mask_code("1234"), "****");
    }

    #[test]
    fn the_page_shows_masked_data_and_escapes() {
        let v = VerificationView {
            certificate_name: "<b>证</b>".into(),
            holder: "张三".into(),
            holder_code: "370402198001011234".into(),
            issue_dept: "枣庄市公安局".into(),
            valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_to: None,
            status: LicenseStatus::Revoked,
        };
        let html = verification(&v, Utc::now());
        assert!(html.contains("张*") && !html.contains("张三"));
        assert!(html.contains("3704**********1234") && !html.contains("198001011"));
        assert!(html.contains("已废止") && html.contains("长期"));
        assert!(
            !html.contains("<b>") && html.contains("&#60;b&#62;证"),
            "escaped: {html}"
        );
        assert!(not_found().contains("未找到该电子证照"));
    }
}
