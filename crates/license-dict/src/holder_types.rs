//! Holder-code types (持证主体代码类型, DB3704/T 0042 appendix 7.2).

use std::sync::LazyLock;

use foldhash::HashMap;
use license_core::HolderCodeError;
use license_core::holder::validate_holder_code;

use crate::table::rows;

pub(crate) const CSV: &str = include_str!("../data/holder-code-types.csv");

/// One holder-code type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderCodeType {
    /// Position in the source table, 1-based.
    pub order: u16,
    /// 自然人 or 法人和其他组织.
    pub category: String,
    /// Subcategory (一般居民, 军人…); empty in the source for 999.
    pub subcategory: Option<String>,
    /// The type's name, e.g. 公民身份号码.
    pub name: String,
    /// The 3-digit code, e.g. `111`.
    pub code: String,
}

/// Why a holder code was refused: the type is unknown, or the code fails the type's check.
/// Both answer `14` (API.md §4); the detail says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderCodeRejection {
    /// `certificateHolderCodeType` is not in the table.
    UnknownType,
    /// The code fails its type's rule.
    Invalid(HolderCodeError),
}

/// The holder-code type table.
#[derive(Debug)]
pub struct HolderCodeTypes {
    rows: Vec<HolderCodeType>,
    by_code: HashMap<String, usize>,
}

impl HolderCodeTypes {
    fn load() -> Self {
        let rows: Vec<HolderCodeType> = rows(CSV)
            .into_iter()
            .map(|r| HolderCodeType {
                order: r[0].parse().expect("order is a number"),
                category: r[1].clone(),
                subcategory: Some(r[2].clone()).filter(|s| !s.is_empty()),
                name: r[3].clone(),
                code: r[4].clone(),
            })
            .collect();
        let by_code = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        HolderCodeTypes { rows, by_code }
    }

    /// Every type, in source order.
    pub fn rows(&self) -> &[HolderCodeType] {
        &self.rows
    }

    /// The type with this code.
    pub fn get(&self, code: &str) -> Option<&HolderCodeType> {
        self.by_code.get(code.trim()).map(|&i| &self.rows[i])
    }

    /// Checks a holder code against its type: the type must exist, and the code must pass its
    /// rule (`111` GB 11643, `001` GB 32100, others non-empty printable ≤ 64).
    pub fn validate(
        &self,
        type_code: &str,
        code: &str,
    ) -> Result<&HolderCodeType, HolderCodeRejection> {
        let t = self
            .get(type_code)
            .ok_or(HolderCodeRejection::UnknownType)?;
        validate_holder_code(&t.code, code.trim()).map_err(HolderCodeRejection::Invalid)?;
        Ok(t)
    }
}

/// The holder-code type table, loaded on first use.
pub fn holder_code_types() -> &'static HolderCodeTypes {
    static TABLE: LazyLock<HolderCodeTypes> = LazyLock::new(HolderCodeTypes::load);
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_sixteen_types() {
        let t = holder_code_types();
        assert_eq!(t.rows().len(), 16);
        let codes: Vec<&str> = t.rows().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "001", "099", "111", "114", "115", "118", "119", "120", "122", "411", "412", "413",
                "414", "511", "516", "999"
            ]
        );
        let id = t.get("111").unwrap();
        assert_eq!(
            (
                id.category.as_str(),
                id.subcategory.as_deref(),
                id.name.as_str()
            ),
            ("自然人", Some("一般居民"), "公民身份号码")
        );
        let other = t.get("999").unwrap();
        assert_eq!(other.subcategory, None);
        assert_eq!(other.name, "其他自然人有效证件代码");
        assert_eq!(t.get("001").unwrap().name, "统一社会信用代码");
        assert_eq!(t.get(" 516 ").unwrap().name, "港澳居民来往内地通行证号码");
        for (i, r) in t.rows().iter().enumerate() {
            assert_eq!(usize::from(r.order), i + 1);
        }
    }

    #[test]
    fn validation_by_type() {
        let t = holder_code_types();
        assert!(t.validate("111", "11010519491231002X").is_ok());
        assert_eq!(
            t.validate("112", "11010519491231002X"),
            Err(HolderCodeRejection::UnknownType)
        );
        assert!(matches!(
            t.validate("001", "11010519491231002X"),
            Err(HolderCodeRejection::Invalid(_))
        ));
        assert!(t.validate("414", "E12345678").is_ok());
    }
}
