//! The sync interfaces without an upstream, administration, the holder-search limit, the
//! audit log.

use license_core::ports::AuditQuery;
use license_core::service::*;
use license_core::{Interface, LicenseService, ReturnCode};
use license_platform::StateChange;

use super::*;

/// The sync interfaces without an upstream, administration, the holder-search limit, the
/// audit log.
pub(super) async fn administration(f: &Fixture, token: String, l: &Issued) {
    let p = &f.platform;
    let Issued { valid, revoked, .. } = l.clone();
    // --- sync interfaces without an upstream ---------------------------------------------------
    assert_eq!(
        code(
            p.insert_to_province(
                &caller(&token),
                SyncRequest {
                    file_number: Some("x".into()),
                    cert_identifier: None
                }
            )
            .await
        ),
        ReturnCode::NotProvided
    );

    // --- administration --------------------------------------------------------------------
    let s = p
        .change_state(valid.identifier.as_str(), StateChange::Suspend, "核查")
        .await
        .unwrap();
    assert_eq!(s.state, license_core::LicenseState::Suspended);
    assert!(
        p.change_state(valid.identifier.as_str(), StateChange::Activate, "x")
            .await
            .is_err()
    );
    p.change_state(
        valid.identifier.as_str(),
        StateChange::Reinstate,
        "核查完毕",
    )
    .await
    .unwrap();
    let v2 = p
        .reissue(
            valid.identifier.as_str(),
            &license_platform::Correction {
                certificate_holder: Some("张叁".into()),
                reason: "更正姓名".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((v2.version, v2.identifier.version()), (2, "002"));
    let old = p.license(valid.identifier.as_str()).await.unwrap();
    assert_eq!(old.state, license_core::LicenseState::Revoked);
    assert!(old.state_reason.unwrap().contains(v2.identifier.as_str()));

    let jsonl = format!(
        "{}\n{}\nnot json\n{}\n",
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-1", "certificateHolder": "王五", "certificateHolderCode": HOLDER, "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01", "certificateValidateEnd": null, "face": {"name": "王五"}})).unwrap(),
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-2", "certificateHolder": "王五", "certificateHolderCode": "110105194912310021", "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01"})).unwrap(),
        serde_json::to_string(&serde_json::json!({"certTypeCode": TYPE_ID, "certificateNumber": "I-3", "certificateHolder": "王五", "certificateHolderCode": HOLDER, "certificateHolderType": "111", "issueDept": "枣庄市公安局", "issueDeptCode": DEPT, "issueDate": "2024-05-01", "certificateValidateStart": "2024-05-01", "certIdentifier": "1.2.156.3005.2.11100000000013127D001.11370000004504927A.CFD93524173848F3A2ED4AB7A36E7A50.001.8", "fileNumber": "02-12370400F49201558F-51-370481198304040037-00-A000102935"})).unwrap(),
    );
    let report = p.import_jsonl(&jsonl).await;
    assert_eq!(report.imported, 2);
    assert_eq!(
        report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(
        report.rejected[0].reason.contains("错误的持证主体代码类型"),
        "{:?}",
        report.rejected
    );
    let kept = p
        .license("02-12370400F49201558F-51-370481198304040037-00-A000102935")
        .await
        .unwrap();
    assert_eq!(kept.identifier.scheme(), license_core::CheckScheme::Legacy);
    let again = p.import_jsonl(&jsonl).await;
    assert_eq!(again.imported, 0, "duplicates are rejected");

    // --- rate limit on holder searches -----------------------------------------------------
    let mut limited = None;
    for _ in 0..40 {
        if let Err(e) = p
            .query_by_holder(&caller(&token), holder_req(TYPE_ID))
            .await
            && e.code == ReturnCode::Other
        {
            limited = Some(e);
            break;
        }
    }
    let e = limited.expect("the rate limit answers 99");
    assert!(e.detail.unwrap().contains("rate exceeded"));
    assert!(e.retry_after_secs.is_some());

    // --- audit ---------------------------------------------------------------------------------
    // An administrator's search records the licenses it returned.
    let found = license_core::AdminService::search_licenses(
        p,
        &caller(&token),
        license_core::ports::LicenseFilter {
            holder_code: Some(HOLDER.into()),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(found.items.iter().any(|l| l.identifier == valid.identifier));
    let looked = p
        .audit_log(&AuditQuery {
            license: Some(valid.identifier.to_string()),
            interface: Some(Interface::Admin),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        looked.total, 1,
        "the admin search is found by the license it returned"
    );
    let used = p
        .audit_log(&AuditQuery {
            license: Some(revoked.identifier.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(used.total >= 3, "who used this license: {}", used.total);
    // A call that read its one license from the library says so: the store finds its event
    // through the holder code's index and writes no link row for it.
    let queried = used
        .items
        .iter()
        .find(|e| e.interface == Interface::ShareQueryCertInfo && e.code == ReturnCode::Success)
        .expect("a query of the revoked license");
    assert!(queried.in_library);
    assert_eq!(
        queried.holder_code.as_deref(),
        Some(revoked.holder_code.as_str())
    );
    let failures = p
        .audit_log(&AuditQuery {
            interface: Some(Interface::Token),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        failures
            .items
            .iter()
            .any(|e| e.code == ReturnCode::Unauthorized
                && e.username.as_deref() == Some("info-only")),
        "failed logins are audited"
    );
    let by_holder = p
        .audit_log(&AuditQuery {
            holder_code: Some(HOLDER.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        by_holder
            .items
            .iter()
            .any(|e| e.request_id == "lower-case-x"),
        "the lower-case search is audited under the holder's code"
    );
    let searched = by_holder
        .items
        .iter()
        .find(|e| e.interface == Interface::ShareQueryCertInfoByHo && e.code == ReturnCode::Success)
        .unwrap();
    let c = searched.context.as_ref().unwrap();
    assert_eq!(
        c.call_district.as_deref(),
        Some("峄城区"),
        "the misprint is stored corrected"
    );
    assert_eq!(searched.username.as_deref(), Some("hall"));
    assert_eq!(
        searched.in_library,
        searched.licenses.len() == 1,
        "a search's event rides on the holder index only when it found one license"
    );
    let bad = p
        .audit_log(&AuditQuery {
            username: Some("hall".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        bad.items.iter().any(|e| e.code == ReturnCode::BadReason),
        "failures are audited too"
    );

    // Disabling an account revokes its tokens at once.
    p.set_account_enabled("hall", false).await.unwrap();
    assert_eq!(
        code(
            p.query_cert_info(&caller(&token), query(v2.identifier.as_str()))
                .await
        ),
        ReturnCode::Unauthorized
    );
}
