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
                if took >= SLOW_COMMIT {
                    // Every caller in the batch waited this long for its answer.
                    tracing::warn!(
                        events = events.len(),
                        ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                        "slow audit commit"
                    );
                }
                events.clear();
                for done in waiting.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        (AuditWriter { tx }, AuditTask { handle })
    }

    /// Records an event; returns once it is committed.
    pub async fn record(&self, event: AuditEvent) -> PortResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((event, done))
            .await
            .map_err(|_| PortError::Unavailable("the audit log is closed".into()))?;
        wait.await
            .map_err(|_| PortError::Unavailable("the audit log stopped".into()))?
    }
}
