//! Download links, files and both verification variants, the QR look-up, the PDF.

use license_core::service::*;
use license_core::{FileVerifyResult, ReturnCode};

use crate::world::NO_SUCH_TYPE;

use super::*;

impl Run<'_> {
    /// Download links, files and both verifications, the QR look-up and the PDF.
    pub(crate) async fn downloads(&mut self, me: &Caller) {
        let (svc, w, way) = (self.svc, self.world, self.way);
        let valid = w.valid.identifier.to_string();
        let r = self;
        let t = me.token.clone().expect("the full account's token");
        let refused = [
            ("pending", &w.pending, ReturnCode::Restricted),
            ("suspended", &w.suspended, ReturnCode::Restricted),
            ("revoked", &w.revoked, ReturnCode::Revoked),
            ("expired", &w.expired, ReturnCode::Expired),
        ];
        // ---- ShareDownloadUrl (4.3.2): every state, fetched and verified ----
        let a = svc.share_download_url(me, Run::link(&valid, None)).await;
        let a = r.ok("link: valid", a, links);
        let url = link_urls(&a).pop().expect("one link");
        r.fetch_and_verify("link: valid", &url, &t).await;
        for (name, l, code) in refused {
            let e = svc
                .share_download_url(me, Run::link(l.identifier.as_ref(), None))
                .await;
            r.fails(&format!("link: {name}"), e, code);
        }
        let e = svc
            .share_download_url(me, Run::link(&valid, Some("2001-01-01")))
            .await;
        r.fails("link: an expiry in the past", e, ReturnCode::Unparseable);
        let e = svc
            .share_download_url(me, Run::link("no-such-license", None))
            .await;
        r.fails("link: unknown license", e, ReturnCode::NotFound);

        // ---- ShareDownloadUrlsByHolderCode (4.3.8) ----
        let a = svc.download_urls_by_holder(me, r.holder(None, None)).await;
        let a = r.ok("holder links", a, links);
        let urls = link_urls(&a);
        assert_eq!(
            urls.len(),
            3,
            "[{way}] holder links: the three valid ID cards"
        );
        for (i, u) in urls.iter().enumerate() {
            r.fetch_and_verify(&format!("holder link {i}"), u, &t).await;
        }

        // ---- ShareDownloadFile (4.3.9) and ShareVerifyCertInfo, file variant (4.3.5) ----
        let f = svc.download_file(me, Run::file(&valid, Some("ofd"))).await;
        let f = r.ok("file: ofd", f, |a| {
            format!(
                "{:?} {}",
                a.library,
                matches!(a.data.content, FileContent::Ofd(_))
            )
        });
        let FileContent::Ofd(ofd) = f.data.content else {
            unreachable!("checked above")
        };
        let v = svc
            .verify_cert_file(me, Run::verify_file(Some(b64(&ofd))))
            .await;
        let v = r.ok("verify file: a downloaded copy", v, |a| format!("{a:?}"));
        assert_eq!(
            v.data,
            FileVerifyResult::Passed,
            "[{way}] the downloaded copy verifies"
        );
        // A byte of a part's data changed: the entry's CRC-32 no longer holds. (A byte picked
        // blindly may land in ZIP metadata no reader checks, such as a local header's time.)
        let e = svc
            .verify_cert_file(me, Run::verify_file(Some(b64(&corrupt_first_part(&ofd)))))
            .await;
        r.fails(
            "verify file: a corrupted package",
            e,
            ReturnCode::Unparseable,
        );
        let e = svc
            .verify_cert_file(me, Run::verify_file(Some(b64(&ofd[..ofd.len() / 2]))))
            .await;
        r.fails(
            "verify file: a truncated package",
            e,
            ReturnCode::Unparseable,
        );
        let e = svc
            .verify_cert_file(me, Run::verify_file(Some("not base64 at all!".into())))
            .await;
        r.fails("verify file: not base64", e, ReturnCode::Unparseable);
        // Empty, not absent: over REST a request without `content` is the information variant
        // (API.md §6: the variants share a path).
        let e = svc
            .verify_cert_file(me, Run::verify_file(Some(String::new())))
            .await;
        r.fails(
            "verify file: empty content",
            e,
            ReturnCode::MissingParameter,
        );
        let png = svc.download_file(me, Run::file(&valid, Some("png"))).await;
        r.ok("file: png pages", png, |a| match &a.data.content {
            FileContent::PageImages(p) => format!(
                "{} pages, jpeg={}",
                p.len(),
                p.iter().all(|i| i.starts_with(&[0xFF, 0xD8]))
            ),
            FileContent::Ofd(_) => "ofd".into(),
        });
        let e = svc.download_file(me, Run::file(&valid, Some("doc"))).await;
        r.fails("file: type doc", e, ReturnCode::Unparseable);
        for (name, l, code) in refused {
            let e = svc
                .download_file(me, Run::file(l.identifier.as_ref(), None))
                .await;
            r.fails(&format!("file: {name}"), e, code);
        }

        // ---- ShareVerifyCertInfo, information variant (4.3.4) ----
        let number = format!(
            r#"{{"certificateNumber":"{}"}}"#,
            w.valid.certificate_number
        );
        let v = svc.verify_cert_info(me, r.verify_info(Some(&number))).await;
        let v = r.ok("verify info: matching", v, |a| format!("{a:?}"));
        assert_eq!(v.data, Shaped::City(true), "[{way}] verify info: matches");
        let v = svc
            .verify_cert_info(me, r.verify_info(Some(r#"{"certificateNumber":"C999"}"#)))
            .await;
        let v = r.ok("verify info: a wrong number", v, |a| format!("{a:?}"));
        assert_eq!(v.data, Shaped::City(false), "[{way}] verify info: no match");
        let e = svc
            .verify_cert_info(me, r.verify_info(Some("{not json")))
            .await;
        r.fails("verify info: data not JSON", e, ReturnCode::Unparseable);
        let e = svc.verify_cert_info(me, r.verify_info(None)).await;
        r.fails("verify info: no data", e, ReturnCode::MissingParameter);
        let mut v = r.verify_info(Some(&number));
        v.cert_type_code = Some(NO_SUCH_TYPE.into());
        r.fails(
            "verify info: no such cert type",
            svc.verify_cert_info(me, v).await,
            ReturnCode::UnknownCertType,
        );

        // ---- ShareQueryCertInfoByQRcode (4.3.6) ----
        let qr = |value: Option<String>| QrQueryRequest {
            qr_value: value,
            interface_type: Some("1".into()),
            context: ctx(),
            operator: Default::default(),
        };
        let show_qr = |a: &Answer<QrRecords>| match &a.data {
            Shaped::City(c) => format!(
                "{:?} {} {:?} {:?}",
                a.library, c.license_number, c.license_state, c.valid_time_end
            ),
            Shaped::Province(p) => format!("province total={}", p.total),
        };
        let a = svc
            .query_by_qr_code(me, qr(Some(w.valid.qr_token.clone())))
            .await;
        r.ok("qr: by token", a, show_qr);
        let full = format!(
            "{}/license-api-release/verify/{}",
            w.base_url, w.valid.qr_token
        );
        let a = svc.query_by_qr_code(me, qr(Some(full))).await;
        r.ok("qr: by full URL", a, show_qr);
        let e = svc
            .query_by_qr_code(me, qr(Some("nosuchqrtoken".into())))
            .await;
        r.fails("qr: unknown", e, ReturnCode::NotFound);
        let e = svc.query_by_qr_code(me, qr(None)).await;
        r.fails("qr: none", e, ReturnCode::MissingParameter);

        // ---- downloadPdfFile (4.3.14) ----
        let pdf = PdfRequest {
            abstract_code: Some(w.valid.abstract_code.clone()),
        };
        let p = svc.download_pdf(me, pdf).await;
        r.ok("pdf: by extraction code", p, |b| {
            format!("pdf={}", b.starts_with(b"%PDF"))
        });
        let e = svc
            .download_pdf(
                me,
                PdfRequest {
                    abstract_code: Some("NOSUCHCODE".into()),
                },
            )
            .await;
        r.fails("pdf: unknown code", e, ReturnCode::NotFound);
        let e = svc
            .download_pdf(
                me,
                PdfRequest {
                    abstract_code: None,
                },
            )
            .await;
        r.fails("pdf: no code", e, ReturnCode::MissingParameter);
    }
}
