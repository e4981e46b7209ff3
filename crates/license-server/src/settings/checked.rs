//! The checks a node's settings pass before it starts: every value inside its range, each word
//! one the node knows. A refusal names the key, what it may be and where the value came from
//! (the file, a `LICENSED_*` variable, a flag or the default), so that an operator finds it at
//! once; nothing is silently raised to a minimum.

use figment::Figment;
use figment::Source;

use super::{ENV_PREFIX, Flags, Settings, SettingsError};

/// Where the value of `key` came from, as an operator would look for it.
pub(super) fn origin(figment: &Figment, flags: &Flags, key: &str) -> String {
    let flagged = serde_json::to_value(flags)
        .ok()
        .is_some_and(|v| v.get(key).is_some());
    if flagged {
        return format!("the flag --{}", key.replace('_', "-"));
    }
    match figment.find_metadata(key) {
        Some(m) => match &m.source {
            Some(Source::File(path)) => format!("the file {}", path.display()),
            _ if m.name.contains("environment") => format!(
                "the environment variable {ENV_PREFIX}{}",
                key.replace('.', "_").to_ascii_uppercase()
            ),
            _ => "the default".to_owned(),
        },
        None => "the default".to_owned(),
    }
}

/// A numeric setting and its bounds.
struct Bounded {
    key: &'static str,
    value: i128,
    min: i128,
    max: i128,
}

fn bounded(key: &'static str, value: impl Into<i128>, min: i128, max: i128) -> Bounded {
    Bounded {
        key,
        value: value.into(),
        min,
        max,
    }
}

const DAY: i128 = 86_400;

/// Every numeric setting with bounds, and those bounds.
fn bounds(s: &Settings) -> Vec<Bounded> {
    let mut out = vec![
        bounded(
            "database_max_connections",
            s.database_max_connections,
            1,
            1_000,
        ),
        bounded("token_ttl_secs", s.token_ttl_secs, 60, 30 * DAY),
        bounded("download_url_ttl_secs", s.download_url_ttl_secs, 10, DAY),
        bounded("token_cache_ttl_ms", s.token_cache_ttl_ms, 0, 3_600_000),
        bounded("license_cache_ttl_ms", s.license_cache_ttl_ms, 0, 3_600_000),
        bounded(
            "body_limit_bytes",
            s.body_limit_bytes as u64,
            1_024,
            1 << 30,
        ),
        bounded(
            "file_body_limit_bytes",
            s.file_body_limit_bytes as u64,
            s.body_limit_bytes as i128,
            1 << 30,
        ),
        bounded(
            "refresh_token_ttl_secs",
            s.refresh_token_ttl_secs,
            60,
            365 * DAY,
        ),
        bounded(
            "lockout_max_failures",
            s.lockout_max_failures,
            1,
            u32::MAX.into(),
        ),
        bounded("lockout_window_secs", s.lockout_window_secs, 1, 30 * DAY),
        bounded("lockout_secs", s.lockout_secs, 0, 365 * DAY),
        bounded(
            "http_header_timeout_secs",
            s.http_header_timeout_secs,
            1,
            3_600,
        ),
        bounded("http_body_timeout_secs", s.http_body_timeout_secs, 1, 3_600),
        bounded("max_connections", s.max_connections as u64, 1, 1_000_000),
        bounded("purge_interval_secs", s.purge_interval_secs, 1, 7 * DAY),
        bounded("audit_retention_days", s.audit_retention_days, 0, 36_500),
        bounded("console_idle_secs", s.console_idle_secs, 60, DAY),
    ];
    if let Some(p) = &s.province {
        out.extend([
            bounded("province.timeout_ms", p.timeout_ms, 100, 600_000),
            bounded("province.retry_base_ms", p.retry_base_ms, 1, 3_600_000),
            bounded(
                "province.retry_max_ms",
                p.retry_max_ms,
                p.retry_base_ms.into(),
                DAY * 1_000,
            ),
        ]);
    }
    out
}

impl Settings {
    /// The settings if every check passes; else the first refusal.
    pub(super) fn checked(
        self,
        origin: impl Fn(&str) -> String,
    ) -> Result<Settings, SettingsError> {
        let refuse = |key: &str, what: String| {
            Err(SettingsError(format!(
                "{key} {what} (set by {})",
                origin(key)
            )))
        };
        for b in bounds(&self) {
            if !(b.min..=b.max).contains(&b.value) {
                return refuse(
                    b.key,
                    format!("= {} is outside {}..={}", b.value, b.min, b.max),
                );
            }
        }
        if self.role != "city" && self.role != "province" {
            return refuse(
                "role",
                format!("must be city or province, not {:?}", self.role),
            );
        }
        if license_store::Durability::from_word(&self.sqlite_synchronous).is_none() {
            return refuse(
                "sqlite_synchronous",
                format!("must be full or normal, not {:?}", self.sqlite_synchronous),
            );
        }
        if self.log.format != "text" && self.log.format != "json" {
            return refuse(
                "log.format",
                format!("must be text or json, not {:?}", self.log.format),
            );
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return refuse(
                "time_zone",
                format!("{:?} is not an IANA time zone", self.time_zone),
            );
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            let set = if self.tls_cert_file.is_some() {
                "tls_cert_file"
            } else {
                "tls_key_file"
            };
            return refuse(
                set,
                "is set without its pair: tls_cert_file and tls_key_file go together".into(),
            );
        }
        if let Some(p) = &self.province
            && p.transport != "rest"
            && p.transport != "grpc"
        {
            return refuse(
                "province.transport",
                format!("must be rest or grpc, not {:?}", p.transport),
            );
        }
        Ok(self)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error.
mod tests {
    use figment::Jail;
    use figment::providers::Env;

    use super::super::{ENV_PREFIX, Flags, Settings};

    fn refusal(jail: &Jail, flags: &Flags, file: Option<&str>) -> String {
        let path = file.map(|f| jail.directory().join(f));
        Settings::resolve_with(flags, path.as_deref(), Env::prefixed(ENV_PREFIX))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_value_out_of_range_is_refused_naming_key_range_and_origin() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            // From the environment: was silently raised to 10 s before.
            jail.set_env("LICENSED_DOWNLOAD_URL_TTL_SECS", "5");
            let said = refusal(jail, &Flags::default(), None);
            assert!(
                said.contains("download_url_ttl_secs = 5 is outside 10..=86400")
                    && said.contains("the environment variable LICENSED_DOWNLOAD_URL_TTL_SECS"),
                "{said}"
            );
            // From a flag, over the environment.
            let flags = Flags {
                download_url_ttl_secs: Some(0),
                ..Flags::default()
            };
            let said = refusal(jail, &flags, None);
            assert!(
                said.contains("= 0 is outside")
                    && said.contains("the flag --download-url-ttl-secs"),
                "{said}"
            );
            jail.clear_env();
            // From the file, in a table too.
            jail.create_file(
                "licensed.toml",
                "token_ttl_secs = 30\n[province]\nurl = \"http://p.invalid\"\n",
            )?;
            let said = refusal(jail, &Flags::default(), Some("licensed.toml"));
            assert!(
                said.contains("token_ttl_secs = 30 is outside 60..=")
                    && said.contains("licensed.toml"),
                "{said}"
            );
            jail.create_file(
                "province.toml",
                "[province]\nurl = \"http://p.invalid\"\ntimeout_ms = 5\n",
            )?;
            let said = refusal(jail, &Flags::default(), Some("province.toml"));
            assert!(
                said.contains("province.timeout_ms = 5 is outside 100..=600000")
                    && said.contains("province.toml"),
                "{said}"
            );
            jail.create_file("retry.toml", "[province]\nurl = \"http://p.invalid\"\n")?;
            jail.set_env("LICENSED_PROVINCE_RETRY_BASE_MS", "2000");
            jail.set_env("LICENSED_PROVINCE_RETRY_MAX_MS", "1000");
            let said = refusal(jail, &Flags::default(), Some("retry.toml"));
            assert!(
                said.contains("province.retry_max_ms = 1000 is outside 2000..=")
                    && said.contains("LICENSED_PROVINCE_RETRY_MAX_MS"),
                "{said}"
            );
            // A word the node does not know names its origin too.
            jail.clear_env();
            jail.set_env("LICENSED_ROLE", "county");
            let said = refusal(jail, &Flags::default(), None);
            assert!(
                said.contains("role must be city or province, not \"county\"")
                    && said.contains("LICENSED_ROLE"),
                "{said}"
            );
            // The limit where files arrive may not be below the other one.
            jail.clear_env();
            jail.set_env("LICENSED_BODY_LIMIT_BYTES", "4096");
            jail.set_env("LICENSED_FILE_BODY_LIMIT_BYTES", "2048");
            let said = refusal(jail, &Flags::default(), None);
            assert!(
                said.contains("file_body_limit_bytes = 2048 is outside 4096..="),
                "{said}"
            );
            Ok(())
        });
    }
}
