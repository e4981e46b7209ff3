//! Cert types (证照类型代码表, DB3704/T 0042 appendix 7.3).
//!
//! The source table's anomalies are kept, not repaired:
//! - `111000000000131433007` is both 基金会法人登记证书 (row 2) and 建筑业企业资质证书 (row 29);
//! - `11100000000013151X016` is both 律师工作证 (row 3) and 基层法律服务工作者执业证 (row 45);
//! - `11100000000013338W035` (工程监理企业资质许可证 / 工程监理资质证书), `…13338W033`
//!   (房地产开发企业资质证书 / 中华人民共和国房地产开发企业资质证书) and `…13338W006`
//!   (建设工程质量检测机构资质证书, twice) appear twice under synonymous or equal names;
//! - 建筑业企业资质证书 is the name of two codes (`…131433007` and `…13338W008`).
//!
//! So a code maps to one or more names — the first in source order is primary, and city-shape
//! answers use it — and a name maps to one or more codes.

use std::sync::LazyLock;

use foldhash::HashMap;

use crate::table::rows;

pub(crate) const CSV: &str = include_str!("../data/cert-types.csv");

/// One row of the cert-type table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertType {
    /// Position in the source table, 1-based.
    pub order: u16,
    /// The type's name.
    pub name: String,
    /// The 21-character type code.
    pub code: String,
}

/// The cert-type table with look-ups both ways.
#[derive(Debug)]
pub struct CertTypes {
    rows: Vec<CertType>,
    names_by_code: HashMap<String, Vec<String>>,
    codes_by_name: HashMap<String, Vec<String>>,
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_owned());
    }
}

impl CertTypes {
    fn load() -> Self {
        let rows: Vec<CertType> = rows(CSV)
            .into_iter()
            .map(|r| CertType {
                order: r[0].parse().expect("order is a number"),
                name: r[1].clone(),
                code: r[2].clone(),
            })
            .collect();
        let mut names_by_code: HashMap<String, Vec<String>> = HashMap::default();
        let mut codes_by_name: HashMap<String, Vec<String>> = HashMap::default();
        for r in &rows {
            push_unique(names_by_code.entry(r.code.clone()).or_default(), &r.name);
            push_unique(codes_by_name.entry(r.name.clone()).or_default(), &r.code);
        }
        CertTypes {
            rows,
            names_by_code,
            codes_by_name,
        }
    }

    /// Every row, in source order (duplicates included).
    pub fn rows(&self) -> &[CertType] {
        &self.rows
    }

    /// Whether the code is in the table.
    pub fn contains(&self, code: &str) -> bool {
        self.names_by_code.contains_key(code)
    }

    /// The names of a code, primary first, each once; empty for an unknown code.
    pub fn names(&self, code: &str) -> &[String] {
        self.names_by_code.get(code).map_or(&[], Vec::as_slice)
    }

    /// The primary (first) name of a code.
    pub fn primary_name(&self, code: &str) -> Option<&str> {
        self.names(code).first().map(String::as_str)
    }

    /// The codes carrying a name, in source order, each once; empty for an unknown name.
    pub fn codes(&self, name: &str) -> &[String] {
        self.codes_by_name
            .get(name.trim())
            .map_or(&[], Vec::as_slice)
    }

    /// Distinct codes, in order of first appearance.
    pub fn distinct_codes(&self) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(i, r)| !self.rows[..*i].iter().any(|p| p.code == r.code))
            .map(|(_, r)| r.code.as_str())
    }
}

/// The cert-type table, loaded on first use.
pub fn cert_types() -> &'static CertTypes {
    static TABLE: LazyLock<CertTypes> = LazyLock::new(CertTypes::load);
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use license_core::holder::validate_uscc;

    #[test]
    fn all_rows_present() {
        let t = cert_types();
        assert_eq!(t.rows().len(), 107);
        for (i, r) in t.rows().iter().enumerate() {
            assert_eq!(usize::from(r.order), i + 1);
            assert_eq!(r.name, r.name.trim());
        }
        assert_eq!(t.rows()[0].name, "中华人民共和国结婚证");
        assert_eq!(t.rows()[0].code, "111000000000131433001");
        assert_eq!(t.rows()[29].name, "中华人民共和国居民身份证");
        assert_eq!(t.rows()[29].code, "11100000000013127D001");
        assert_eq!(t.rows()[106].code, "11100000000013338W006");
        assert_eq!(t.distinct_codes().count(), 102);
    }

    #[test]
    fn every_code_is_21_characters_with_a_valid_authority_code() {
        for r in cert_types().rows() {
            assert_eq!(r.code.len(), 21, "{}", r.code);
            assert!(
                r.code[18..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                r.code
            );
            assert_eq!(validate_uscc(&r.code[..18]), Ok(()), "{}", r.code);
        }
    }

    #[test]
    fn anomalies_behave_as_documented() {
        let t = cert_types();
        assert_eq!(
            t.names("111000000000131433007"),
            ["基金会法人登记证书", "建筑业企业资质证书"]
        );
        assert_eq!(
            t.primary_name("111000000000131433007"),
            Some("基金会法人登记证书")
        );
        assert_eq!(
            t.names("11100000000013151X016"),
            ["律师工作证", "基层法律服务工作者执业证"]
        );
        assert_eq!(
            t.names("11100000000013338W035"),
            ["工程监理企业资质许可证", "工程监理资质证书"]
        );
        assert_eq!(
            t.names("11100000000013338W033"),
            [
                "房地产开发企业资质证书",
                "中华人民共和国房地产开发企业资质证书"
            ]
        );
        // Listed twice under the same name: one name.
        assert_eq!(
            t.names("11100000000013338W006"),
            ["建设工程质量检测机构资质证书"]
        );
        assert_eq!(
            t.codes("建筑业企业资质证书"),
            ["111000000000131433007", "11100000000013338W008"]
        );
        assert_eq!(t.codes("律师工作证"), ["11100000000013151X016"]);
        assert!(t.names("999999999999999999999").is_empty());
        assert!(t.codes("不存在的证照").is_empty());
        assert!(!t.contains("11100000000013127D00"));
    }
}
