//! The sync interfaces and the province's collection interfaces.

use license_core::ReturnCode;
use license_core::service::*;

use super::*;

impl Run<'_> {
    /// The sync interfaces and the province's collection interfaces.
    pub(crate) async fn sync(&mut self, me: &Caller, info: &Caller) {
        let (svc, w) = (self.svc, self.world);
        let r = self;
        // ---- insertToProvince, updateToProvince, deleteToProvince (4.3.10–4.3.12) ----
        let sync = SyncRequest {
            file_number: Some(w.valid.file_number.clone()),
            cert_identifier: None,
        };
        let e = svc.insert_to_province(me, sync.clone()).await;
        r.fails("insert: no province upstream", e, ReturnCode::NotProvided);
        let e = svc.insert_to_province(info, sync).await;
        r.fails("insert: without the sync role", e, ReturnCode::Unauthorized);
        // Required parameters are checked before routing (API.md §4).
        let e = svc.update_to_province(me, SyncRequest::default()).await;
        r.fails("update: no fileNumber", e, ReturnCode::MissingParameter);
        let e = svc
            .update_to_province(
                me,
                SyncRequest {
                    file_number: Some(w.valid.file_number.clone()),
                    cert_identifier: Some(w.valid.identifier.to_string()),
                },
            )
            .await;
        r.fails("update: no province upstream", e, ReturnCode::NotProvided);
        let e = svc
            .delete_to_province(
                me,
                SyncRequest {
                    file_number: Some(w.valid.file_number.clone()),
                    cert_identifier: None,
                },
            )
            .await;
        r.fails("delete: no province upstream", e, ReturnCode::NotProvided);

        // ---- the province's collection interfaces (our extension, API.md §5) ----
        let push = CollectRequest {
            operation: CollectOperation::Create,
            operation_id: "conformance-op".into(),
            sequence: 1,
            city_file_number: w.valid.file_number.clone(),
            license: Some(license_core::admin::NewLicense::snapshot(&w.valid)),
            reason: None,
        };
        let e = svc.collect(me, push.clone()).await;
        r.fails(
            "collect: a city node collects nothing",
            e,
            ReturnCode::NotProvided,
        );
        let e = svc.collect(info, push).await;
        r.fails(
            "collect: without the sync role",
            e,
            ReturnCode::Unauthorized,
        );
    }
}
