//! Look-ups of one license, roles and cert-type limits, holder searches, shengShiStateInfo.

use license_core::service::*;
use license_core::{LicenseStatus, ReturnCode};

use crate::world::NO_SUCH_TYPE;

use super::*;

impl Run<'_> {
    /// Look-ups, roles and holder searches; the caller with the info-only token.
    pub(crate) async fn lookups(&mut self, me: &Caller) -> Caller {
        let (svc, w, who, way) = (self.svc, self.world, self.who, self.way);
        let valid = w.valid.identifier.to_string();
        let r = self;
        // ---- ShareQueryCertInfo (4.3.3): every state, every key, every failure ----
        for (name, l, state) in [
            ("valid", &w.valid, LicenseStatus::Valid),
            ("pending", &w.pending, LicenseStatus::NotActivated),
            ("suspended", &w.suspended, LicenseStatus::Suspended),
            ("revoked", &w.revoked, LicenseStatus::Revoked),
            ("expired", &w.expired, LicenseStatus::Expired),
        ] {
            let a = svc
                .query_cert_info(me, Run::query(l.identifier.as_ref(), Some("1")))
                .await;
            let a = r.ok(&format!("query: {name} by identifier"), a, records);
            assert_eq!(city_state(&a), Some(state), "[{way}] query: {name}");
        }
        let a = svc
            .query_cert_info(me, Run::query(&w.valid.file_number, Some("1")))
            .await;
        r.ok("query: by file number", a, records);
        let e = svc
            .query_cert_info(
                me,
                Run::query(
                    "1.2.156.3005.2.11100000000013127D001.113704000042365553.NOPE.001.1",
                    Some("1"),
                ),
            )
            .await;
        r.fails("query: unknown identifier", e, ReturnCode::NotFound);
        let broken: [(&str, Breaks<QueryCertInfoRequest>, ReturnCode); 5] = [
            (
                "no certificateID",
                |q| q.certificate_id = None,
                ReturnCode::MissingParameter,
            ),
            (
                "blank matter name",
                |q| q.context.matter_name = Some("  ".into()),
                ReturnCode::MissingParameter,
            ),
            (
                "a 201-character reason",
                |q| q.context.copy_cause = Some("因".repeat(201)),
                ReturnCode::BadReason,
            ),
            (
                "a reason without words",
                |q| q.context.copy_cause = Some("1234 ...".into()),
                ReturnCode::BadReason,
            ),
            (
                "call category 5",
                |q| q.context.call_category = Some("5".into()),
                ReturnCode::Unparseable,
            ),
        ];
        for (name, break_it, code) in broken {
            let mut q = Run::query(&valid, Some("1"));
            break_it(&mut q);
            r.fails(
                &format!("query: {name}"),
                svc.query_cert_info(me, q).await,
                code,
            );
        }
        let e = svc.query_cert_info(me, Run::query(&valid, Some("7"))).await;
        r.fails("query: interfaceType 7", e, ReturnCode::Unparseable);
        let e = svc.query_cert_info(me, Run::query(&valid, Some("0"))).await;
        r.fails(
            "query: the province library without an upstream",
            e,
            ReturnCode::NotProvided,
        );
        let e = svc.query_cert_info(me, Run::query(&valid, None)).await;
        r.fails(
            "query: interfaceType defaults to the province",
            e,
            ReturnCode::NotProvided,
        );

        // ---- roles and cert-type limits (API.md §6) ----
        let info = r.login("roles: info-only login", &who.info_only).await;
        let info = caller(Some(&info.access_token));
        let a = svc
            .query_cert_info(&info, Run::query(&valid, Some("1")))
            .await;
        r.ok("roles: info-only may query", a, records);
        let e = svc.share_download_url(&info, Run::link(&valid, None)).await;
        r.fails(
            "roles: info-only may not download",
            e,
            ReturnCode::Unauthorized,
        );
        let e = svc.query_by_holder(&info, r.holder(None, None)).await;
        r.fails(
            "roles: info-only may not search",
            e,
            ReturnCode::Unauthorized,
        );
        let ids = r
            .login("types: id-cards-only login", &who.id_cards_only)
            .await;
        let ids = caller(Some(&ids.access_token));
        let a = svc
            .query_cert_info(&ids, Run::query(&valid, Some("1")))
            .await;
        r.ok("types: an ID card", a, records);
        let e = svc
            .query_cert_info(
                &ids,
                Run::query(w.other_type.identifier.as_ref(), Some("1")),
            )
            .await;
        r.fails("types: another type", e, ReturnCode::Unauthorized);

        // ---- ShareQueryCertInfoByHo (4.3.7): paging and failures ----
        let a = svc.query_by_holder(me, r.holder(None, None)).await;
        let a = r.ok("holder: all", a, records);
        assert!(
            matches!(&a.data, Shaped::City(p) if p.total == 3 && p.items.len() == 3),
            "[{way}] holder: three ID cards"
        );
        let a = svc
            .query_by_holder(me, r.holder(Some("2"), Some("2")))
            .await;
        let a = r.ok("holder: page 2 of size 2", a, records);
        assert!(
            matches!(&a.data, Shaped::City(p) if p.total == 3 && p.items.len() == 1),
            "[{way}] holder: the last page"
        );
        let a = svc
            .query_by_holder(me, r.holder(Some("9"), Some("2")))
            .await;
        r.ok("holder: past the last page", a, records);
        let e = svc.query_by_holder(me, r.holder(Some("abc"), None)).await;
        r.fails("holder: page abc", e, ReturnCode::Unparseable);
        let mut h = r.holder(None, None);
        h.holder_code = Some("370402199001011230".into());
        r.fails(
            "holder: a holder code with a bad check digit",
            svc.query_by_holder(me, h).await,
            ReturnCode::BadHolderCode,
        );
        let mut h = r.holder(None, None);
        h.cert_type_code = Some(NO_SUCH_TYPE.into());
        r.fails(
            "holder: no such cert type",
            svc.query_by_holder(me, h).await,
            ReturnCode::UnknownCertType,
        );
        let mut h = r.holder(None, None);
        h.holder_code = None;
        r.fails(
            "holder: no holder code",
            svc.query_by_holder(me, h).await,
            ReturnCode::MissingParameter,
        );
        let throttled = r.login("rate: throttled login", &who.throttled).await;
        let throttled = caller(Some(&throttled.access_token));
        for i in 0..2 {
            let a = svc.query_by_holder(&throttled, r.holder(None, None)).await;
            r.ok(&format!("rate: search {i}"), a, records);
        }
        let e = svc.query_by_holder(&throttled, r.holder(None, None)).await;
        let e = r.fails("rate: a third search in the minute", e, ReturnCode::Other);
        assert!(e.retry_after_secs.is_some(), "[{way}] rate: a retry hint");

        // ---- shengShiStateInfo (4.3.13) ----
        // Both libraries at once: a city node without a province upstream cannot answer.
        let e = svc.sheng_shi_state(me, r.holder(None, None)).await;
        r.fails(
            "sheng-shi: no province upstream",
            e,
            ReturnCode::NotProvided,
        );

        // What a download of a license that is not valid answers (API.md §6).

        info
    }
}
