//! Audit retention: events of days older than `audit_retention_days` are archived, one day
//! (in the node's time zone, Beijing by default) at a time, as gzip-compressed JSON Lines
//! under `archive/audit/` of the file store with a SHA-256 manifest beside it
//! (`sha256sum -c` reads it), and only then deleted from the database, in batches. An
//! archive already there — a run stopped between writing and deleting, or events of the day
//! that arrived late — is read and kept: the new one holds its lines and the day's events
//! not in it. `licensed audit export` reads archived days back from here.

use std::collections::HashSet;
use std::io::{BufRead, Read, Write};

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use license_core::ServiceError;
use license_core::ports::{AuditCursor, AuditQuery, AuditRecord, PortError};
use sha2::{Digest, Sha256};

use crate::platform::Platform;
use crate::upkeep::fault;

/// Where the archive's objects are in the file store.
pub const ARCHIVE_PREFIX: &str = "archive/audit/";
/// Events read from the database per page.
const PAGE: u64 = 500;
/// Events deleted per transaction: each holds the audit log's writer, which answered calls
/// wait on, so it is short.
const DELETE_BATCH: usize = 100;

/// The archive object of one day.
pub fn archive_key(day: NaiveDate) -> String {
    format!("{ARCHIVE_PREFIX}{day}.jsonl.gz")
}

/// The manifest of one day's archive: `<sha256 hex>  <file name>` and a line break.
pub fn manifest_key(day: NaiveDate) -> String {
    format!("{}.sha256", archive_key(day))
}

/// A fault of the archive: logged with a request id, answered as `99`.
fn broken(what: String) -> ServiceError {
    fault(PortError::Corrupt(what))
}

/// What the archive of one day held, and its events' identities.
struct Archived {
    /// The decompressed lines, each ending in a line break.
    lines: Vec<u8>,
    /// `(requestId, at)` of every line: an event's identity across the archive and the
    /// database.
    seen: HashSet<(String, DateTime<Utc>)>,
}

/// The identity of an event across the archive and the database.
fn identity(r: &AuditRecord) -> (String, DateTime<Utc>) {
    (r.request_id.clone(), r.at)
}

impl Platform {
    /// The day `at` falls on in the node's time zone.
    pub fn audit_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.config.time_zone).date_naive()
    }

    /// When `day` begins in the node's time zone.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        self.config
            .time_zone
            .from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// Archives, then deletes, the events of every day older than the retention; how many
    /// events went and over how many days, and whether the lease is still held.
    pub(crate) async fn purge_audit<F, Fut>(
        &self,
        lease: &F,
        done: &mut (u64, u64),
    ) -> Result<bool, ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, ServiceError>>,
    {
        let days = self.config.audit_retention_days;
        if days == 0 {
            return Ok(true);
        }
        let today = self.audit_day(self.now());
        let Some(first_kept) = today.checked_sub_days(Days::new(days.into())) else {
            return Ok(true);
        };
        let cutoff = self.day_start(first_kept);
        loop {
            let Some(oldest) = self.ports.audit.oldest().await.map_err(fault)? else {
                return Ok(true);
            };
            if oldest >= cutoff {
                return Ok(true);
            }
            let day = self.audit_day(oldest);
            let Some(keys) = self.archive_day(day, lease).await? else {
                return Ok(false);
            };
            if keys.is_empty() {
                // The oldest event is not within its own day's bounds (a time zone's gap):
                // stop rather than go round.
                tracing::warn!(%day, "the oldest audit event was not found in its day; retention stopped");
                return Ok(true);
            }
            for chunk in keys.chunks(DELETE_BATCH) {
                let began = std::time::Instant::now();
                let n = self
                    .ports
                    .upkeep
                    .delete_audit_events(chunk)
                    .await
                    .map_err(fault)?;
                done.0 += n;
                self.telemetry.removed("audit_events", n);
                if !self.pause(lease, began).await? {
                    return Ok(false);
                }
            }
            done.1 += 1;
        }
    }

    /// Writes the archive of `day` (what an earlier archive held, then the day's events in
    /// the database not in it) and its manifest; the keys of the events it took from the
    /// database, or `None` if the lease was lost first.
    async fn archive_day<F, Fut>(
        &self,
        day: NaiveDate,
        lease: &F,
    ) -> Result<Option<Vec<i64>>, ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<bool, ServiceError>>,
    {
        let earlier = self.read_archive(day).await?;
        let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let seen = match earlier {
            Some(a) => {
                out.write_all(&a.lines)
                    .map_err(|e| broken(format!("archive {day}: {e}")))?;
                a.seen
            }
            None => HashSet::new(),
        };
        let query = AuditQuery {
            from: Some(self.day_start(day)),
            until: Some(self.day_start(day.succ_opt().unwrap_or(day))),
            ..AuditQuery::default()
        };
        let mut keys = Vec::new();
        let mut after: Option<AuditCursor> = None;
        loop {
            let began = std::time::Instant::now();
            let page = self
                .ports
                .audit
                .scan(&query, after, PAGE)
                .await
                .map_err(fault)?;
            let Some((last, _)) = page.last() else { break };
            after = Some(*last);
            let full = page.len() as u64 == PAGE;
            for (cursor, event) in page {
                keys.push(cursor.key);
                let record = AuditRecord::from(event);
                if seen.contains(&identity(&record)) {
                    continue;
                }
                serde_json::to_writer(&mut out, &record)
                    .map_err(|e| broken(format!("archive {day}: {e}")))?;
                out.write_all(b"\n")
                    .map_err(|e| broken(format!("archive {day}: {e}")))?;
            }
            if !full {
                break;
            }
            crate::upkeep::paced(began).await;
            if keys.len() % (PAGE as usize * 20) == 0 && !lease().await? {
                return Ok(None);
            }
        }
        let bytes = out
            .finish()
            .map_err(|e| broken(format!("archive {day}: {e}")))?;
        if !lease().await? {
            return Ok(None);
        }
        let key = archive_key(day);
        self.ports.files.put(&key, &bytes).await.map_err(fault)?;
        let name = key.rsplit('/').next().unwrap_or(&key);
        let manifest = format!("{}  {name}\n", hex::encode(Sha256::digest(&bytes)));
        self.ports
            .files
            .put(&manifest_key(day), manifest.as_bytes())
            .await
            .map_err(fault)?;
        Ok(Some(keys))
    }

    /// The archive of `day`, checked against its manifest when there is one (an archive is
    /// written whole before its manifest); `None` if the day has none.
    async fn read_archive(&self, day: NaiveDate) -> Result<Option<Archived>, ServiceError> {
        let Some(bytes) = self
            .ports
            .files
            .get(&archive_key(day))
            .await
            .map_err(fault)?
        else {
            return Ok(None);
        };
        if let Some(manifest) = self
            .ports
            .files
            .get(&manifest_key(day))
            .await
            .map_err(fault)?
        {
            let want = String::from_utf8_lossy(&manifest);
            let want = want.split_whitespace().next().unwrap_or_default();
            if hex::encode(Sha256::digest(&bytes)) != want {
                return Err(broken(format!(
                    "the audit archive of {day} does not match its manifest"
                )));
            }
        }
        let mut lines = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut lines)
            .map_err(|e| broken(format!("the audit archive of {day}: {e}")))?;
        let mut seen = HashSet::new();
        for (n, line) in lines.lines().enumerate() {
            let line = line.map_err(|e| broken(format!("archive {day}: {e}")))?;
            let r: AuditRecord = serde_json::from_str(&line)
                .map_err(|e| broken(format!("the audit archive of {day}, line {}: {e}", n + 1)))?;
            seen.insert(identity(&r));
        }
        Ok(Some(Archived { lines, seen }))
    }

    /// Every audit record that answers `q` (`from` and `until` required), oldest day first:
    /// archived days from their archive (with any event of the day still in the database
    /// that the archive lacks), the others from the database; `emit` takes each.
    pub async fn export_audit(
        &self,
        q: &AuditQuery,
        mut emit: impl FnMut(AuditRecord) -> Result<(), String>,
    ) -> Result<u64, String> {
        let (Some(from), Some(until)) = (q.from, q.until) else {
            return Err("an audit export needs --since and --until".into());
        };
        let mut n = 0;
        let mut day = self.audit_day(from);
        while self.day_start(day) < until {
            let next = day.succ_opt().ok_or("date out of range")?;
            let mut day_q = q.clone();
            day_q.from = Some(from.max(self.day_start(day)));
            day_q.until = Some(until.min(self.day_start(next)));
            let mut seen = HashSet::new();
            if let Some(a) = self.read_archive(day).await.map_err(|e| e.message())? {
                for line in a.lines.lines() {
                    let line = line.map_err(|e| e.to_string())?;
                    let r: AuditRecord =
                        serde_json::from_str(&line).map_err(|e| format!("archive {day}: {e}"))?;
                    if r.matches(&day_q) {
                        emit(r)?;
                        n += 1;
                    }
                }
                seen = a.seen;
            }
            let mut after = None;
            loop {
                let page = self
                    .ports
                    .audit
                    .scan(&day_q, after, PAGE)
                    .await
                    .map_err(|e| e.to_string())?;
                let Some((last, _)) = page.last() else { break };
                after = Some(*last);
                let full = page.len() as u64 == PAGE;
                for (_, e) in page {
                    let r = AuditRecord::from(e);
                    if !seen.contains(&identity(&r)) {
                        emit(r)?;
                        n += 1;
                    }
                }
                if !full {
                    break;
                }
            }
            day = next;
        }
        Ok(n)
    }
}
