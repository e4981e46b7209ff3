//! The response envelope and the data shapes of every interface (API.md §1, §6): exactly one
//! serializer for what fixed clients parse.

use base64::Engine;
use chrono::NaiveDate;
use license_core::license::OPEN_ENDED;
use license_core::service::*;
use license_core::status::{
    SUCCESS_MESSAGE_CITY, SUCCESS_MESSAGE_PROVINCE, SUCCESS_MESSAGE_QR_CITY,
};
use license_core::{FileVerifyResult, Library, ServiceError};
use serde_json::{Map, Value, json};

/// City-library dates: `yyyy年MM月dd日`.
pub fn city_date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// Province face and QR city dates: `yyyy-MM-dd`.
pub fn iso_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn success_head(library: Library, message: &str) -> Map<String, Value> {
    let mut head = Map::new();
    head.insert("status".into(), Value::String("0".into()));
    head.insert("message".into(), Value::String(message.into()));
    head.insert("type".into(), Value::String(library.head_type().into()));
    head
}

fn message_for(library: Library) -> &'static str {
    match library {
        Library::Province => SUCCESS_MESSAGE_PROVINCE,
        Library::City => SUCCESS_MESSAGE_CITY,
    }
}

/// A success envelope.
pub fn success(library: Library, data: Value) -> Value {
    json!({ "head": success_head(library, message_for(library)), "data": data })
}

/// A failure envelope: the code's message with `：detail`, and the reason again as `data`.
pub fn failure(e: &ServiceError) -> Value {
    let message = e.message();
    let data = e
        .detail
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| e.code.message().to_owned());
    json!({ "head": { "status": e.code.code().to_string(), "message": message }, "data": data })
}

/// A province face: the stored fields plus `cert_identifier`.
pub fn province_face(f: &ProvinceFace) -> Value {
    let mut m: Map<String, Value> = f
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    m.insert(
        "cert_identifier".into(),
        Value::String(f.cert_identifier.clone()),
    );
    Value::Object(m)
}

/// A city record of ShareQueryCertInfo / ShareQueryCertInfoByHo.
pub fn city_record(r: &CityRecord) -> Value {
    json!({
        "certificateHolder": r.holder,
        "certificateValidateStart": city_date(r.validate_start),
        "certificateValidateEnd": r.validate_end.map_or_else(|| OPEN_ENDED.to_owned(), city_date),
        "issueDept": r.issue_dept,
        "certificateID": r.certificate_id,
        "certificateName": r.certificate_name,
        "certificateHolderType": r.holder_type,
        "certificateNumber": r.certificate_number,
        "issueDeptCode": r.issue_dept_code,
        "certificateHolderCode": r.holder_code,
        "detail": [],
        "issueDate": city_date(r.issue_date),
        "digitalSign": r.digital_sign,
        "certificateType": r.certificate_type,
        "certificateState": r.state.label(),
    })
}

fn list(total: u64, items: Vec<Value>) -> Value {
    json!({ "total": total, "dataList": items })
}

/// ShareQueryCertInfo / ShareQueryCertInfoByHo.
pub fn records(a: &Answer<LicenseRecords>) -> Value {
    let data = match &a.data {
        Shaped::Province(p) => list(p.total, p.items.iter().map(province_face).collect()),
        Shaped::City(p) => list(p.total, p.items.iter().map(city_record).collect()),
    };
    success(a.library, data)
}

/// ShareDownloadUrl / ShareDownloadUrlsByHolderCode.
pub fn links(a: &Answer<DownloadLinks>) -> Value {
    let data = match &a.data {
        Shaped::Province(p) => list(
            p.total,
            p.items
                .iter()
                .map(|l| json!({ "certIdentifier": l.cert_identifier, "contentType": l.content_type, "content": l.url }))
                .collect(),
        ),
        Shaped::City(p) => list(
            p.total,
            p.items
                .iter()
                .map(|l| {
                    json!({
                        "issueDept": l.issue_dept,
                        "certificateNumber": l.certificate_number,
                        "fileUrl": l.file_url,
                        "issueDate": city_date(l.issue_date),
                        "fileFormat": l.file_format,
                        "certificateType": l.certificate_type,
                    })
                })
                .collect(),
        ),
    };
    success(a.library, data)
}

/// ShareVerifyCertInfo, information variant: the result is a JSON number.
pub fn info_verification(a: &Answer<InfoVerification>) -> Value {
    let data = match &a.data {
        Shaped::Province(r) => list(
            1,
            vec![json!({ "result": r.code(), "message": r.message() })],
        ),
        Shaped::City(ok) => json!({ "verifyResult": if *ok { "true" } else { "false" } }),
    };
    success(a.library, data)
}

/// ShareVerifyCertInfo, file variant: the result is a JSON string.
pub fn file_verification(a: &Answer<FileVerifyResult>) -> Value {
    success(
        a.library,
        json!({ "result": a.data.code().to_string(), "message": a.data.message() }),
    )
}

/// ShareQueryCertInfoByQRcode; the city answer's head adds `sign` and `time`.
pub fn qr(a: &Answer<QrRecords>) -> Value {
    match &a.data {
        Shaped::Province(p) => success(
            a.library,
            list(p.total, p.items.iter().map(province_face).collect()),
        ),
        Shaped::City(r) => {
            let mut head = success_head(a.library, SUCCESS_MESSAGE_QR_CITY);
            head.insert("sign".into(), Value::String(String::new()));
            head.insert("time".into(), json!(r.elapsed_ms));
            let data = json!({
                "img_sign_fileid": r.img_sign_fileid,
                "license_name": r.license_name,
                "fileNumber": r.file_number,
                "issue_unitname": r.issue_unitname,
                "valid_time_begin": iso_date(r.valid_time_begin),
                "holder": r.holder,
                "license_state": r.license_state.label(),
                "valid_time_end": r.valid_time_end.map_or_else(|| OPEN_ENDED.to_owned(), iso_date),
                "licenseId": r.license_id,
                "abstractCode": r.abstract_code,
                "license_number": r.license_number,
            });
            json!({ "head": head, "data": data })
        }
    }
}

/// ShareDownloadFile: base64 OFD, or an array of base64 JPEG pages.
pub fn downloaded_file(a: &Answer<DownloadedFile>) -> Value {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let content = match &a.data.content {
        FileContent::Ofd(b) => Value::String(b64(b)),
        FileContent::PageImages(pages) => {
            Value::Array(pages.iter().map(|p| Value::String(b64(p))).collect())
        }
    };
    success(
        a.library,
        list(
            1,
            vec![
                json!({ "certIdentifier": a.data.cert_identifier, "contentType": "base64", "content": content }),
            ],
        ),
    )
}

/// insertToProvince.
pub fn inserted(library: Library, identifier: &str) -> Value {
    success(
        library,
        list(1, vec![json!({ "certIdentifier": identifier })]),
    )
}

/// updateToProvince / deleteToProvince.
pub fn no_data(library: Library) -> Value {
    success(library, Value::Null)
}

/// downloadPdfFile.
pub fn pdf(library: Library, bytes: &[u8]) -> Value {
    success(
        library,
        list(
            1,
            vec![Value::String(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            )],
        ),
    )
}

/// shengShiStateInfo: head adds `shengIsExists` / `shiIsExists`; `data` null when neither.
pub fn sheng_shi(s: &ShengShiState) -> Value {
    let library = if s.in_province {
        Library::Province
    } else {
        Library::City
    };
    let mut head = success_head(library, message_for(library));
    let flag = |b: bool| Value::String(if b { "1" } else { "0" }.into());
    head.insert("shengIsExists".into(), flag(s.in_province));
    head.insert("shiIsExists".into(), flag(s.in_city));
    let data = if s.records.is_empty() {
        Value::Null
    } else {
        list(
            s.records.len() as u64,
            s.records
                .iter()
                .map(|r| {
                    let mut v = province_face(&r.face);
                    if let (Some(n), Value::Object(m)) = (&r.file_number, &mut v) {
                        m.insert("fileNumber".into(), Value::String(n.clone()));
                    }
                    v
                })
                .collect(),
        )
    };
    json!({ "head": head, "data": data })
}

#[cfg(test)]
mod tests {
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
}
