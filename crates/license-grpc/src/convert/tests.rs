//! Conversions round-trip, and answers out of shape are refused.

use license_core::{FileVerifyResult, InfoVerifyResult};

use super::*;

fn city() -> CityRecord {
    CityRecord {
        holder: "张三".into(),
        validate_start: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
        validate_end: None,
        issue_dept: "枣庄市市场监督管理局".into(),
        certificate_id: "1.2.3".into(),
        certificate_name: "营业执照".into(),
        holder_type: "法人".into(),
        certificate_number: "N1".into(),
        issue_dept_code: "11370400MB2857869U".into(),
        holder_code: "91370400MA3C7XXXXX".into(),
        issue_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        digital_sign: String::new(),
        certificate_type: "11100000000013338W001".into(),
        state: LicenseStatus::Suspended,
    }
}

#[test]
fn answers_round_trip() {
    let a = Answer {
        library: Library::City,
        data: Shaped::City(Page {
            total: 7,
            items: vec![city()],
        }),
    };
    let back = pb::LicenseRecordsAnswer::from(a.clone())
        .into_core()
        .unwrap();
    assert_eq!(back, a);
    let p: Answer<LicenseRecords> = Answer {
        library: Library::Province,
        data: Shaped::Province(Page {
            total: 1,
            items: vec![ProvinceFace {
                cert_identifier: "1.2.156".into(),
                fields: [("name".to_owned(), "张三".to_owned())].into(),
            }],
        }),
    };
    assert_eq!(
        pb::LicenseRecordsAnswer::from(p.clone())
            .into_core()
            .unwrap(),
        p
    );
    for r in InfoVerifyResult::ALL {
        let a = Answer {
            library: Library::Province,
            data: Shaped::Province(r),
        };
        assert_eq!(
            pb::InfoVerificationAnswer::from(a.clone())
                .into_core()
                .unwrap(),
            a
        );
    }
    for r in FileVerifyResult::ALL {
        let a = Answer {
            library: Library::City,
            data: r,
        };
        assert_eq!(
            pb::FileVerificationAnswer::from(a.clone())
                .into_core()
                .unwrap(),
            a
        );
    }
    for s in LicenseStatus::ALL {
        assert_eq!(core_status(status(s)).unwrap(), s);
    }
}

#[test]
fn requests_keep_absent_and_empty_apart() {
    let r = HolderQueryRequest {
        holder_code: Some(String::new()),
        page: Some("2".into()),
        context: RawCallContext {
            copy_cause: Some("办理".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        HolderQueryRequest::from(pb::HolderQueryRequest::from(r.clone())),
        r
    );
}

#[test]
fn an_answer_out_of_shape_is_code_1() {
    let mut bad = pb::LicenseRecordsAnswer::from(Answer {
        library: Library::City,
        data: Shaped::City(Page {
            total: 1,
            items: vec![city()],
        }),
    });
    if let Some(pb::license_records_answer::Records::City(c)) = &mut bad.records {
        c.items[0].issue_date = Some(pb::Date {
            year: 2024,
            month: 2,
            day: 30,
        });
    }
    assert_eq!(
        bad.into_core().unwrap_err().code,
        ReturnCode::UpstreamUnreachable
    );
    let missing = pb::LicenseRecordsAnswer {
        library: 0,
        records: None,
    };
    assert_eq!(
        missing.into_core().unwrap_err().code,
        ReturnCode::UpstreamUnreachable
    );
}
