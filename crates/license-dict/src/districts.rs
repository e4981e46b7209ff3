//! Call districts (调用区市) and district levels (区市级别) of Zaozhuang (API.md §3).

use std::sync::LazyLock;

use crate::table::rows;

pub(crate) const CALL_DISTRICTS_CSV: &str = include_str!("../data/call-districts.csv");
pub(crate) const DISTRICT_LEVELS_CSV: &str = include_str!("../data/district-levels.csv");

/// The source's misprint of 峄城区, accepted and stored as 峄城区 (API.md §3).
pub const YICHENG_MISPRINT: &str = "峰城区";
/// The correct spelling.
pub const YICHENG: &str = "峄城区";

/// The call-district list.
#[derive(Debug)]
pub struct CallDistricts {
    names: Vec<String>,
}

impl CallDistricts {
    /// Every district, in source order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The district's name as listed, with the misprint 峰城区 mapped to 峄城区; `None` for a
    /// name not in the list.
    pub fn known(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        let name = if name == YICHENG_MISPRINT {
            YICHENG
        } else {
            name
        };
        self.names.iter().find(|n| *n == name).map(String::as_str)
    }

    /// The value to store for a `callDistrict`: the listed name when known (misprint fixed),
    /// else the value as given — it is a label, not a key (API.md §3, **Decision**).
    pub fn normalize(&self, name: &str) -> String {
        self.known(name).unwrap_or(name.trim()).to_owned()
    }
}

/// The district-level list (市级, 区级, 街镇级).
#[derive(Debug)]
pub struct DistrictLevels {
    names: Vec<String>,
}

impl DistrictLevels {
    /// Every level, in source order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether the level is listed.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name.trim())
    }
}

fn single_column(csv: &str) -> Vec<String> {
    rows(csv)
        .into_iter()
        .map(|mut r| r.swap_remove(0))
        .collect()
}

/// The call-district list, loaded on first use.
pub fn call_districts() -> &'static CallDistricts {
    static TABLE: LazyLock<CallDistricts> = LazyLock::new(|| CallDistricts {
        names: single_column(CALL_DISTRICTS_CSV),
    });
    &TABLE
}

/// The district-level list, loaded on first use.
pub fn district_levels() -> &'static DistrictLevels {
    static TABLE: LazyLock<DistrictLevels> = LazyLock::new(|| DistrictLevels {
        names: single_column(DISTRICT_LEVELS_CSV),
    });
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts() {
        let d = call_districts();
        assert_eq!(
            d.names(),
            ["市中区", "薛城区", "峄城区", "台儿庄区", "山亭区", "滕州市"]
        );
        assert_eq!(d.known("峰城区"), Some("峄城区"));
        assert_eq!(d.known(" 滕州市 "), Some("滕州市"));
        assert_eq!(d.known("历下区"), None);
        assert_eq!(d.normalize("峰城区"), "峄城区");
        assert_eq!(d.normalize("历下区"), "历下区");
    }

    #[test]
    fn levels() {
        let l = district_levels();
        assert_eq!(l.names(), ["市级", "区级", "街镇级"]);
        assert!(l.contains("街镇级"));
        assert!(!l.contains("省级"));
    }
}
