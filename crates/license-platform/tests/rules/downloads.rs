//! Download links and files, the PDF.

use chrono::Duration;
use license_core::service::*;
use license_core::{LicenseService, ReturnCode};

use super::*;

/// Download links and files, the PDF; an annotated copy it downloaded.
pub(super) async fn downloads(f: &Fixture, token: String, l: &Issued) -> Vec<u8> {
    let p = &f.platform;
    let Issued {
        valid,
        expired,
        revoked,
        suspended,
        pending,
    } = l.clone();
    // --- downloads -------------------------------------------------------------------------
    let dl = |key: &str| DownloadUrlRequest {
        certificate_id: Some(key.into()),
        expiry_time: None,
        context: ctx(),
    };
    let a = p
        .share_download_url(&caller(&token), dl(valid.identifier.as_str()))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    let url = &page.items[0].file_url;
    assert!(
        url.starts_with(
            "http://127.0.0.1:8040/license-api-release/elssp/v1/download_national?fileId="
        ),
        "{url}"
    );
    assert!(url.ends_with("&fileFormat=OFD"));
    let id = url
        .split("fileId=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (name, bytes) = p.redeem_download(&Caller::default(), id).await.unwrap();
    assert!(name.ends_with(".ofd"));
    // Nothing stored names the link: the copy's file is keyed by a name of its own.
    let stored: Vec<String> = walk(&f._dir)
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(stored.iter().any(|p| p.contains("copies")), "{stored:?}");
    assert!(
        stored.iter().all(|p| !p.contains(id)),
        "a stored path reveals the link id {id}: {stored:?}"
    );
    let report = license_file::verify(&bytes).unwrap();
    assert_eq!(
        report.signatures.len(),
        2,
        "issuer's signature and the platform's annotation signature"
    );
    assert!(report.is_valid(license_file::Mode::Strict));
    assert_eq!(
        code(p.redeem_download(&Caller::default(), "not-a-link").await),
        ReturnCode::NotFound
    );
    f.clock.advance(Duration::minutes(11));
    assert_eq!(
        code(p.redeem_download(&Caller::default(), id).await),
        ReturnCode::NotFound,
        "links expire after 10 minutes"
    );
    for (l, c) in [
        (&revoked, ReturnCode::Revoked),
        (&expired, ReturnCode::Expired),
        (&suspended, ReturnCode::Restricted),
        (&pending, ReturnCode::Restricted),
    ] {
        assert_eq!(
            code(
                p.share_download_url(&caller(&token), dl(&l.file_number))
                    .await
            ),
            c
        );
    }
    let mut past = dl(valid.identifier.as_str());
    past.expiry_time = Some("2020-01-01".into());
    assert_eq!(
        code(p.share_download_url(&caller(&token), past).await),
        ReturnCode::Unparseable
    );
    let a = p
        .download_urls_by_holder(&caller(&token), holder_req(TYPE_ID))
        .await
        .unwrap();
    let Shaped::City(page) = a.data else { panic!() };
    assert_eq!(page.total, 1, "only currently valid licenses get links");

    let file = |t: Option<&str>| DownloadFileRequest {
        certificate_identifier: Some(valid.identifier.to_string()),
        file_type: t.map(str::to_owned),
        interface_type: Some("1".into()),
        context: ctx(),
        ..Default::default()
    };
    let a = p.download_file(&caller(&token), file(None)).await.unwrap();
    let FileContent::Ofd(ofd) = a.data.content else {
        panic!("ofd")
    };
    assert!(
        license_file::verify(&ofd)
            .unwrap()
            .is_valid(license_file::Mode::Strict)
    );
    let a = p
        .download_file(&caller(&token), file(Some("png")))
        .await
        .unwrap();
    let FileContent::PageImages(pages) = a.data.content else {
        panic!("images")
    };
    assert!(pages[0].starts_with(&[0xFF, 0xD8]), "JPEG");
    assert_eq!(
        code(p.download_file(&caller(&token), file(Some("gif"))).await),
        ReturnCode::Unparseable
    );
    let pdf = p
        .download_pdf(
            &caller(&token),
            PdfRequest {
                abstract_code: Some(valid.abstract_code.to_uppercase()),
            },
        )
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        code(
            p.download_pdf(
                &caller(&token),
                PdfRequest {
                    abstract_code: Some(revoked.abstract_code.clone())
                }
            )
            .await
        ),
        ReturnCode::Revoked
    );
    ofd
}
