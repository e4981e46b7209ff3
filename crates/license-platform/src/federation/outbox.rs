//! The city's outbox: pushes recorded with the license changes that make them, delivered at
//! once or in the background with backoff, one license's pushes in order; the admin's view.

use std::sync::Arc;
use std::time::Duration;

use license_core::ports::{LicenseWrite, NewPush, PortError, Push, PushState};
use license_core::service::{Caller, CollectOperation, CollectRequest, Page};
use license_core::{Library, License, LicenseService, LicenseState, ReturnCode, ServiceError};

use crate::fault::{Fault, Res, fail};
use crate::platform::Platform;

use super::*;

impl Platform {
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
    pub(crate) async fn pending_create(&self, l: &License) -> Result<Option<u64>, PortError> {
        Ok(self
            .ports
            .outbox
            .pending_for(l.identifier.as_str())
            .await?
            .iter()
            .find(|p| p.push.operation == CollectOperation::Create)
            .map(|p| p.sequence))
    }

    pub(crate) fn collect_request(push: &Push) -> CollectRequest {
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
    pub(crate) async fn attempt(&self, up: &Arc<dyn LicenseService>, push: &Push) -> Res<Attempt> {
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
        let said = match &outcome {
            Attempt::Delivered(_) => "delivered",
            Attempt::Retry(_) => "retry",
            Attempt::Refused(_) => "refused",
        };
        self.telemetry.delivery(said);
        tracing::info!(
            sequence = push.sequence,
            operation = push.push.operation.name(),
            attempts,
            outcome = said,
            "province push"
        );
        Ok(outcome)
    }

    /// The wait before attempt `attempts + 1`: doubling from the base up to the maximum, with
    /// a random part added (jitter, so cities do not retry in step).
    pub(crate) fn backoff(&self, attempts: u32) -> chrono::Duration {
        let wait = retry_delays(self.config.outbox_retry_base, self.config.outbox_retry_max)
            .nth(attempts.saturating_sub(1) as usize)
            .unwrap_or(self.config.outbox_retry_max);
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
    }

    /// Delivers one license's pending pushes in sequence order, stopping at the first that
    /// must wait; `now` attempts the first even before its retry is due (a caller is waiting).
    pub(crate) async fn deliver_license(
        &self,
        license: &str,
        now: bool,
    ) -> Res<Vec<(u64, Attempt)>> {
        let Some(up) = self.upstream.clone() else {
            return Ok(Vec::new());
        };
        let lock = self.deliveries.lock_for(license);
        let _one_at_a_time = lock.lock().await;
        // One node at a time: the lease in the database, renewed before every attempt.
        let holder = self.deliveries.holder.as_str();
        let lease = || {
            let now = self.now();
            self.ports
                .outbox
                .lease(license, holder, now, now + self.lease_span())
        };
        if !lease().await? {
            if !now {
                return Ok(Vec::new());
            }
            // A caller waits for this push: wait for the node delivering it (its lease lapses
            // if it dies), then deliver what it left pending.
            let deadline = tokio::time::Instant::now()
                + self
                    .lease_span()
                    .to_std()
                    .unwrap_or(Duration::from_secs(15));
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if lease().await? {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    return Ok(Vec::new());
                }
            }
        }
        let mut done = Vec::new();
        let delivered = self
            .deliver_leased(&up, license, now, &lease, &mut done)
            .await;
        if let Err(e) = self.ports.outbox.release(license, holder).await {
            // It lapses by itself.
            tracing::warn!(error = %e, "outbox lease not released");
        }
        delivered.map(|()| done)
    }

    /// How long a lease on a license's delivery lasts: more than one attempt may take.
    fn lease_span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.upstream_timeout * 2)
            .unwrap_or(chrono::Duration::MAX)
            + chrono::Duration::seconds(5)
    }

    /// The attempts of [`deliver_license`](Self::deliver_license) under its lease.
    async fn deliver_leased<F, Fut>(
        &self,
        up: &Arc<dyn LicenseService>,
        license: &str,
        now: bool,
        lease: &F,
        done: &mut Vec<(u64, Attempt)>,
    ) -> Res<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, PortError>>,
    {
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
            if i > 0 && !lease().await? {
                break;
            }
            let outcome = self.attempt(up, &push).await?;
            let stop = matches!(outcome, Attempt::Retry(_));
            if let Attempt::Delivered(_) = outcome {
                self.forget_licenses();
            }
            done.push((push.sequence, outcome));
            if stop {
                break;
            }
        }
        Ok(())
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
        // Again at once only when this round delivered something: due pushes that other nodes
        // hold leases on are not worth a loop.
        let more = delivered > 0;
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
    pub(crate) async fn outcome_of(&self, sequence: u64, license: &str) -> Res<String> {
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

/// The delays of successive retries: from `base`, doubling up to `max`, each with up to as much
/// again added at random.
fn retry_delays(
    base: std::time::Duration,
    max: std::time::Duration,
) -> impl Iterator<Item = std::time::Duration> {
    use backon::BackoffBuilder;
    backon::ExponentialBuilder::default()
        .with_min_delay(base.max(std::time::Duration::from_millis(1)))
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn retry_delays_double_up_to_the_maximum_with_jitter() {
        let (base, max) = (Duration::from_millis(500), Duration::from_secs(60));
        for _ in 0..50 {
            let d: Vec<Duration> = super::retry_delays(base, max).take(12).collect();
            assert_eq!(d.len(), 12, "the delays never run out");
            for (i, wait) in d.iter().enumerate() {
                let plain = (base * 2u32.pow(i as u32)).min(max);
                assert!(*wait >= plain && *wait <= plain * 2, "retry {i}: {wait:?}");
            }
        }
    }
}
