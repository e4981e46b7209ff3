//! The audit writer: every call's event is committed before its answer leaves, with commits
//! grouped (group commit) so the log keeps up with the traffic.

use std::sync::Arc;

use license_core::ports::{AuditEvent, AuditStore, PortError, PortResult};
use tokio::sync::{mpsc, oneshot};

/// A commit this slow is logged (a warning): every call in its batch waited for it.
const SLOW_COMMIT: std::time::Duration = std::time::Duration::from_millis(50);

type Pending = (AuditEvent, oneshot::Sender<PortResult<()>>);

/// Hands events to a background committer and waits for their commit.
#[derive(Debug, Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Pending>,
}

/// The committer's handle: close it to flush and stop.
#[derive(Debug)]
pub struct AuditTask {
    handle: tokio::task::JoinHandle<()>,
}

impl AuditTask {
    /// Waits until every event handed over so far is committed (after every writer is
    /// dropped).
    pub async fn finish(self) {
        let _ = self.handle.await;
    }
}

impl AuditWriter {
    /// Starts the committer on the current runtime.
    pub fn start(store: Arc<dyn AuditStore>, max_batch: usize) -> (Self, AuditTask) {
        Self::start_observed(store, max_batch, None)
    }

    /// [`AuditWriter::start`], each commit's time observed in `commits`.
    pub fn start_observed(
        store: Arc<dyn AuditStore>,
        max_batch: usize,
        commits: Option<prometheus_client::metrics::histogram::Histogram>,
    ) -> (Self, AuditTask) {
        let (tx, mut rx) = mpsc::channel::<Pending>(max_batch.max(1) * 8);
        let handle = tokio::spawn(async move {
            // The batch's events and, apart, whom to tell: the events move to the store
            // uncloned (this loop is the audit log's one serial path).
            let mut events: Vec<AuditEvent> = Vec::with_capacity(max_batch);
            let mut waiting: Vec<oneshot::Sender<PortResult<()>>> = Vec::with_capacity(max_batch);
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                while let Some((event, done)) = next {
                    events.push(event);
                    waiting.push(done);
                    next = if events.len() < max_batch {
                        rx.try_recv().ok()
                    } else {
                        None
                    };
                }
                let started = std::time::Instant::now();
                let result = store.append(&events).await;
                let took = started.elapsed();
                if let Some(h) = &commits {
                    h.observe(took.as_secs_f64());
                }
                if took >= SLOW_COMMIT {
                    // Every caller in the batch waited this long for its answer.
                    tracing::warn!(
                        events = events.len(),
                        ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                        "slow audit commit"
                    );
                }
                match result {
                    Ok(()) => {
                        for done in waiting.drain(..) {
                            let _ = done.send(Ok(()));
                        }
                    }
                    // A failed batch committed nothing: each event is tried alone, so that
                    // one bad event never fails the others' calls.
                    Err(e) if events.len() > 1 => {
                        tracing::warn!(events = events.len(), error = %e, "audit batch failed; committing its events one by one");
                        // (The caller logs a failure with its request id.)
                        for (event, done) in events.iter().zip(waiting.drain(..)) {
                            let _ = done.send(store.append(std::slice::from_ref(event)).await);
                        }
                    }
                    Err(e) => {
                        for done in waiting.drain(..) {
                            let _ = done.send(Err(e.clone()));
                        }
                    }
                }
                events.clear();
            }
        });
        (AuditWriter { tx }, AuditTask { handle })
    }

    /// Records an event, its unchosen values bounded ([`AuditEvent::bounded`]); returns once
    /// it is committed.
    pub async fn record(&self, event: AuditEvent) -> PortResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((event.bounded(), done))
            .await
            .map_err(|_| PortError::Unavailable("the audit log is closed".into()))?;
        wait.await
            .map_err(|_| PortError::Unavailable("the audit log stopped".into()))?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use license_core::ports::{AuditCursor, AuditQuery, PortError};
    use license_core::service::Page;
    use license_core::{Interface, ReturnCode};

    use super::*;

    /// Fails every batch holding an event of the account `poison`; counts the batches.
    #[derive(Default)]
    struct Picky {
        committed: Mutex<Vec<String>>,
        batches: Mutex<Vec<usize>>,
    }

    #[async_trait]
    impl AuditStore for Picky {
        async fn append(&self, events: &[AuditEvent]) -> PortResult<()> {
            self.batches.lock().unwrap().push(events.len());
            if events
                .iter()
                .any(|e| e.username.as_deref() == Some("poison"))
            {
                return Err(PortError::Invalid("value too long".into()));
            }
            let mut c = self.committed.lock().unwrap();
            c.extend(events.iter().map(|e| e.request_id.clone()));
            Ok(())
        }

        async fn query(&self, _: &AuditQuery) -> PortResult<Page<AuditEvent>> {
            Ok(Page {
                total: 0,
                items: Vec::new(),
            })
        }

        async fn tally(
            &self,
            _: chrono::DateTime<chrono::Utc>,
        ) -> PortResult<Vec<(Interface, ReturnCode, u64)>> {
            Ok(Vec::new())
        }

        async fn scan(
            &self,
            _: &AuditQuery,
            _: Option<AuditCursor>,
            _: u64,
        ) -> PortResult<Vec<(AuditCursor, AuditEvent)>> {
            Ok(Vec::new())
        }

        async fn oldest(&self) -> PortResult<Option<chrono::DateTime<chrono::Utc>>> {
            Ok(None)
        }
    }

    fn event(id: usize, username: &str) -> AuditEvent {
        AuditEvent {
            at: chrono::Utc::now(),
            request_id: format!("r{id}"),
            interface: Interface::Token,
            username: Some(username.to_owned()),
            client_addr: Some("x".repeat(200)),
            context: None,
            operator: None,
            code: ReturnCode::Success,
            licenses: Vec::new(),
            holder_code: None,
            in_library: false,
            latency_us: 1,
            purpose: None,
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn one_bad_event_fails_only_itself() {
        let store = Arc::new(Picky::default());
        let (writer, task) = AuditWriter::start(store.clone(), 64);
        let calls = (0..20).map(|i| {
            let w = writer.clone();
            async move {
                let name = if i % 4 == 0 { "poison" } else { "good" };
                (i, w.record(event(i, name)).await)
            }
        });
        let results = futures_util::future::join_all(calls).await;
        drop(writer);
        task.finish().await;
        for (i, r) in &results {
            assert_eq!(r.is_err(), i % 4 == 0, "call {i}: {r:?}");
        }
        assert_eq!(store.committed.lock().unwrap().len(), 15);
        let batches = store.batches.lock().unwrap().clone();
        assert!(
            batches[0] > 1,
            "the calls arrived as one batch: {batches:?}"
        );
    }

    #[test]
    fn unchosen_values_are_bounded() {
        let e = event(1, &"u".repeat(500)).bounded();
        assert_eq!(e.username.unwrap().chars().count(), 128);
        assert_eq!(e.client_addr.unwrap().chars().count(), 64);
    }
}
