//! A city's outbox of pushes to its province and a province's links to the licenses cities
//! pushed (API.md §5).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::license::License;
use crate::service::Page;

use super::*;

/// A license change that commits in the same transaction as the pushes or link written with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseWrite<'a> {
    /// Store a new license.
    Insert(&'a License),
    /// Replace a stored license's record (matched by identifier).
    Update(&'a License),
}

/// Where a push to the province stands in a city's outbox (API.md §6, insertToProvince).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushState {
    /// Not yet delivered: retried in the background until the province takes it.
    Pending,
    /// The province applied it.
    Delivered,
    /// The province refused it for good (its answer is kept); an administrator may retry it.
    Failed,
}

impl PushState {
    /// Every state.
    pub const ALL: [PushState; 3] = [PushState::Pending, PushState::Delivered, PushState::Failed];

    /// The name in storage and the admin API.
    pub const fn name(self) -> &'static str {
        match self {
            PushState::Pending => "pending",
            PushState::Delivered => "delivered",
            PushState::Failed => "failed",
        }
    }

    /// Parses a [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name.trim())
    }
}

/// A push to be recorded in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPush {
    /// Unique id, sent to the province with every delivery of this push.
    pub operation_id: String,
    /// The city license's identifier.
    pub license: String,
    /// The city license's file number.
    pub file_number: String,
    /// What the province is asked to do.
    pub operation: crate::service::CollectOperation,
    /// The license's record when the push was made (create and update).
    pub record: Option<crate::admin::NewLicense>,
    /// Why (revoke).
    pub reason: Option<String>,
    /// When it was made.
    pub at: DateTime<Utc>,
}

/// A push in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Position in the outbox (increasing; the province applies a license's pushes in order).
    pub sequence: u64,
    /// What was recorded.
    pub push: NewPush,
    /// Where it stands.
    pub state: PushState,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (pending pushes).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, as the province or the connection reported it.
    pub last_error: Option<String>,
    /// The province identifier it answered (delivered pushes).
    pub province_identifier: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A city's durable outbox of pushes to its province: nothing is lost on a crash, because a
/// push is recorded in the same transaction as the license change it carries.
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Records pushes, pending and due now, together with `writes`, in one transaction;
    /// returns their sequences.
    async fn enqueue(
        &self,
        pushes: &[NewPush],
        writes: &[LicenseWrite<'_>],
    ) -> PortResult<Vec<u64>>;
    /// Pending pushes in sequence order, at most `limit`.
    async fn pending(&self, limit: u64) -> PortResult<Vec<Push>>;
    /// The push with this sequence.
    async fn get(&self, sequence: u64) -> PortResult<Option<Push>>;
    /// One license's pending pushes (by its identifier), in sequence order.
    async fn pending_for(&self, license: &str) -> PortResult<Vec<Push>>;
    /// Marks a push delivered; for a create, also stores the province identifier on the
    /// license, in the same transaction.
    async fn delivered(
        &self,
        sequence: u64,
        province_identifier: &str,
        at: DateTime<Utc>,
    ) -> PortResult<()>;
    /// Records a failed attempt of a push that stays pending until `next_attempt_at`.
    async fn retry_later(
        &self,
        sequence: u64,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> PortResult<()>;
    /// Marks a push refused for good.
    async fn failed(&self, sequence: u64, attempts: u32, error: &str) -> PortResult<()>;
    /// Takes (or extends) the lease on delivering one license's pushes for `holder` until
    /// `until`: `true` unless another holder's lease is still running at `now`. One node at a
    /// time delivers a license; a node that dies holding it loses it when it lapses.
    async fn lease(
        &self,
        license: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> PortResult<bool>;
    /// Gives the lease back (only `holder`'s).
    async fn release(&self, license: &str, holder: &str) -> PortResult<()>;
    /// Makes a failed push pending again, due at `at`; `false` when it is not failed.
    async fn requeue(&self, sequence: u64, at: DateTime<Utc>) -> PortResult<bool>;
    /// A page of pushes, newest first, optionally of one state.
    async fn list(
        &self,
        state: Option<PushState>,
        offset: u64,
        limit: u64,
    ) -> PortResult<Page<Push>>;
}

/// What a province node knows of a license a city pushed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedLink {
    /// The pushing city (its account on this node).
    pub origin: String,
    /// The license's file number at the city.
    pub city_file_number: String,
    /// The identifier this node assigned.
    pub province_identifier: String,
    /// The sequence of the last push applied.
    pub sequence: u64,
    /// The operation id of the last push applied.
    pub operation_id: String,
    /// When it was last applied.
    pub updated_at: DateTime<Utc>,
}

/// A province node's record of the pushes it has applied, kept with its library.
#[async_trait]
pub trait CollectionRepository: Send + Sync {
    /// The link of a city's license, if it was ever pushed here.
    async fn link(&self, origin: &str, city_file_number: &str)
    -> PortResult<Option<CollectedLink>>;
    /// Applies a push in one transaction: an `Insert` stores the license and a new link
    /// ([`PortError::Conflict`] when the link exists); an `Update` replaces the license (its
    /// made files are dropped, to be made again from the new record) and moves the link on —
    /// only while the stored link's sequence is lower. `false` when the push was stale.
    async fn collect(&self, link: &CollectedLink, write: LicenseWrite<'_>) -> PortResult<bool>;
}
