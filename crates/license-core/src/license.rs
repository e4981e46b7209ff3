//! The license entity (GB/T 36903 metadata, API.md §7), its states and the two libraries.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::identifier::CertIdentifier;

/// `certificateValidateEnd` of an open-ended license (长期).
pub const OPEN_ENDED: &str = "长期";

/// Which library (证照库) an answer came from; `head.type` on the wire (API.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Library {
    /// The province library (省库), `head.type` "1", `interfaceType` 0.
    Province,
    /// The city library (市库), `head.type` "2", `interfaceType` 1.
    City,
}

impl Library {
    /// `head.type` of answers from this library.
    pub const fn head_type(self) -> &'static str {
        match self {
            Library::Province => "1",
            Library::City => "2",
        }
    }

    /// The `interfaceType` value that selects this library.
    pub const fn interface_type(self) -> &'static str {
        match self {
            Library::Province => "0",
            Library::City => "1",
        }
    }

    /// Parses an `interfaceType` value: `0` province, `1` city (API.md §5); `None` otherwise.
    pub fn from_interface_type(value: &str) -> Option<Self> {
        match value.trim() {
            "0" => Some(Library::Province),
            "1" => Some(Library::City),
            _ => None,
        }
    }

    /// Parses `head.type`.
    pub fn from_head_type(value: &str) -> Option<Self> {
        match value.trim() {
            "1" => Some(Library::Province),
            "2" => Some(Library::City),
            _ => None,
        }
    }
}

/// The stored life-cycle state of a license (GB/T 36903 证照状态). Expiry is not stored: it is
/// derived from the end date ([`License::status_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicenseState {
    /// 未激活 — issued but not yet active.
    Pending,
    /// 正常有效 — valid.
    Valid,
    /// 暂时失效/受限 — suspended.
    Suspended,
    /// 已废止/已注销 — revoked.
    Revoked,
}

impl LicenseState {
    /// Every state.
    pub const ALL: [LicenseState; 4] = [
        LicenseState::Pending,
        LicenseState::Valid,
        LicenseState::Suspended,
        LicenseState::Revoked,
    ];

    /// The state's label (API.md §6's labels of the status it stands for).
    pub const fn label(self) -> &'static str {
        match self {
            LicenseState::Pending => LicenseStatus::NotActivated.label(),
            LicenseState::Valid => LicenseStatus::Valid.label(),
            LicenseState::Suspended => LicenseStatus::Suspended.label(),
            LicenseState::Revoked => LicenseStatus::Revoked.label(),
        }
    }

    /// The import-format and storage name (`pending` | `valid` | `suspended` | `revoked`).
    pub const fn name(self) -> &'static str {
        match self {
            LicenseState::Pending => "pending",
            LicenseState::Valid => "valid",
            LicenseState::Suspended => "suspended",
            LicenseState::Revoked => "revoked",
        }
    }

    /// Parses the storage name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What a license is on a given day: its state, with expiry derived from the end date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicenseStatus {
    /// 未激活.
    NotActivated,
    /// 正常有效.
    Valid,
    /// 暂时失效.
    Suspended,
    /// 已废止.
    Revoked,
    /// 已过期.
    Expired,
}

impl LicenseStatus {
    /// All statuses.
    pub const ALL: [LicenseStatus; 5] = [
        LicenseStatus::NotActivated,
        LicenseStatus::Valid,
        LicenseStatus::Suspended,
        LicenseStatus::Revoked,
        LicenseStatus::Expired,
    ];

    /// The exact label of `certificateState` / `license_state` (API.md §6).
    pub const fn label(self) -> &'static str {
        match self {
            LicenseStatus::NotActivated => "未激活",
            LicenseStatus::Valid => "正常有效",
            LicenseStatus::Suspended => "暂时失效",
            LicenseStatus::Revoked => "已废止",
            LicenseStatus::Expired => "已过期",
        }
    }

    /// Parses a label.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }
}

/// Validity period; `end` absent means open-ended (长期).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    /// First day of validity.
    pub start: NaiveDate,
    /// Last day of validity, inclusive; `None` = 长期.
    pub end: Option<NaiveDate>,
}

impl Validity {
    /// Whether the period has ended before `today` (the node's local date).
    pub fn has_expired(&self, today: NaiveDate) -> bool {
        self.end.is_some_and(|end| end < today)
    }
}

/// An electronic license with its GB/T 36903 metadata and the platform's keys (API.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    /// The GB/T 36904 identifier (assigned at issue, or kept from an import).
    pub identifier: CertIdentifier,
    /// The city file number (文件标识); equal to the identifier unless imported with another.
    pub file_number: String,
    /// The identifier the province assigned once the license was pushed up.
    pub province_identifier: Option<String>,
    /// 21-character cert-type code (证照类型代码).
    pub cert_type_code: String,
    /// Certificate name (证照名称).
    pub certificate_name: String,
    /// Certificate number (证照编号).
    pub certificate_number: String,
    /// Holder name (持证主体).
    pub holder: String,
    /// Holder code (持证主体代码).
    pub holder_code: String,
    /// Holder-code type (持证主体代码类型, `dict/holder-code-types.csv`).
    pub holder_code_type: String,
    /// Issuing department's name (颁发机构).
    pub issue_dept: String,
    /// Issuing department's 18-character code (颁发机构代码).
    pub issue_dept_code: String,
    /// Issue date (颁发日期).
    pub issue_date: NaiveDate,
    /// Validity period (有效期).
    pub validity: Validity,
    /// Stored state.
    pub state: LicenseState,
    /// Why the state last changed.
    pub state_reason: Option<String>,
    /// When the state last changed.
    pub state_changed_at: Option<DateTime<Utc>>,
    /// Type-specific face fields (照面信息), e.g. `certno`, `name`.
    pub face: BTreeMap<String, String>,
    /// The 9-character extraction code (证照提取码) for `downloadPdfFile`.
    pub abstract_code: String,
    /// The unguessable token that ends the QR value's URL.
    pub qr_token: String,
    /// Version, 1 first; a correction re-issues at version + 1.
    pub version: u16,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

impl License {
    /// The status on `today` (the node's local date): revoked and suspended win, then pending,
    /// then expiry by end date, else valid.
    pub fn status_on(&self, today: NaiveDate) -> LicenseStatus {
        match self.state {
            LicenseState::Revoked => LicenseStatus::Revoked,
            LicenseState::Suspended => LicenseStatus::Suspended,
            LicenseState::Pending => LicenseStatus::NotActivated,
            LicenseState::Valid if self.validity.has_expired(today) => LicenseStatus::Expired,
            LicenseState::Valid => LicenseStatus::Valid,
        }
    }

    /// Whether `key` names this license by any of its three keys (API.md §7).
    pub fn has_key(&self, key: &str) -> bool {
        let key = key.trim();
        self.identifier.as_str().eq_ignore_ascii_case(key)
            || self.file_number == key
            || self.province_identifier.as_deref() == Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libraries() {
        assert_eq!(Library::from_interface_type("0"), Some(Library::Province));
        assert_eq!(Library::from_interface_type(" 1 "), Some(Library::City));
        assert_eq!(Library::from_interface_type("2"), None);
        assert_eq!(Library::City.head_type(), "2");
        assert_eq!(Library::from_head_type("1"), Some(Library::Province));
    }

    #[test]
    fn states_and_labels() {
        for s in LicenseStatus::ALL {
            assert_eq!(LicenseStatus::from_label(s.label()), Some(s));
        }
        for s in [
            LicenseState::Pending,
            LicenseState::Valid,
            LicenseState::Suspended,
            LicenseState::Revoked,
        ] {
            assert_eq!(LicenseState::from_name(s.name()), Some(s));
        }
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let v = Validity {
            start: d("2020-01-01"),
            end: Some(d("2024-12-31")),
        };
        assert!(!v.has_expired(d("2024-12-31")));
        assert!(v.has_expired(d("2025-01-01")));
        let open = Validity {
            start: d("2020-01-01"),
            end: None,
        };
        assert!(!open.has_expired(d("2999-01-01")));
    }

    fn sample(state: LicenseState, end: Option<&str>) -> License {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        License {
            identifier: CertIdentifier::parse(
                "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.9",
                crate::CheckPolicy::Compatible,
            )
            .unwrap(),
            file_number: "02-12370400F49201558F-51".into(),
            province_identifier: Some("1.2.156.3005.2.P".into()),
            cert_type_code: "11100000000013338W006".into(),
            certificate_name: "建设工程质量检测机构资质证书".into(),
            certificate_number: "A000002576".into(),
            holder: "张三".into(),
            holder_code: "11010519491231002X".into(),
            holder_code_type: "111".into(),
            issue_dept: "枣庄市住房和城乡建设局".into(),
            issue_dept_code: "113704000042365553".into(),
            issue_date: d("2020-01-01"),
            validity: Validity {
                start: d("2020-01-01"),
                end: end.map(d),
            },
            state,
            state_reason: None,
            state_changed_at: None,
            face: BTreeMap::new(),
            abstract_code: "5cgedf2j6".into(),
            qr_token: "t".into(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn status_derives_expiry_from_the_end_date() {
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let cases = [
            (
                LicenseState::Valid,
                Some("2025-01-01"),
                LicenseStatus::Valid,
            ),
            (
                LicenseState::Valid,
                Some("2024-12-31"),
                LicenseStatus::Expired,
            ),
            (LicenseState::Valid, None, LicenseStatus::Valid),
            (
                LicenseState::Pending,
                Some("2024-12-31"),
                LicenseStatus::NotActivated,
            ),
            (LicenseState::Suspended, None, LicenseStatus::Suspended),
            (
                LicenseState::Revoked,
                Some("2024-12-31"),
                LicenseStatus::Revoked,
            ),
        ];
        for (state, end, expected) in cases {
            assert_eq!(
                sample(state, end).status_on(day),
                expected,
                "{state:?} {end:?}"
            );
        }
    }

    #[test]
    fn any_of_the_three_keys_names_the_license() {
        let l = sample(LicenseState::Valid, None);
        assert!(
            l.has_key("1.2.156.3005.2.11100000000013338w006.113704000042365553.vk33pz9ty58l.001.9")
        );
        assert!(l.has_key(" 02-12370400F49201558F-51 "));
        assert!(l.has_key("1.2.156.3005.2.P"));
        assert!(!l.has_key("02-12370400F49201558F-5"));
    }
}
