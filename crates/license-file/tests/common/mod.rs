//! Shared fixtures of the license-file tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use license_file::{CopyFacts, LicenseDocument, NodeKey, OfdEngine, TrustStore};

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn document() -> LicenseDocument {
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    face.insert("certno".to_owned(), "11010519491231002X".to_owned());
    face.insert("注册资本".to_owned(), "伍佰万元整 & <more>".to_owned());
    LicenseDocument {
        identifier: "1.2.156.3005.2.11100000000013338W006.113704000042365553.VK33PZ9TY58L.001.Q"
            .into(),
        file_number: "02-12370400F49201558F-51-370481198304040037-00-A000102935".into(),
        certificate_name: "建设工程质量检测机构资质证书".into(),
        cert_type_code: "11100000000013338W006".into(),
        certificate_number: "A000002576".into(),
        holder: "枣庄市建设工程质量检测中心有限公司".into(),
        holder_code: "91110000600037341L".into(),
        holder_code_type: "001".into(),
        issue_dept: "枣庄市住房和城乡建设局".into(),
        issue_dept_code: "113704000042365553".into(),
        issue_date: date("2023-09-23"),
        valid_from: date("2023-09-23"),
        valid_to: Some(date("2028-09-22")),
        face,
        qr_value: "https://zz.example.gov.cn/license-api-release/verify/k3J9xQ2mZ8pL4vN7rT1wY6sB"
            .into(),
    }
}

pub fn engine(name: &str) -> OfdEngine {
    let key = NodeKey::generate(name, "枣庄市大数据中心").unwrap();
    OfdEngine::new(
        key,
        "枣庄市电子证照签章",
        TrustStore::default(),
        "https://zz.example.gov.cn/license-api-release/verify/",
    )
    .unwrap()
}

pub fn at() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_763_800_000, 0).unwrap()
}

pub fn facts() -> CopyFacts {
    CopyFacts {
        system_name: "枣庄市网上办事大厅".into(),
        matter_name: "建设工程质量检测机构资质变更".into(),
        cause: "办理资质变更业务核验证照".into(),
        creator: "zz-hall".into(),
        made_at: at(),
        expires_on: date("2026-12-22"),
    }
}
