//! The city's sync interfaces: insertToProvince, updateToProvince, deleteToProvince
//! (4.3.10–4.3.12).

use license_core::context::require;
use license_core::params as p;
use license_core::ports::NewPush;
use license_core::service::{Caller, CollectOperation, SyncRequest};
use license_core::{Library, License, ReturnCode, Role};

use crate::auth::Session;
use crate::fault::{Res, fail};
use crate::platform::{Call, Platform};

impl Platform {
    /// The city license a sync call names, checked for the caller (`10`, `11`).
    pub(crate) async fn sync_license(
        &self,
        call: &mut Call,
        session: &Session,
        key: &str,
    ) -> Res<License> {
        self.sync_available()?;
        let l = crate::share::by_key(self, call, key).await?;
        self.check_license_type(session, &l)?;
        Ok(l)
    }

    /// The sync interfaces exist on a city node with an upstream (API.md §5); `2` elsewhere.
    pub(crate) fn sync_available(&self) -> Res<()> {
        match (self.config.role, &self.upstream) {
            (Library::City, Some(_)) => Ok(()),
            (Library::Province, _) => fail(
                ReturnCode::NotProvided,
                "a province node offers no sync interface",
            ),
            (Library::City, None) => fail(
                ReturnCode::NotProvided,
                "this city node has no province upstream",
            ),
        }
    }

    /// Records a push of `l` (unless an equal create is already pending) and waits for it.
    pub(crate) async fn push_now(&self, l: &License, push: NewPush) -> Res<String> {
        let sequence = self.ports.outbox.enqueue(&[push], &[]).await?[0];
        self.outcome_of(sequence, l.identifier.as_str()).await
    }

    /// 4.3.10 insertToProvince.
    pub(crate) async fn do_insert_to_province(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: SyncRequest,
    ) -> Res<String> {
        let session = self.authorize(call, caller, Role::Sync).await?;
        require(&[(p::FILE_NUMBER, req.file_number.as_deref())])?;
        let key = req.file_number.as_deref().unwrap_or_default().trim();
        let l = self.sync_license(call, &session, key).await?;
        if let Some(id) = &l.province_identifier {
            return Ok(id.clone());
        }
        match self.pending_create(&l).await? {
            // Asked again while the first push waits: the same push, attempted now.
            Some(create) => self.outcome_of(create, l.identifier.as_str()).await,
            None => {
                self.push_now(&l, self.push_of(&l, CollectOperation::Create))
                    .await
            }
        }
    }

    /// The license of an update or revoke: it must be in the province library or on its way.
    pub(crate) async fn pushed_license(
        &self,
        call: &mut Call,
        session: &Session,
        key: &str,
    ) -> Res<License> {
        let l = self.sync_license(call, session, key).await?;
        if l.province_identifier.is_none() && self.pending_create(&l).await?.is_none() {
            return fail(
                ReturnCode::NotFound,
                format!("license {key} was never pushed to the province (insertToProvince first)"),
            );
        }
        Ok(l)
    }

    /// 4.3.11 updateToProvince.
    pub(crate) async fn do_update_to_province(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: SyncRequest,
    ) -> Res<()> {
        let session = self.authorize(call, caller, Role::Sync).await?;
        require(&[
            (p::FILE_NUMBER, req.file_number.as_deref()),
            (p::CERT_IDENTIFIER, req.cert_identifier.as_deref()),
        ])?;
        let key = req.file_number.as_deref().unwrap_or_default().trim();
        let l = self.pushed_license(call, &session, key).await?;
        let named = req.cert_identifier.as_deref().unwrap_or_default();
        if !l.has_key(named) {
            return fail(
                ReturnCode::NotFound,
                format!("{} {named} does not name license {key}", p::CERT_IDENTIFIER),
            );
        }
        self.push_now(&l, self.push_of(&l, CollectOperation::Update))
            .await
            .map(drop)
    }

    /// 4.3.12 deleteToProvince (作废): revokes the province's copy.
    pub(crate) async fn do_delete_to_province(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: SyncRequest,
    ) -> Res<()> {
        let session = self.authorize(call, caller, Role::Sync).await?;
        require(&[(p::FILE_NUMBER, req.file_number.as_deref())])?;
        let key = req.file_number.as_deref().unwrap_or_default().trim();
        let l = self.pushed_license(call, &session, key).await?;
        let mut push = self.push_of(&l, CollectOperation::Revoke);
        push.reason = Some(format!(
            "deleteToProvince by {}",
            call.username.as_deref().unwrap_or("?")
        ));
        self.push_now(&l, push).await.map(drop)
    }
}
