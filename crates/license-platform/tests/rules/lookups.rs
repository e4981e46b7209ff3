//! The validation order, ShareQueryCertInfo and the holder searches.

use license_core::service::*;
use license_core::{LicenseService, LicenseStatus, ReturnCode};

use super::*;

/// The validation order, ShareQueryCertInfo and the holder searches.
pub(super) async fn lookups(f: &Fixture, token: String, info_token: String, l: &Issued) {
    let p = &f.platform;
    let Issued {
        valid,
        expired,
        revoked,
        suspended,
        pending,
    } = l.clone();
    // --- validation order (API.md §4) --------------------------------------------------------
    let mut no_id = query("");
    no_id.certificate_id = None;
    let e = p
        .query_cert_info(&Caller::default(), no_id.clone())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "token before parameters");
    assert_eq!(e.detail.as_deref(), Some("access_token is missing"));
    assert_eq!(
        code(p.query_cert_info(&caller("unknown"), query("x")).await),
        ReturnCode::Unauthorized
    );
    let e = p
        .download_file(
            &caller(&info_token),
            DownloadFileRequest {
                certificate_identifier: Some("x".into()),
                context: ctx(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "role");
    assert!(e.detail.unwrap().contains("download"));
    let e = p.query_cert_info(&caller(&token), no_id).await.unwrap_err();
    assert_eq!(
        (e.code, e.detail.as_deref()),
        (ReturnCode::MissingParameter, Some("certificateID"))
    );
    let mut long = query(valid.identifier.as_str());
    long.context.copy_cause = Some("因".repeat(201));
    assert_eq!(
        code(p.query_cert_info(&caller(&token), long).await),
        ReturnCode::BadReason
    );
    let mut cat = query(valid.identifier.as_str());
    cat.context.call_category = Some("7".into());
    assert_eq!(
        code(p.query_cert_info(&caller(&token), cat).await),
        ReturnCode::Unparseable
    );
    let mut it = query(valid.identifier.as_str());
    it.interface_type = Some("9".into());
    assert_eq!(
        code(p.query_cert_info(&caller(&token), it).await),
        ReturnCode::Unparseable
    );
    let mut province = query(valid.identifier.as_str());
    province.interface_type = None;
    let e = p
        .query_cert_info(&caller(&token), province)
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ReturnCode::NotProvided,
        "interfaceType 0 without an upstream"
    );
    assert_eq!(
        code(
            p.query_cert_info(&caller(&token), query("1.2.156.3005.2.NOPE"))
                .await
        ),
        ReturnCode::NotFound
    );
    let e = p
        .query_cert_info(&caller(&info_token), query(valid.identifier.as_str()))
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        ReturnCode::Unauthorized,
        "type outside the account's types"
    );
    assert!(e.detail.unwrap().contains(TYPE_ID));

    // --- ShareQueryCertInfo --------------------------------------------------------------
    let a = p
        .query_cert_info(&caller(&token), query(valid.identifier.as_str()))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else {
        panic!("city shape")
    };
    assert_eq!(page.total, 1);
    let r = &page.items[0];
    assert_eq!(
        (r.certificate_id.as_str(), r.state, r.validate_end),
        (valid.file_number.as_str(), LicenseStatus::Valid, None)
    );
    assert_eq!(r.certificate_type, "中华人民共和国居民身份证");
    for (l, s) in [
        (&expired, LicenseStatus::Expired),
        (&revoked, LicenseStatus::Revoked),
        (&suspended, LicenseStatus::Suspended),
        (&pending, LicenseStatus::NotActivated),
    ] {
        let a = p
            .query_cert_info(&caller(&token), query(&l.file_number))
            .await
            .unwrap();
        let Shaped::City(page) = a.data else { panic!() };
        assert_eq!(page.items[0].state, s, "queries answer any state");
    }

    // --- holder search ---------------------------------------------------------------------
    let a = p
        .query_by_holder(&caller(&token), holder_req(TYPE_ID))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    assert_eq!((page.total, page.items.len()), (5, 5));
    assert_eq!(
        page.items[0].certificate_number, "V-1",
        "most recently issued first"
    );
    let mut paged = holder_req(TYPE_ID);
    paged.page = Some("2".into());
    paged.size = Some("2".into());
    let Shaped::City(page) = p
        .query_by_holder(&caller(&token), paged)
        .await
        .unwrap()
        .data
    else {
        panic!()
    };
    assert_eq!((page.total, page.items.len()), (5, 2));
    let mut bad_page = holder_req(TYPE_ID);
    bad_page.page = Some("0".into());
    assert_eq!(
        code(p.query_by_holder(&caller(&token), bad_page).await),
        ReturnCode::Unparseable
    );
    // A page whose offset would overflow does not wrap to page 1.
    let mut huge_page = holder_req(TYPE_ID);
    huge_page.page = Some("4611686018427387905".into());
    huge_page.size = Some("100".into());
    let e = p
        .query_by_holder(&caller(&token), huge_page)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable, "{e:?}");
    // An ID number with a lower-case check character is the same holder, in the search and
    // in the audit log.
    assert!(HOLDER.ends_with('X'));
    let mut lower = holder_req(TYPE_ID);
    lower.holder_code = Some(HOLDER.to_ascii_lowercase());
    let lower_caller = Caller {
        request_id: "lower-case-x".into(),
        ..caller(&token)
    };
    let Shaped::City(page) = p.query_by_holder(&lower_caller, lower).await.unwrap().data else {
        panic!()
    };
    assert_eq!(page.total, 5, "found under the lower-case x");
    // Free text past its documented maximum: 24 naming the parameter, nothing stored.
    let mut long_matter = holder_req(TYPE_ID);
    long_matter.context.matter_name = Some("事".repeat(256));
    let e = p
        .query_by_holder(&caller(&token), long_matter)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable);
    assert!(e.detail.unwrap().contains("certificateMatterName"));
    let mut long_operator = holder_req(TYPE_ID);
    long_operator.operator.oper_user_name = Some("o".repeat(256));
    let e = p
        .query_by_holder(&caller(&token), long_operator)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::Unparseable);
    assert!(e.detail.unwrap().contains("operUserName"));
    assert_eq!(
        code(
            p.query_by_holder(&caller(&token), holder_req(TYPE_OTHER))
                .await
        ),
        ReturnCode::NotFound
    );
    assert_eq!(
        code(
            p.query_by_holder(&caller(&token), holder_req("999999999999999999999"))
                .await
        ),
        ReturnCode::UnknownCertType
    );
    let mut bad_holder = holder_req(TYPE_ID);
    bad_holder.holder_code = Some("110105194912310021".into());
    let e = p
        .query_by_holder(&caller(&token), bad_holder)
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::BadHolderCode);
    assert!(e.detail.unwrap().contains("GB 11643"));
    let mut bad_type = holder_req(TYPE_ID);
    bad_type.holder_code_type = Some("123".into());
    assert_eq!(
        code(p.query_by_holder(&caller(&token), bad_type).await),
        ReturnCode::BadHolderCode
    );
    p.set_cert_type(TYPE_OTHER, false, vec![]).await.unwrap();
    let e = p
        .query_by_holder(&caller(&token), holder_req(TYPE_OTHER))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UnknownCertType);
    assert!(e.detail.unwrap().contains("not published"));
    p.set_cert_type(TYPE_OTHER, true, vec![]).await.unwrap();
}
