//! The public verification page a license's QR value points to (API.md §7): Chinese, readable
//! on a phone, personal data masked.

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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

/// The page for a license.
pub fn verification(v: &VerificationView, checked_at: DateTime<Utc>) -> String {
    let class = match v.status {
        LicenseStatus::Valid => "ok",
        LicenseStatus::Revoked | LicenseStatus::Expired => "bad",
        LicenseStatus::Suspended | LicenseStatus::NotActivated => "warn",
    };
    let end = v.valid_to.map_or_else(
        || OPEN_ENDED.to_owned(),
        |d| d.format("%Y年%m月%d日").to_string(),
    );
    let beijing = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let body = format!(
        "<h1>电子证照核验</h1><div class=\"card\"><div class=\"state {class}\">{}</div><dl>\
<dt>证照名称</dt><dd>{}</dd><dt>持证主体</dt><dd>{}</dd><dt>主体代码</dt><dd>{}</dd>\
<dt>颁发机构</dt><dd>{}</dd><dt>有效期限</dt><dd><span class=\"d\">{}</span> 至 <span class=\"d\">{}</span></dd></dl></div>\
<footer>核验时间：{}（北京时间）</footer>",
        v.status.label(),
        esc(&v.certificate_name),
        esc(&mask_name(&v.holder)),
        esc(&mask_code(&v.holder_code)),
        esc(&v.issue_dept),
        v.valid_from.format("%Y年%m月%d日"),
        end,
        checked_at
            .with_timezone(&beijing)
            .format("%Y-%m-%d %H:%M:%S"),
    );
    shell("电子证照核验", &body)
}

/// The page for an unknown or malformed token.
pub fn not_found() -> String {
    shell(
        "未找到证照",
        "<h1>电子证照核验</h1><div class=\"card\"><div class=\"state bad\">未找到该电子证照</div><p class=\"hint\">二维码无效或证照不存在，请核对后重试。</p></div>",
    )
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
        assert!(html.contains("&lt;b&gt;"));
    }
}
