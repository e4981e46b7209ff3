//! The node's settings: defaults, then a TOML file (`--config FILE`), then `LICENSED_*`
//! environment variables, then flags — later ones win. `licensed.example.toml` at the
//! repository root documents every key.

use std::path::{Path, PathBuf};

use clap::Args;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod checked;

/// Prefix of the environment variables.
pub const ENV_PREFIX: &str = "LICENSED_";

/// The province upstream of a city node (`[province]`, `LICENSED_PROVINCE_*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvinceSettings {
    /// The province node's base URL (REST) or gRPC endpoint.
    pub url: String,
    /// `rest` or `grpc`.
    #[serde(default = "default_transport")]
    pub transport: String,
    /// The city's OAuth client id at the province.
    #[serde(default)]
    pub client_id: String,
    /// Its secret.
    #[serde(default)]
    pub client_secret: String,
    /// The city's account at the province.
    #[serde(default)]
    pub username: String,
    /// Its password.
    #[serde(default)]
    pub password: String,
    /// How long the province may take before a call answers `1`.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Whether every license this city issues or changes is pushed to the province (recorded
    /// with the change, delivered in the background).
    #[serde(default)]
    pub auto_sync: bool,
    /// The first wait before a failed push is retried; it doubles with every attempt.
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
    /// The longest wait between retries of a push.
    #[serde(default = "default_retry_max_ms")]
    pub retry_max_ms: u64,
    /// PEM certificates of CAs trusted beside the system's roots for an `https` URL (a
    /// province's own CA); absent = the system's roots only.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_retry_base_ms() -> u64 {
    500
}

fn default_retry_max_ms() -> u64 {
    60_000
}

fn default_transport() -> String {
    "rest".into()
}

fn default_timeout_ms() -> u64 {
    5_000
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A `tracing` filter (`info`, `license_platform=debug,info`…).
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: "text".into(),
            filter: "info".into(),
        }
    }
}

/// Every setting of a node, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Data directory (SQLite database, files, keys).
    pub data_dir: PathBuf,
    /// Database URL; default SQLite under the data directory.
    pub database_url: Option<String>,
    /// Where license files and annotated copies are kept: `file:///path` or
    /// `s3://bucket/prefix` (endpoint and credentials from the standard `AWS_*` variables);
    /// default the `files` folder of the data directory. Nodes sharing a database share it.
    pub object_store_url: Option<String>,
    /// Most database connections.
    pub database_max_connections: u32,
    /// HTTP listen address.
    pub http_addr: String,
    /// gRPC listen address; empty = no gRPC front.
    pub grpc_addr: String,
    /// Public base URL (download links, QR values); default derived from the HTTP address.
    pub public_url: Option<String>,
    /// `city` or `province`.
    pub role: String,
    /// Access-token lifetime, seconds (API.md §2: 12 h).
    pub token_ttl_secs: i64,
    /// Download-link lifetime, seconds (API.md §6: 10 minutes).
    pub download_url_ttl_secs: i64,
    /// Whether a download link works once only.
    pub single_use_links: bool,
    /// How long a node trusts a resolved token and a cert type's settings from memory, in
    /// milliseconds: queries see a change made on another node within it (interfaces that hand
    /// out files always read the database); 0 = always read.
    pub token_cache_ttl_ms: u64,
    /// How long a node serves a license read by key from memory, in milliseconds (as above).
    pub license_cache_ttl_ms: u64,
    /// Whether the node (and every subcommand but `migrate`) brings the database schema up to
    /// date when it opens the database; `false` for rolling upgrades, where `licensed migrate`
    /// runs first and a node refuses to start on a schema behind its build.
    pub migrate_on_start: bool,
    /// Holder searches per minute per account (accounts may say otherwise).
    pub holder_search_per_minute: u32,
    /// Largest request body, bytes, except where files arrive (413 past it).
    pub body_limit_bytes: usize,
    /// Largest request body where files arrive (file verification, license import; gRPC
    /// messages), bytes.
    pub file_body_limit_bytes: usize,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client: comma-separated CIDRs
    /// or addresses; empty = none (the connection's address is the client's).
    pub trusted_proxies: String,
    /// A PEM file holding the private key (PKCS#8 SM2) and the certificate every node of the
    /// platform signs with (`licensed key new --out FILE` writes one); absent, the platform's
    /// key kept in the database (PostgreSQL, MariaDB) or the data directory's (SQLite).
    pub signing_key_file: Option<PathBuf>,
    /// PEM certificate files, comma-separated, of other platforms' seals to trust: a province
    /// its cities', a city its province's (`licensed key show` prints a node's).
    pub trust_files: String,
    /// Calls per minute per account of the interfaces that return or confirm personal data,
    /// all together, counted across every node on the database (accounts may say otherwise);
    /// 0 = no limit.
    pub rate_limit_per_minute: u32,
    /// Token requests per minute from one client address; 0 = no limit.
    pub token_requests_per_address_per_minute: u32,
    /// Refresh-token lifetime, seconds (default 30 days).
    pub refresh_token_ttl_secs: i64,
    /// Failed logins within `lockout_window_secs` that lock a username.
    pub lockout_max_failures: u32,
    /// The lock-out counting window, seconds.
    pub lockout_window_secs: i64,
    /// How long a locked username stays locked, seconds.
    pub lockout_secs: i64,
    /// The node's time zone (IANA name); expiry is reckoned in it.
    pub time_zone: String,
    /// Logging.
    pub log: LogSettings,
    /// The node's certificate chain (PEM) for TLS on every listener; with `tls_key_file`.
    pub tls_cert_file: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Metrics, Swagger UI and the OpenAPI document on a listener of their own (gRPC
    /// reflection is then not served); empty = on the HTTP listener.
    pub admin_addr: String,
    /// How long a client may take to send a request's headers (and a TLS handshake), seconds;
    /// an idle kept-alive connection is closed after it too.
    pub http_header_timeout_secs: u64,
    /// How long a client may take to send a request's body, seconds.
    pub http_body_timeout_secs: u64,
    /// Most open connections per listener; more wait until one closes.
    pub max_connections: usize,
    /// How often a serving node purges expired download links and their copies, token pairs
    /// past their refresh expiry and old lock-out records, seconds; one node at a time does
    /// (`licensed purge` runs one at once).
    pub purge_interval_secs: u64,
    /// Audit events older than this many days (Beijing days) are archived to the file store
    /// (`archive/audit/`) by the purge, then deleted; 0 keeps every event in the database.
    pub audit_retention_days: u64,
    /// An operator console session ends after this many seconds without a page.
    pub console_idle_secs: u64,
    /// SQLite's `synchronous`: `full` (an answered call's audit event survives a power loss)
    /// or `normal` (it survives a crash of the process, not of the machine).
    pub sqlite_synchronous: String,
    /// The province upstream, for a city node.
    pub province: Option<ProvinceSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            object_store_url: None,
            database_max_connections: 16,
            http_addr: "127.0.0.1:8040".into(),
            grpc_addr: "127.0.0.1:8041".into(),
            public_url: None,
            role: "city".into(),
            token_ttl_secs: 43_200,
            download_url_ttl_secs: 600,
            single_use_links: false,
            migrate_on_start: true,
            token_cache_ttl_ms: 1_000,
            license_cache_ttl_ms: 1_000,
            holder_search_per_minute: 600,
            body_limit_bytes: license_http::DEFAULT_BODY_LIMIT,
            file_body_limit_bytes: license_http::DEFAULT_FILE_BODY_LIMIT,
            trusted_proxies: String::new(),
            signing_key_file: None,
            trust_files: String::new(),
            token_requests_per_address_per_minute: 120,
            rate_limit_per_minute: 600,
            refresh_token_ttl_secs: 30 * 86_400,
            lockout_max_failures: 5,
            lockout_window_secs: 900,
            lockout_secs: 900,
            time_zone: "Asia/Shanghai".into(),
            log: LogSettings::default(),
            tls_cert_file: None,
            tls_key_file: None,
            admin_addr: String::new(),
            http_header_timeout_secs: 10,
            http_body_timeout_secs: 60,
            max_connections: 1024,
            purge_interval_secs: 3_600,
            audit_retention_days: 180,
            console_idle_secs: 1_800,
            sqlite_synchronous: "full".into(),
            province: None,
        }
    }
}

/// Flags every subcommand takes; each overrides the file and the environment.
#[derive(Debug, Clone, Default, Args, Serialize)]
pub struct Flags {
    /// A TOML settings file (see licensed.example.toml); also LICENSED_CONFIG.
    #[arg(long, global = true, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Data directory [LICENSED_DATA_DIR; default ./data].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://…, postgres://…, mysql://… [LICENSED_DATABASE_URL].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// HTTP listen address [LICENSED_HTTP_ADDR; default 127.0.0.1:8040].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_addr: Option<String>,
    /// gRPC listen address [LICENSED_GRPC_ADDR; default 127.0.0.1:8041].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grpc_addr: Option<String>,
    /// Public base URL [LICENSED_PUBLIC_URL; default from the HTTP address].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// city or province [LICENSED_ROLE; default city].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Access-token lifetime, seconds [LICENSED_TOKEN_TTL_SECS; default 43200].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_ttl_secs: Option<i64>,
    /// Download-link lifetime, seconds [LICENSED_DOWNLOAD_URL_TTL_SECS; default 600].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url_ttl_secs: Option<i64>,
}

/// Why settings could not be resolved.
#[derive(Debug, thiserror::Error)]
#[error("settings: {0}")]
pub struct SettingsError(String);

/// Environment keys that name a `[province]` key (`LICENSED_PROVINCE_URL` → `province.url`).
const PROVINCE_ENV: &str = "province_";
/// Environment keys that name a `[log]` key (`LICENSED_LOG_FORMAT` → `log.format`).
const LOG_ENV: &str = "log_";

/// Maps one `LICENSED_*` variable (prefix removed, lower case) to its settings key; `None`
/// for variables that are not settings (`LICENSED_CONFIG`, `LICENSED_LOG`).
fn env_key(key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    if key == "config" || key == "log" {
        return None;
    }
    if let Some(rest) = key.strip_prefix(PROVINCE_ENV) {
        return Some(format!("province.{rest}"));
    }
    if let Some(rest) = key.strip_prefix(LOG_ENV) {
        return Some(format!("log.{rest}"));
    }
    Some(key)
}

impl Settings {
    /// Where license files are kept without `object_store_url`: the data directory's `files`.
    pub fn default_files_dir(&self) -> PathBuf {
        self.data_dir.join("files")
    }

    /// Resolves settings from defaults, the file (flag, else `LICENSED_CONFIG`), the
    /// environment and the flags.
    pub fn resolve(flags: &Flags) -> Result<Settings, SettingsError> {
        let file = flags
            .config
            .clone()
            .or_else(|| std::env::var_os("LICENSED_CONFIG").map(PathBuf::from));
        Self::resolve_with(flags, file.as_deref(), Env::prefixed(ENV_PREFIX))
    }

    fn resolve_with(
        flags: &Flags,
        file: Option<&Path>,
        env: Env,
    ) -> Result<Settings, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError(format!(
                    "the config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = env.filter_map(|k| env_key(k.as_str()).map(Into::into));
        let figment = figment.merge(env).merge(Serialized::defaults(flags));
        figment
            .extract::<Settings>()
            .map_err(|e| SettingsError(e.to_string()))?
            .checked(|key| checked::origin(&figment, flags, key))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error.
mod tests {
    use super::*;
    use figment::Jail;

    fn resolve(jail: &Jail, flags: &Flags, file: Option<&str>) -> Settings {
        let path = file.map(|f| jail.directory().join(f));
        Settings::resolve_with(flags, path.as_deref(), Env::prefixed(ENV_PREFIX)).expect("settings")
    }

    #[test]
    fn defaults_run_with_nothing_configured() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let s = resolve(jail, &Flags::default(), None);
            assert_eq!(s, Settings::default());
            assert_eq!(s.http_addr, "127.0.0.1:8040");
            assert_eq!(s.grpc_addr, "127.0.0.1:8041");
            assert_eq!(s.token_ttl_secs, 43_200);
            assert_eq!(s.download_url_ttl_secs, 600);
            Ok(())
        });
    }

    #[test]
    fn file_then_environment_then_flags() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "licensed.toml",
                r#"
                http_addr = "127.0.0.1:9000"
                role = "province"
                token_ttl_secs = 100
                download_url_ttl_secs = 200
                [province]
                url = "http://file.invalid"
                username = "from-file"
                "#,
            )?;
            jail.set_env("LICENSED_TOKEN_TTL_SECS", "300");
            jail.set_env("LICENSED_DOWNLOAD_URL_TTL_SECS", "400");
            jail.set_env("LICENSED_PROVINCE_USERNAME", "from-env");
            jail.set_env("LICENSED_PROVINCE_TIMEOUT_MS", "1500");
            jail.set_env("LICENSED_LOG_FORMAT", "json");
            jail.set_env("LICENSED_LOG", "debug");
            let flags = Flags {
                download_url_ttl_secs: Some(500),
                ..Flags::default()
            };
            let s = resolve(jail, &flags, Some("licensed.toml"));
            assert_eq!(s.http_addr, "127.0.0.1:9000", "file over default");
            assert_eq!(s.role, "province");
            assert_eq!(s.token_ttl_secs, 300, "environment over file");
            assert_eq!(s.download_url_ttl_secs, 500, "flag over environment");
            let p = s.province.expect("province table");
            assert_eq!(p.url, "http://file.invalid");
            assert_eq!(p.username, "from-env");
            assert_eq!(p.timeout_ms, 1500);
            assert_eq!(p.transport, "rest");
            assert_eq!(s.log.format, "json");
            Ok(())
        });
    }

    #[test]
    fn mistakes_are_refused_with_the_key_named() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("typo.toml", "http_adr = \"127.0.0.1:1\"\n")?;
            let err = Settings::resolve_with(
                &Flags::default(),
                Some(&jail.directory().join("typo.toml")),
                Env::prefixed(ENV_PREFIX),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("http_adr"), "{err}");
            jail.set_env("LICENSED_ROLE", "county");
            let err = Settings::resolve_with(&Flags::default(), None, Env::prefixed(ENV_PREFIX))
                .unwrap_err()
                .to_string();
            assert!(err.contains("county"), "{err}");
            let missing = Settings::resolve_with(
                &Flags::default(),
                Some(Path::new("/nonexistent/licensed.toml")),
                Env::prefixed(ENV_PREFIX),
            );
            assert!(missing.is_err());
            jail.set_env("LICENSED_ROLE", "city");
            jail.set_env("LICENSED_TLS_CERT_FILE", "/etc/licensed/cert.pem");
            let err = Settings::resolve_with(&Flags::default(), None, Env::prefixed(ENV_PREFIX))
                .unwrap_err()
                .to_string();
            assert!(err.contains("tls_key_file"), "{err}");
            jail.set_env("LICENSED_TLS_KEY_FILE", "/etc/licensed/key.pem");
            jail.set_env("LICENSED_PROVINCE_URL", "https://province.invalid");
            jail.set_env("LICENSED_PROVINCE_CA_FILE", "/etc/licensed/province-ca.pem");
            let s = Settings::resolve_with(&Flags::default(), None, Env::prefixed(ENV_PREFIX))
                .expect("both TLS files");
            assert_eq!(
                s.province.and_then(|p| p.ca_file),
                Some(PathBuf::from("/etc/licensed/province-ca.pem"))
            );
            Ok(())
        });
    }

    #[test]
    fn the_example_config_is_valid_and_says_the_defaults() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../licensed.example.toml");
            let text = std::fs::read_to_string(&path).expect("example config");
            jail.create_file("example.toml", &text)?;
            assert_eq!(
                resolve(jail, &Flags::default(), Some("example.toml")),
                Settings::default(),
                "every value the example shows is the default"
            );
            // Its commented [province] table is valid once uncommented.
            let (head, tail) = text.split_at(text.find("# [province]").expect("province table"));
            let uncommented: String = tail
                .lines()
                .map(|l| l.strip_prefix("# ").unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n");
            jail.create_file("province.toml", &format!("{head}{uncommented}\n"))?;
            let s = resolve(jail, &Flags::default(), Some("province.toml"));
            let p = s.province.expect("province");
            assert_eq!((p.transport.as_str(), p.timeout_ms), ("rest", 5_000));
            assert_eq!(
                (p.auto_sync, p.retry_base_ms, p.retry_max_ms),
                (false, 500, 60_000)
            );
            Ok(())
        });
    }
}
