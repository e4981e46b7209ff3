//! Both verifications and the QR look-up.

use base64::Engine;
use chrono::Utc;
use license_core::context::RawCallContext;
use license_core::service::*;
use license_core::{FileVerifyResult, InfoVerifyResult, LicenseService, LicenseStatus, ReturnCode};
use license_file::{NodeKey, OfdEngine, TrustStore};

use super::*;

/// Both verifications (of `ofd`, a downloaded copy, among others) and the QR look-up.
pub(super) async fn verification(f: &Fixture, token: String, ofd: Vec<u8>, l: &Issued) {
    let p = &f.platform;
    let Issued {
        valid,
        revoked,
        suspended,
        pending,
        ..
    } = l.clone();
    // --- verification ------------------------------------------------------------------------
    let vi = |number: &str, data: &str| VerifyInfoRequest {
        cert_type_code: Some(TYPE_ID.into()),
        certificate_data: Some(data.replace("{n}", number)),
        use_for: Some("核验".into()),
        holder_code: Some(HOLDER.into()),
        interface_type: Some("1".into()),
        context: RawCallContext::default(),
    };
    let results = [
        (
            "V-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Valid,
        ),
        (
            "P-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::NotActivated,
        ),
        (
            "S-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Suspended,
        ),
        (
            "R-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Invalidated,
        ),
        (
            "E-1",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::Invalidated,
        ),
        ("V-1", r#"{"name":"张三"}"#, InfoVerifyResult::Incomplete),
        (
            "V-1",
            r#"{"certificateNumber":"{n}","name":"李四"}"#,
            InfoVerifyResult::NoSuchInformation,
        ),
        (
            "X-9",
            r#"{"certificateNumber":"{n}"}"#,
            InfoVerifyResult::NoSuchInformation,
        ),
    ];
    for (n, data, want) in results {
        let a = p
            .verify_cert_info(&caller(&token), vi(n, data))
            .await
            .unwrap();
        assert_eq!(
            a.data,
            Shaped::City(want == InfoVerifyResult::Valid),
            "{n} {data}"
        );
    }
    assert_eq!(
        code(
            p.verify_cert_info(&caller(&token), vi("V-1", "[1,2]"))
                .await
        ),
        ReturnCode::Unparseable
    );
    let mut no_reason = vi("V-1", "{}");
    no_reason.use_for = Some("!!!".into());
    assert_eq!(
        code(p.verify_cert_info(&caller(&token), no_reason).await),
        ReturnCode::BadReason
    );

    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let vf = |content: String| VerifyFileRequest {
        cert_type_code: Some(TYPE_ID.into()),
        content_type: Some("base64".into()),
        content: Some(content),
        use_cause: Some("核验文件".into()),
        interface_type: Some("1".into()),
        context: RawCallContext::default(),
    };
    let original = f
        .engine
        .issue_document(&f.engine.document(&valid), Utc::now())
        .unwrap();
    let tok = token.as_str();
    let vfile = |bytes: &[u8]| {
        let req = vf(b64(bytes));
        async move { p.verify_cert_file(&caller(tok), req).await.map(|a| a.data) }
    };
    assert_eq!(vfile(&original).await.unwrap(), FileVerifyResult::Passed);
    assert_eq!(
        vfile(&ofd).await.unwrap(),
        FileVerifyResult::Passed,
        "an annotated copy verifies"
    );
    let rev_file = f
        .engine
        .issue_document(&f.engine.document(&revoked), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&rev_file).await.unwrap(),
        FileVerifyResult::Invalidated
    );
    let sus_file = f
        .engine
        .issue_document(&f.engine.document(&suspended), Utc::now())
        .unwrap();
    assert_eq!(vfile(&sus_file).await.unwrap(), FileVerifyResult::Suspended);
    let pen_file = f
        .engine
        .issue_document(&f.engine.document(&pending), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&pen_file).await.unwrap(),
        FileVerifyResult::NotActivated
    );
    let stranger = OfdEngine::new(
        NodeKey::generate("他人", "x").unwrap(),
        "他章",
        TrustStore::default(),
        "q/",
    )
    .unwrap();
    let foreign = stranger
        .issue_document(&f.engine.document(&valid), Utc::now())
        .unwrap();
    assert_eq!(
        vfile(&foreign).await.unwrap(),
        FileVerifyResult::SignatureFailed
    );
    let unsigned = license_file::ofd::write_package(&f.engine.document(&valid))
        .unwrap()
        .write()
        .unwrap();
    assert_eq!(
        vfile(&unsigned).await.unwrap(),
        FileVerifyResult::FileFailed
    );
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), vf("%%%".into())).await),
        ReturnCode::Unparseable
    );
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), vf(b64(b"hello"))).await),
        ReturnCode::Unparseable
    );
    let mut ct = vf(b64(&original));
    ct.content_type = Some("hex".into());
    assert_eq!(
        code(p.verify_cert_file(&caller(&token), ct).await),
        ReturnCode::Unparseable
    );

    // --- QR --------------------------------------------------------------------------------
    let qr = |v: &str| QrQueryRequest {
        qr_value: Some(v.into()),
        interface_type: Some("1".into()),
        context: ctx(),
        operator: Default::default(),
    };
    let url = format!(
        "http://127.0.0.1:8040/license-api-release/verify/{}",
        valid.qr_token
    );
    for v in [url.as_str(), valid.qr_token.as_str()] {
        let a = p.query_by_qr_code(&caller(&token), qr(v)).await.unwrap();
        let Shaped::City(r) = a.data else { panic!() };
        assert_eq!(r.license_number, "V-1");
        assert_eq!(r.license_state, LicenseStatus::Valid);
    }
    assert_eq!(
        code(p.query_by_qr_code(&caller(&token), qr("nope")).await),
        ReturnCode::NotFound
    );
}
