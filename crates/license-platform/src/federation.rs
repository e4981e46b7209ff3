//! Federation between a city and its province (API.md §5, §6): the city's sync interfaces
//! (`insertToProvince`, `updateToProvince`, `deleteToProvince`) record each push in a durable
//! outbox and deliver it — at once when the province answers, else in the background with
//! exponential backoff and jitter, one license's pushes in order; the province's collection
//! interfaces apply each push once, by the city's file number and the push's sequence.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use license_core::admin::NewLicense;
use license_core::context::require;
use license_core::params as p;
use license_core::ports::{CollectedLink, LicenseWrite, NewPush, PortError, Push, PushState};
use license_core::service::{Caller, CollectOperation, CollectRequest, Page, SyncRequest};
use license_core::{
    CertIdentifier, Library, License, LicenseService, LicenseState, ReturnCode, Role, ServiceError,
};
use sha2::Digest;

use crate::auth::Session;
use crate::fault::{Fault, Res, fail};
use crate::platform::{Call, Platform};

/// Pushes read per background round.
const ROUND: u64 = 1_000;
/// Licenses delivered at once in a background round.
const PARALLEL: usize = 8;
/// Longest idle wait between background rounds (pushes recorded by another process sharing
/// the database are seen within it).
const IDLE: Duration = Duration::from_millis(500);

/// Who delivers what: one delivery of a license at a time in this process, and a bell that
/// wakes the background deliverer when a push is recorded.
#[derive(Default)]
pub(crate) struct Deliveries {
    busy: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    wake: tokio::sync::Notify,
}

impl Deliveries {
    fn lock_for(&self, license: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        // Forget locks nobody holds or waits for, so the map stays small.
        busy.retain(|_, l| Arc::strong_count(l) > 1);
        busy.entry(license.to_owned()).or_default().clone()
    }
}

/// How one delivery attempt ended.
#[derive(Debug)]
enum Attempt {
    /// The province applied it and answered this identifier.
    Delivered(String),
    /// It stays pending (the province could not be reached, or could not answer now).
    Retry(ServiceError),
    /// The province refused it for good.
    Refused(ServiceError),
}

/// Answers that may change by themselves: the push is retried. Anything else is the
/// province's verdict on the push itself.
fn is_transient(code: ReturnCode) -> bool {
    matches!(
        code,
        ReturnCode::UpstreamUnreachable
            | ReturnCode::NotProvided
            | ReturnCode::Unauthorized
            | ReturnCode::Other
    )
}

/// How a refusal is kept in the outbox: `code: detail`, read back by [`stored_error`].
fn error_text(e: &ServiceError) -> String {
    format!(
        "{}: {}",
        e.code.code(),
        e.detail.as_deref().unwrap_or_default()
    )
}

fn stored_error(text: &str) -> ServiceError {
    let (code, detail) = text.split_once(": ").unwrap_or(("99", text));
    let code = code
        .parse::<u16>()
        .ok()
        .and_then(ReturnCode::from_code)
        .unwrap_or(ReturnCode::Other);
    if detail.is_empty() {
        ServiceError::bare(code)
    } else {
        ServiceError::new(code, detail.to_owned())
    }
}

fn queued(sequence: u64, why: &ServiceError) -> Fault {
    Fault::Service(ServiceError::new(
        ReturnCode::UpstreamUnreachable,
        format!(
            "the province could not take the push now ({}); it is queued as outbox entry \
             {sequence} and retried in the background",
            why.message()
        ),
    ))
}

/// The identifier a province assigns to a city's license: derived from the city and its file
/// number, so the same push made twice, even concurrently, names one license (GB/T 36904).
fn province_identifier(
    origin: &str,
    city_file_number: &str,
    record: &NewLicense,
) -> Result<CertIdentifier, ServiceError> {
    let seed = format!("province|{origin}|{city_file_number}");
    let serial = hex::encode_upper(sha2::Sha256::digest(seed.as_bytes()));
    CertIdentifier::build(
        record.cert_type_code.trim(),
        record.issue_dept_code.trim(),
        &serial[..20],
        1,
    )
    .map_err(|e| ServiceError::new(ReturnCode::Unparseable, format!("license: {e}")))
}

impl Platform {
    /// Whether this node pushes its license changes to the province as they are made.
    pub(crate) fn syncs_automatically(&self) -> bool {
        self.config.role == Library::City && self.upstream.is_some() && self.config.auto_sync
    }

    /// A push of `l` as it is now.
    pub(crate) fn push_of(&self, l: &License, operation: CollectOperation) -> NewPush {
        NewPush {
            operation_id: uuid::Uuid::new_v4().simple().to_string(),
            license: l.identifier.to_string(),
            file_number: l.file_number.clone(),
            operation,
            record: match operation {
                CollectOperation::Revoke => None,
                _ => Some(NewLicense::snapshot(l)),
            },
            reason: match operation {
                CollectOperation::Revoke => l.state_reason.clone(),
                _ => None,
            },
            at: self.now(),
        }
    }

    /// Stores license changes, with their pushes in the same transaction when this node syncs
    /// automatically, then rings the deliverer.
    pub(crate) async fn write_licenses(
        &self,
        writes: &[LicenseWrite<'_>],
        pushes: Vec<NewPush>,
    ) -> Result<(), PortError> {
        if self.syncs_automatically() && !pushes.is_empty() {
            self.ports.outbox.enqueue(&pushes, writes).await?;
            self.deliveries.wake.notify_one();
        } else {
            for w in writes {
                match w {
                    LicenseWrite::Insert(l) => self.ports.licenses.insert(l).await?,
                    LicenseWrite::Update(l) => {
                        self.ports.licenses.update(l).await?;
                    }
                }
            }
        }
        self.forget_licenses();
        Ok(())
    }

    /// The push for a license change under automatic sync: a license never pushed is created,
    /// a revoked one revoked, any other change an update.
    pub(crate) async fn change_push(&self, l: &License) -> Result<NewPush, PortError> {
        let created = l.province_identifier.is_some() || self.pending_create(l).await?.is_some();
        Ok(self.push_of(
            l,
            match (created, l.state) {
                (false, _) => CollectOperation::Create,
                (true, LicenseState::Revoked) => CollectOperation::Revoke,
                (true, _) => CollectOperation::Update,
            },
        ))
    }

    /// The sequence of the license's create push, while it waits in the outbox.
    async fn pending_create(&self, l: &License) -> Result<Option<u64>, PortError> {
        Ok(self
            .ports
            .outbox
            .pending_for(l.identifier.as_str())
            .await?
            .iter()
            .find(|p| p.push.operation == CollectOperation::Create)
            .map(|p| p.sequence))
    }

    fn collect_request(push: &Push) -> CollectRequest {
        CollectRequest {
            operation: push.push.operation,
            operation_id: push.push.operation_id.clone(),
            sequence: push.sequence,
            city_file_number: push.push.file_number.clone(),
            license: push.push.record.clone(),
            reason: push.push.reason.clone(),
        }
    }

    /// One delivery attempt of a push, its outcome recorded in the outbox.
    async fn attempt(&self, up: &Arc<dyn LicenseService>, push: &Push) -> Res<Attempt> {
        let caller = Caller {
            token: None,
            client_addr: None,
            request_id: license_core::service::new_request_id(),
        };
        let answer = self
            .forward(up.collect(&caller, Self::collect_request(push)))
            .await;
        let attempts = push.attempts.saturating_add(1);
        let outcome = match answer {
            Ok(id) => {
                self.ports
                    .outbox
                    .delivered(push.sequence, &id, self.now())
                    .await?;
                Attempt::Delivered(id)
            }
            Err(Fault::Service(e)) if is_transient(e.code) => {
                let next = self.now() + self.backoff(attempts);
                self.ports
                    .outbox
                    .retry_later(push.sequence, attempts, next, &error_text(&e))
                    .await?;
                Attempt::Retry(e)
            }
            Err(Fault::Service(e)) => {
                self.ports
                    .outbox
                    .failed(push.sequence, attempts, &error_text(&e))
                    .await?;
                Attempt::Refused(e)
            }
            Err(f @ Fault::Port(_)) => return Err(f),
        };
        tracing::info!(
            sequence = push.sequence,
            operation = push.push.operation.name(),
            attempts,
            outcome = match &outcome {
                Attempt::Delivered(_) => "delivered",
                Attempt::Retry(_) => "retry",
                Attempt::Refused(_) => "refused",
            },
            "province push"
        );
        Ok(outcome)
    }

    /// The wait before attempt `attempts + 1`: doubling from the base up to the maximum, then
    /// a random half of it dropped (jitter, so cities do not retry in step).
    fn backoff(&self, attempts: u32) -> chrono::Duration {
        let base = self.config.outbox_retry_base.as_millis() as u64;
        let max = self.config.outbox_retry_max.as_millis() as u64;
        let full = base
            .saturating_mul(1u64 << attempts.saturating_sub(1).min(20))
            .min(max)
            .max(1);
        let random = (uuid::Uuid::new_v4().as_u128() as u64) % (full / 2 + 1);
        chrono::Duration::milliseconds(i64::try_from(full - random).unwrap_or(i64::MAX))
    }

    /// Delivers one license's pending pushes in sequence order, stopping at the first that
    /// must wait; `now` attempts the first even before its retry is due (a caller is waiting).
    async fn deliver_license(&self, license: &str, now: bool) -> Res<Vec<(u64, Attempt)>> {
        let Some(up) = self.upstream.clone() else {
            return Ok(Vec::new());
        };
        let lock = self.deliveries.lock_for(license);
        let _one_at_a_time = lock.lock().await;
        let mut done = Vec::new();
        for (i, push) in self
            .ports
            .outbox
            .pending_for(license)
            .await?
            .into_iter()
            .enumerate()
        {
            if !(now && i == 0) && push.next_attempt_at > self.now() {
                break;
            }
            let outcome = self.attempt(&up, &push).await?;
            let stop = matches!(outcome, Attempt::Retry(_));
            if let Attempt::Delivered(_) = outcome {
                self.forget_licenses();
            }
            done.push((push.sequence, outcome));
            if stop {
                break;
            }
        }
        Ok(done)
    }

    /// One background round: every license whose first pending push is due, a few at once.
    /// Returns how many pushes were delivered and when the next pending push falls due.
    pub async fn deliver_due(&self) -> Result<(usize, Option<Duration>), ServiceError> {
        let pending = self
            .ports
            .outbox
            .pending(ROUND)
            .await
            .map_err(|e| crate::admin::fault_to_service(e.into()))?;
        let now = self.now();
        let mut firsts: Vec<&Push> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for push in &pending {
            if seen.insert(push.push.license.as_str()) {
                firsts.push(push);
            }
        }
        let next_due = firsts
            .iter()
            .filter(|p| p.next_attempt_at > now)
            .map(|p| (p.next_attempt_at - now).to_std().unwrap_or_default())
            .min();
        let due: Vec<String> = firsts
            .iter()
            .filter(|p| p.next_attempt_at <= now)
            .map(|p| p.push.license.clone())
            .collect();
        let mut delivered = 0;
        for chunk in due.chunks(PARALLEL) {
            let results = futures_util::future::join_all(
                chunk.iter().map(|l| self.deliver_license(l, false)),
            )
            .await;
            for r in results {
                match r {
                    Ok(done) => {
                        delivered += done
                            .iter()
                            .filter(|(_, a)| matches!(a, Attempt::Delivered(_)))
                            .count();
                    }
                    Err(Fault::Port(e)) => {
                        tracing::error!(error = %e, "outbox delivery stopped by a storage fault");
                    }
                    Err(Fault::Service(e)) => {
                        tracing::warn!(error = %e, "outbox delivery");
                    }
                }
            }
        }
        let more = pending.len() as u64 == ROUND || delivered > 0;
        Ok((
            delivered,
            if more && !due.is_empty() {
                Some(Duration::ZERO)
            } else {
                next_due
            },
        ))
    }

    /// Delivers the outbox in the background until `shutdown` resolves: wakes when a push is
    /// recorded, when the next retry falls due, and at least every half second.
    pub async fn run_outbox(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        if self.upstream.is_none() || self.config.role != Library::City {
            shutdown.await;
            return;
        }
        tokio::pin!(shutdown);
        loop {
            let wait = match self.deliver_due().await {
                Ok((_, Some(d))) => d.min(IDLE),
                Ok((_, None)) => IDLE,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox round failed");
                    IDLE
                }
            };
            if wait.is_zero() {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.deliveries.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The answer of a push a caller waits for: delivered now or before, refused, or queued.
    async fn outcome_of(&self, sequence: u64, license: &str) -> Res<String> {
        let attempts = self.deliver_license(license, true).await?;
        match attempts.into_iter().find(|(s, _)| *s == sequence) {
            Some((_, Attempt::Delivered(id))) => return Ok(id),
            Some((_, Attempt::Refused(e))) => return Err(Fault::Service(e)),
            Some((_, Attempt::Retry(e))) => return Err(queued(sequence, &e)),
            None => {}
        }
        // Another delivery took it meanwhile, or an earlier push of the license must wait.
        let Some(push) = self.ports.outbox.get(sequence).await? else {
            return fail(
                ReturnCode::Other,
                format!("outbox entry {sequence} vanished"),
            );
        };
        match push.state {
            PushState::Delivered => Ok(push.province_identifier.unwrap_or_default()),
            PushState::Failed => Err(Fault::Service(stored_error(
                push.last_error.as_deref().unwrap_or_default(),
            ))),
            PushState::Pending => Err(queued(
                sequence,
                &push.last_error.as_deref().map_or_else(
                    || {
                        ServiceError::new(
                            ReturnCode::UpstreamUnreachable,
                            "an earlier push of this license is still pending",
                        )
                    },
                    stored_error,
                ),
            )),
        }
    }

    /// The city license a sync call names, checked for the caller (`10`, `11`).
    async fn sync_license(&self, call: &mut Call, session: &Session, key: &str) -> Res<License> {
        self.sync_available()?;
        let l = crate::share::by_key(self, call, key).await?;
        self.check_license_type(session, &l)?;
        Ok(l)
    }

    /// The sync interfaces exist on a city node with an upstream (API.md §5); `2` elsewhere.
    fn sync_available(&self) -> Res<()> {
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
    async fn push_now(&self, l: &License, push: NewPush) -> Res<String> {
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
    async fn pushed_license(&self, call: &mut Call, session: &Session, key: &str) -> Res<License> {
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

    /// The province's collection interfaces: applies a city's push once and in order.
    pub(crate) async fn do_collect(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: CollectRequest,
    ) -> Res<String> {
        let session = self.authorize(call, caller, Role::Sync).await?;
        if self.config.role != Library::Province {
            return fail(
                ReturnCode::NotProvided,
                "only a province node collects licenses",
            );
        }
        require(&[
            ("operationId", Some(req.operation_id.as_str())),
            ("cityFileNumber", Some(req.city_file_number.as_str())),
        ])?;
        let origin = session.account.username.clone();
        let city_file_number = req.city_file_number.trim();
        let link = self.ports.collected.link(&origin, city_file_number).await?;
        if let Some(link) = &link
            && req.sequence <= link.sequence
        {
            // Applied before (a repeated delivery) or overtaken by a later push.
            return Ok(link.province_identifier.clone());
        }
        let next = |province_identifier: String| CollectedLink {
            origin: origin.clone(),
            city_file_number: city_file_number.to_owned(),
            province_identifier,
            sequence: req.sequence,
            operation_id: req.operation_id.trim().to_owned(),
            updated_at: self.now(),
        };
        let record = || {
            req.license
                .clone()
                .ok_or_else(|| Fault::Service(ServiceError::missing("license")))
        };
        match (link, req.operation) {
            (None, CollectOperation::Create) => {
                let record = record()?;
                let id = province_identifier(&origin, city_file_number, &record)?;
                // The province copy keeps the city's file number (文件标识), so a call forwarded
                // with it finds the license here too (API.md §7).
                let l = self
                    .prepare_license(&NewLicense {
                        cert_identifier: Some(id.to_string()),
                        file_number: Some(city_file_number.to_owned()),
                        abstract_code: None,
                        ..record
                    })
                    .await?;
                self.check_license_type(&session, &l)?;
                call.touch(&l);
                let link = next(l.identifier.to_string());
                match self
                    .ports
                    .collected
                    .collect(&link, LicenseWrite::Insert(&l))
                    .await
                {
                    Ok(_) => {
                        self.forget_licenses();
                        Ok(link.province_identifier)
                    }
                    Err(PortError::Conflict(what)) => {
                        // The same push delivered twice at once: the other delivery stored it.
                        match self.ports.collected.link(&origin, city_file_number).await? {
                            Some(stored) => Ok(stored.province_identifier),
                            None => fail(
                                ReturnCode::Unparseable,
                                format!(
                                    "cityFileNumber {city_file_number} names another license of \
                                     the province library ({what})"
                                ),
                            ),
                        }
                    }
                    Err(e) => Err(e.into()),
                }
            }
            (None, _) => fail(
                ReturnCode::NotFound,
                format!("no license of {origin} with file number {city_file_number} was collected"),
            ),
            (Some(link), op) => {
                let Some(current) = self.license_by_key(&link.province_identifier).await? else {
                    return fail(
                        ReturnCode::Other,
                        format!("collected license {} is missing", link.province_identifier),
                    );
                };
                let mut l = match op {
                    CollectOperation::Revoke => {
                        let mut l = (*current).clone();
                        l.state = LicenseState::Revoked;
                        l.state_reason = Some(
                            req.reason
                                .clone()
                                .filter(|r| !r.trim().is_empty())
                                .unwrap_or_else(|| format!("revoked by {origin}")),
                        );
                        l.state_changed_at = Some(self.now());
                        l
                    }
                    CollectOperation::Create | CollectOperation::Update => {
                        let mut l = self
                            .prepare_license(&NewLicense {
                                cert_identifier: Some(link.province_identifier.clone()),
                                file_number: Some(city_file_number.to_owned()),
                                abstract_code: None,
                                ..record()?
                            })
                            .await?;
                        l.file_number = current.file_number.clone();
                        l.abstract_code = current.abstract_code.clone();
                        l.qr_token = current.qr_token.clone();
                        l.created_at = current.created_at;
                        if l.state != current.state {
                            l.state_changed_at = Some(self.now());
                            l.state_reason = Some(format!("changed by {origin}"));
                        } else {
                            l.state_changed_at = current.state_changed_at;
                            l.state_reason = current.state_reason.clone();
                        }
                        l
                    }
                };
                self.check_license_type(&session, &l)?;
                l.updated_at = self.now();
                call.touch(&l);
                let link = next(link.province_identifier.clone());
                self.ports
                    .collected
                    .collect(&link, LicenseWrite::Update(&l))
                    .await?;
                self.forget_licenses();
                Ok(link.province_identifier)
            }
        }
    }

    /// The outbox, newest first, for administrators.
    pub async fn outbox(
        &self,
        state: Option<PushState>,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Push>, ServiceError> {
        self.ports
            .outbox
            .list(state, offset, limit)
            .await
            .map_err(|e| crate::admin::fault_to_service(e.into()))
    }

    /// Makes a failed push pending again, due now; `10` when no failed push has that sequence.
    pub async fn retry_push(&self, sequence: u64) -> Result<(), ServiceError> {
        let requeued = self
            .ports
            .outbox
            .requeue(sequence, self.now())
            .await
            .map_err(|e| crate::admin::fault_to_service(e.into()))?;
        if !requeued {
            return Err(ServiceError::new(
                ReturnCode::NotFound,
                format!("no failed outbox entry {sequence}"),
            ));
        }
        self.deliveries.wake.notify_one();
        Ok(())
    }
}
