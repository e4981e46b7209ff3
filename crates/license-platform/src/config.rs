//! The platform's settings (configuration maps onto these; defaults run with nothing set).

use chrono::Duration;
use chrono_tz::Tz;
use license_core::Library;

pub use license_core::ports::Lockout;

/// Platform settings.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Which library this node holds: `City` (市库) or `Province` (省库).
    pub role: Library,
    /// Public base URL of this node (download links, QR values), without trailing `/`.
    pub public_url: String,
    /// Access-token lifetime (API.md §2: 12 h).
    pub token_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_ttl: Duration,
    /// Download-link lifetime (API.md §6: 10 minutes).
    pub download_ttl: Duration,
    /// Whether a download link works once only.
    pub single_use_links: bool,
    /// An annotated copy's validity when the caller gives no expiry.
    pub copy_validity: Duration,
    /// The node's time zone: expiry and "today" are reckoned in it.
    pub time_zone: Tz,
    /// Login lock-out policy.
    pub lockout: Lockout,
    /// Holder searches per minute per account, unless the account says otherwise.
    pub holder_search_per_minute: u32,
    /// Calls per minute per account of the interfaces that return or confirm personal data,
    /// all together, unless the account says otherwise; `0` = no limit.
    pub rate_limit_per_minute: u32,
    /// Token requests per minute from one client address (counted before any secret is
    /// checked); `0` = no limit.
    pub token_requests_per_address_per_minute: u32,
    /// Whether dictionary cert types without stored settings count as published.
    pub publish_types_by_default: bool,
    /// How long a resolved token (and a cert type's settings) is trusted from memory before
    /// the database is asked again. Interfaces that hand out files always ask
    /// ([`Interface::hands_out_files`](license_core::Interface::hands_out_files)); queries see a
    /// change made by another node within this time.
    pub token_cache_ttl: std::time::Duration,
    /// How long a license read by key is served from memory. Changes made through this node
    /// are seen at once; changes made by other nodes within this time by queries, at once by
    /// interfaces that hand out files.
    pub license_cache_ttl: std::time::Duration,
    /// Most audit events committed in one transaction.
    pub audit_batch: usize,
    /// How long the province upstream may take before a call answers `1`.
    pub upstream_timeout: std::time::Duration,
    /// Whether a city node pushes every license it issues or changes to its province (the
    /// push is recorded with the change, in one transaction).
    pub auto_sync: bool,
    /// The first wait before a failed push is retried; it doubles with every attempt.
    pub outbox_retry_base: std::time::Duration,
    /// Where the doubling of the wait between retries of a push stops; a random part of up to
    /// as much again is added to every wait (so cities do not retry in step).
    pub outbox_retry_max: std::time::Duration,
    /// How often a serving node purges what has expired (`run_upkeep`); across nodes one
    /// purge runs at a time.
    pub purge_interval: std::time::Duration,
    /// Audit events of Beijing days older than this many are archived, then deleted, by the
    /// purge; 0 keeps them all (the Cybersecurity Law asks six months of logs: 180).
    pub audit_retention_days: u32,
    /// A console session ends after this long without a page (its token pair is renewed
    /// while the operator works).
    pub console_idle: Duration,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            role: Library::City,
            public_url: "http://127.0.0.1:8040".into(),
            token_ttl: Duration::hours(12),
            refresh_ttl: Duration::days(30),
            download_ttl: Duration::minutes(10),
            single_use_links: false,
            copy_validity: Duration::days(30),
            time_zone: chrono_tz::Asia::Shanghai,
            lockout: Lockout {
                max_failures: 5,
                window: Duration::minutes(15),
                lock_for: Duration::minutes(15),
            },
            holder_search_per_minute: 600,
            token_requests_per_address_per_minute: 120,
            rate_limit_per_minute: 600,
            publish_types_by_default: true,
            token_cache_ttl: std::time::Duration::from_secs(1),
            license_cache_ttl: std::time::Duration::from_secs(1),
            audit_batch: 512,
            upstream_timeout: std::time::Duration::from_secs(5),
            auto_sync: false,
            outbox_retry_base: std::time::Duration::from_millis(500),
            outbox_retry_max: std::time::Duration::from_secs(60),
            purge_interval: std::time::Duration::from_secs(3_600),
            audit_retention_days: 180,
            console_idle: Duration::minutes(30),
        }
    }
}
