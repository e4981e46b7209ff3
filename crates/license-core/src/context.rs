//! The caller's business context (API.md §3) and operator details, with their validation
//! rules, and the shared checks on raw parameters (API.md §4 steps 3–4).

use chrono::NaiveDate;

use crate::limits::{MAX_TEXT_CHARS, too_long};
use crate::params;
use crate::status::{ReturnCode, ServiceError};

/// Longest reason (`certificateCopyCause`, `useFor`, `useCause`), in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// Call category (调用类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallCategory {
    /// `0` — a matter (事项) call.
    Matter,
    /// `1` — a non-matter call.
    NonMatter,
}

impl CallCategory {
    /// The wire value.
    pub const fn code(self) -> &'static str {
        match self {
            CallCategory::Matter => "0",
            CallCategory::NonMatter => "1",
        }
    }
}

crate::request! {
    /// The call context as it arrived: every field optional and unchecked.
    RawCallContext {
        /// `certificateSystemName`.
        system_name: CERTIFICATE_SYSTEM_NAME,
        /// `certificateCallCategory`.
        call_category: CERTIFICATE_CALL_CATEGORY,
        /// `certificateMatterName`.
        matter_name: CERTIFICATE_MATTER_NAME,
        /// `certificateEventCode`.
        event_code: CERTIFICATE_EVENT_CODE,
        /// `certificateCopyCause`.
        copy_cause: CERTIFICATE_COPY_CAUSE,
        /// `callDistrict`.
        call_district: CALL_DISTRICT,
        /// `callDepartment`.
        call_department: CALL_DEPARTMENT,
        /// `districtLevel`.
        district_level: DISTRICT_LEVEL,
    }
}

/// A validated call context, recorded with every call in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// Calling system's name.
    pub system_name: String,
    /// Matter or non-matter call.
    pub call_category: CallCategory,
    /// Matter name.
    pub matter_name: String,
    /// Matter code.
    pub event_code: String,
    /// Reason, ≤ 200 characters with a letter or CJK character.
    pub copy_cause: String,
    /// Calling district (a label; normalised by the dictionary).
    pub call_district: Option<String>,
    /// Calling department.
    pub call_department: Option<String>,
    /// District level.
    pub district_level: Option<String>,
}

impl RawCallContext {
    /// The required fields with their parameter names, in contract order.
    pub fn required(&self) -> [(&'static str, Option<&str>); 5] {
        [
            (params::CERTIFICATE_SYSTEM_NAME, self.system_name.as_deref()),
            (
                params::CERTIFICATE_CALL_CATEGORY,
                self.call_category.as_deref(),
            ),
            (params::CERTIFICATE_MATTER_NAME, self.matter_name.as_deref()),
            (params::CERTIFICATE_EVENT_CODE, self.event_code.as_deref()),
            (params::CERTIFICATE_COPY_CAUSE, self.copy_cause.as_deref()),
        ]
    }

    /// The stored free-text fields with their parameter names (at most [`MAX_TEXT_CHARS`]).
    fn free_text(&self) -> [(&'static str, Option<&str>); 6] {
        [
            (params::CERTIFICATE_SYSTEM_NAME, self.system_name.as_deref()),
            (params::CERTIFICATE_MATTER_NAME, self.matter_name.as_deref()),
            (params::CERTIFICATE_EVENT_CODE, self.event_code.as_deref()),
            (params::CALL_DISTRICT, self.call_district.as_deref()),
            (params::CALL_DEPARTMENT, self.call_department.as_deref()),
            (params::DISTRICT_LEVEL, self.district_level.as_deref()),
        ]
    }

    /// Validates presence (`12`) and form (`199` for the reason, `24` for the category and
    /// for a free-text field longer than [`MAX_TEXT_CHARS`]).
    /// Callers with other required parameters check all presences first with [`require`].
    pub fn validate(&self) -> Result<CallContext, ServiceError> {
        require(&self.required())?;
        let copy_cause =
            validate_reason(params::CERTIFICATE_COPY_CAUSE, self.copy_cause.as_deref())?;
        let call_category = match self.call_category.as_deref().map(str::trim) {
            Some("0") => CallCategory::Matter,
            Some("1") => CallCategory::NonMatter,
            _ => {
                return Err(ServiceError::malformed(
                    params::CERTIFICATE_CALL_CATEGORY,
                    "must be 0 or 1",
                ));
            }
        };
        for (param, value) in self.free_text() {
            check_length(param, value, MAX_TEXT_CHARS)?;
        }
        let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
        let optional = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(CallContext {
            system_name: text(&self.system_name),
            call_category,
            matter_name: text(&self.matter_name),
            event_code: text(&self.event_code),
            copy_cause,
            call_district: optional(&self.call_district),
            call_department: optional(&self.call_department),
            district_level: optional(&self.district_level),
        })
    }
}

impl CallContext {
    /// The context back in raw form (what a forwarding client sends upstream).
    pub fn to_raw(&self) -> RawCallContext {
        RawCallContext {
            system_name: Some(self.system_name.clone()),
            call_category: Some(self.call_category.code().to_owned()),
            matter_name: Some(self.matter_name.clone()),
            event_code: Some(self.event_code.clone()),
            copy_cause: Some(self.copy_cause.clone()),
            call_district: self.call_district.clone(),
            call_department: self.call_department.clone(),
            district_level: self.district_level.clone(),
        }
    }
}

crate::request! {
    /// Operator details (all optional, all recorded; API.md §3).
    OperatorDetails {
        /// `clientInfo_areaCode`.
        area_code: CLIENT_INFO_AREA_CODE,
        /// `clientInfo_deptCode`.
        dept_code: CLIENT_INFO_DEPT_CODE,
        /// `clientInfo_operName`.
        oper_name: CLIENT_INFO_OPER_NAME,
        /// `deptName`.
        dept_name: DEPT_NAME,
        /// `whose`: 0 person, 1 legal person.
        whose: WHOSE,
        /// `category`: 1 license, 0 approval document.
        category: CATEGORY,
        /// `licenseTypeCode`.
        license_type_code: LICENSE_TYPE_CODE,
        /// `operUserName`.
        oper_user_name: OPER_USER_NAME,
        /// `operTime`.
        oper_time: OPER_TIME,
        /// `operUserIp`.
        oper_user_ip: OPER_USER_IP,
    }
}

impl OperatorDetails {
    /// Every field is at most [`MAX_TEXT_CHARS`] long, else `24` naming it: they are stored
    /// with the call's audit record.
    pub fn check(&self) -> Result<(), ServiceError> {
        for (param, value) in self.fields() {
            check_length(param, value.as_deref(), MAX_TEXT_CHARS)?;
        }
        Ok(())
    }

    /// Every field with its parameter name (API.md §3).
    pub fn fields(&self) -> [(&'static str, &Option<String>); 10] {
        [
            (params::CLIENT_INFO_AREA_CODE, &self.area_code),
            (params::CLIENT_INFO_DEPT_CODE, &self.dept_code),
            (params::CLIENT_INFO_OPER_NAME, &self.oper_name),
            (params::DEPT_NAME, &self.dept_name),
            (params::WHOSE, &self.whose),
            (params::CATEGORY, &self.category),
            (params::LICENSE_TYPE_CODE, &self.license_type_code),
            (params::OPER_USER_NAME, &self.oper_user_name),
            (params::OPER_TIME, &self.oper_time),
            (params::OPER_USER_IP, &self.oper_user_ip),
        ]
    }
}

/// A stored value longer than its documented maximum → `24` naming the parameter and the
/// maximum ([`crate::limits`]).
pub fn check_length(
    param: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<(), ServiceError> {
    match value {
        Some(v) if too_long(v.trim(), max_chars) => Err(ServiceError::malformed(
            param,
            &format!("is longer than {max_chars} characters"),
        )),
        _ => Ok(()),
    }
}

/// Whether a raw value is absent or blank.
pub fn is_blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

/// The first required parameter that is missing or blank → `12` naming it (API.md §4 step 3).
pub fn require(fields: &[(&'static str, Option<&str>)]) -> Result<(), ServiceError> {
    match fields.iter().find(|(_, v)| is_blank(*v)) {
        Some((name, _)) => Err(ServiceError::missing(name)),
        None => Ok(()),
    }
}

/// The reason rule (API.md §3): missing or blank → `12`; over 200 characters (Unicode scalar
/// values) or without any letter or CJK character → `199`. Returns the trimmed reason.
pub fn validate_reason(param: &'static str, value: Option<&str>) -> Result<String, ServiceError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Err(ServiceError::missing(param));
    };
    let chars = v.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(ServiceError::new(
            ReturnCode::BadReason,
            format!("{param} has {chars} characters, at most {MAX_REASON_CHARS} allowed"),
        ));
    }
    if !v.chars().any(char::is_alphabetic) {
        return Err(ServiceError::new(
            ReturnCode::BadReason,
            format!("{param} must contain words (a letter or Chinese character)"),
        ));
    }
    Ok(v.to_owned())
}

/// Parses a `yyyy-MM-dd` date parameter that must not lie before `today` → `24` otherwise.
pub fn parse_future_date(
    param: &'static str,
    value: &str,
    today: NaiveDate,
) -> Result<NaiveDate, ServiceError> {
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::malformed(param, "must be a date yyyy-MM-dd"))?;
    if date < today {
        return Err(ServiceError::malformed(param, "must not be in the past"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RawCallContext {
        RawCallContext {
            system_name: Some("XXXX服务平台".into()),
            call_category: Some("0".into()),
            matter_name: Some("个人参保缴费证明查询打印".into()),
            event_code: Some("1137000000450258552372014020002".into()),
            copy_cause: Some("办理业务".into()),
            call_district: Some(" 市中区 ".into()),
            call_department: Some("".into()),
            district_level: None,
        }
    }

    #[test]
    fn valid_context() {
        let c = ctx().validate().unwrap();
        assert_eq!(c.call_category, CallCategory::Matter);
        assert_eq!(c.call_district.as_deref(), Some("市中区"));
        assert_eq!(c.call_department, None);
        assert_eq!(c.to_raw().validate().unwrap(), c);
    }

    #[test]
    fn missing_fields_answer_12_in_order() {
        let mut c = ctx();
        c.matter_name = Some("  ".into());
        c.copy_cause = None;
        let e = c.validate().unwrap_err();
        assert_eq!(e.code, ReturnCode::MissingParameter);
        assert_eq!(e.detail.as_deref(), Some("certificateMatterName"));
    }

    #[test]
    fn reason_rule() {
        let p = params::CERTIFICATE_COPY_CAUSE;
        assert_eq!(
            validate_reason(p, None).unwrap_err().code,
            ReturnCode::MissingParameter
        );
        assert_eq!(
            validate_reason(p, Some(" ")).unwrap_err().code,
            ReturnCode::MissingParameter
        );
        // 200 CJK characters are 600 bytes but within the rule.
        assert!(validate_reason(p, Some(&"办".repeat(200))).is_ok());
        assert_eq!(
            validate_reason(p, Some(&"办".repeat(201)))
                .unwrap_err()
                .code,
            ReturnCode::BadReason
        );
        assert_eq!(
            validate_reason(p, Some("12345!!")).unwrap_err().code,
            ReturnCode::BadReason
        );
        assert!(validate_reason(p, Some("a1")).is_ok());
    }

    #[test]
    fn category_must_be_0_or_1() {
        let mut c = ctx();
        c.call_category = Some("2".into());
        let e = c.validate().unwrap_err();
        assert_eq!(e.code, ReturnCode::Unparseable);
        assert!(e.detail.unwrap().starts_with("certificateCallCategory"));
    }

    #[test]
    fn future_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let p = params::EXPIRY_TIME;
        assert!(parse_future_date(p, "2026-11-22", today).is_ok());
        assert_eq!(
            parse_future_date(p, "2026-11-21", today).unwrap_err().code,
            ReturnCode::Unparseable
        );
        assert_eq!(
            parse_future_date(p, "2026/12/01", today).unwrap_err().code,
            ReturnCode::Unparseable
        );
    }
}
