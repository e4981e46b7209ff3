//! The envelope and every data shape, pinned by snapshots.

use std::collections::BTreeMap;

use license_core::{InfoVerifyResult, LicenseStatus, ReturnCode};

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn record() -> CityRecord {
    CityRecord {
        holder: "陈xx".into(),
        validate_start: d("2013-09-23"),
        validate_end: Some(d("2016-09-22")),
        issue_dept: "枣庄市无线电管理处".into(),
        certificate_id: "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8".into(),
        certificate_name: "中国无线电台协会业余电台操作证书A证".into(),
        holder_type: "111".into(),
        certificate_number: "A000002576".into(),
        issue_dept_code: "12370400F49201558F".into(),
        holder_code: "37040319761209xxxx".into(),
        issue_date: d("2013-09-23"),
        digital_sign: String::new(),
        certificate_type: "中国无线电协会业余电台操作证书A类".into(),
        state: LicenseStatus::Valid,
    }
}

fn face() -> ProvinceFace {
    let mut fields = BTreeMap::new();
    fields.insert("certno".to_owned(), "37082619880XXXXXXX".to_owned());
    fields.insert("name".to_owned(), "XX".to_owned());
    ProvinceFace { cert_identifier: "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8".into(), fields }
}

#[test]
fn dates_are_written_as_chrono_formats_them() {
    for (y, m, day) in [
        (2024, 1, 2),
        (1, 12, 31),
        (0, 6, 15),
        (9999, 12, 31),
        (10000, 1, 1),
        (-44, 3, 15),
    ] {
        let d = NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(city_date(d), d.format("%Y年%m月%d日").to_string());
        assert_eq!(iso_date(d), d.format("%Y-%m-%d").to_string());
    }
}

#[test]
fn a_stored_field_named_like_an_added_key_keeps_its_place() {
    let mut f = face();
    f.fields.insert("cert_identifier".into(), "stale".into());
    f.fields.insert("fileNumber".into(), "stale".into());
    let v = serde_json::to_string(&Face {
        face: &f,
        file_number: Some("FN"),
    })
    .unwrap();
    assert_eq!(
        v,
        format!(
            r#"{{"cert_identifier":"{}","certno":"37082619880XXXXXXX","fileNumber":"FN","name":"XX"}}"#,
            f.cert_identifier
        )
    );
    let v = serde_json::to_string(&province_face(&f)).unwrap();
    assert!(v.contains(r#""fileNumber":"stale""#), "{v}");
}

#[test]
fn the_wire_bytes_keep_the_contract_order() {
    let city = Answer {
        library: Library::City,
        data: Shaped::City(Page {
            total: 1,
            items: vec![record()],
        }),
    };
    let bytes = serde_json::to_string(&records(&city)).unwrap();
    assert!(
        bytes.starts_with(r#"{"head":{"status":"0","message":"#),
        "{bytes}"
    );
    assert!(bytes.contains(r#""type":"2"},"data":{"total":1,"dataList":[{"certificateHolder":"陈xx","certificateValidateStart":"2013年09月23日","certificateValidateEnd":"2016年09月22日","#), "{bytes}");
    assert!(
        bytes.contains(r#""detail":[],"issueDate":"2013年09月23日""#),
        "{bytes}"
    );
}

#[test]
fn query_shapes() {
    let city = Answer {
        library: Library::City,
        data: Shaped::City(Page {
            total: 1,
            items: vec![CityRecord {
                validate_end: None,
                ..record()
            }],
        }),
    };
    insta::assert_json_snapshot!("query_city", records(&city));
    let province = Answer {
        library: Library::Province,
        data: Shaped::Province(Page {
            total: 1,
            items: vec![face()],
        }),
    };
    insta::assert_json_snapshot!("query_province", records(&province));
}

#[test]
fn failure_shape() {
    insta::assert_json_snapshot!(
        "failure_missing",
        failure(&ServiceError::missing("certificateID"))
    );
    insta::assert_json_snapshot!(
        "failure_bare",
        failure(&ServiceError::bare(ReturnCode::NotFound))
    );
}

#[test]
fn link_and_verification_shapes() {
    let city = Answer {
        library: Library::City,
        data: Shaped::City(Page {
            total: 1,
            items: vec![CityLink {
                issue_dept: "枣庄市公安局".into(),
                certificate_number: "A1".into(),
                file_url: "http://127.0.0.1:8040/license-api-release/elssp/v1/download_national?fileId=abc&fileFormat=OFD".into(),
                issue_date: d("2020-01-02"),
                file_format: "OFD".into(),
                certificate_type: "中华人民共和国居民身份证".into(),
            }],
        }),
    };
    insta::assert_json_snapshot!("links_city", links(&city));
    let province = Answer {
        library: Library::Province,
        data: Shaped::Province(Page {
            total: 1,
            items: vec![ProvinceLink {
                cert_identifier: "X".into(),
                content_type: "https".into(),
                url: "https://p/CertShare/zzgxpt/download?id=1".into(),
            }],
        }),
    };
    insta::assert_json_snapshot!("links_province", links(&province));
    let info = Answer {
        library: Library::Province,
        data: Shaped::Province(InfoVerifyResult::Valid),
    };
    insta::assert_json_snapshot!("verify_info_province", info_verification(&info));
    let info = Answer {
        library: Library::City,
        data: Shaped::<InfoVerifyResult, bool>::City(false),
    };
    insta::assert_json_snapshot!("verify_info_city", info_verification(&info));
    let file = Answer {
        library: Library::City,
        data: FileVerifyResult::SignatureFailed,
    };
    insta::assert_json_snapshot!("verify_file", file_verification(&file));
}

#[test]
fn qr_file_sync_and_sheng_shi_shapes() {
    let qr_city = Answer {
        library: Library::City,
        data: Shaped::City(QrCityRecord {
            img_sign_fileid: "ID".into(),
            license_name: "营业执照".into(),
            file_number: "FN".into(),
            issue_unitname: "枣庄市市场监督管理局".into(),
            valid_time_begin: d("2020-01-01"),
            holder: "某公司".into(),
            license_state: LicenseStatus::Suspended,
            valid_time_end: None,
            license_id: "ID".into(),
            abstract_code: "5cgedf2j6".into(),
            license_number: "N1".into(),
            elapsed_ms: 7,
        }),
    };
    insta::assert_json_snapshot!("qr_city", qr(&qr_city));
    let file = Answer {
        library: Library::City,
        data: DownloadedFile {
            cert_identifier: "ID".into(),
            content: FileContent::PageImages(vec![vec![0xFF, 0xD8], vec![1]]),
        },
    };
    insta::assert_json_snapshot!("download_file_png", downloaded_file(&file));
    insta::assert_json_snapshot!("insert", inserted(Library::Province, "P-ID"));
    insta::assert_json_snapshot!("update", no_data(Library::Province));
    insta::assert_json_snapshot!("pdf", pdf(Library::City, b"%PDF"));
    let both = ShengShiState {
        in_province: true,
        in_city: true,
        records: vec![ShengShiRecord {
            face: face(),
            file_number: Some("FN".into()),
        }],
    };
    insta::assert_json_snapshot!("sheng_shi_both", sheng_shi(&both));
    let neither = ShengShiState {
        in_province: false,
        in_city: false,
        records: vec![],
    };
    insta::assert_json_snapshot!("sheng_shi_neither", sheng_shi(&neither));
}
