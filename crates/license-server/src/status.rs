//! `licensed status`: how the node's library is doing, for an operator at a terminal — one
//! `name: value` line each. It only reads: nothing is created or migrated.

use chrono::{DateTime, Utc};
use license_store::{Schema, SeaStore};

use crate::Settings;
use crate::node::reading_url;

/// A database URL without its password (in the user part or a `password=` parameter).
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{name}:***@{host}")
        }
        _ => authority.to_owned(),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let query: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_owned(),
        })
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!("{scheme}://{authority}{path}{query}")
}

/// The lines `licensed status` prints.
pub async fn lines(opts: &Settings) -> Result<Vec<(&'static str, String)>, String> {
    let url = reading_url(opts);
    let zone: chrono_tz::Tz = opts
        .time_zone
        .parse()
        .map_err(|_| format!("unknown time zone {}", opts.time_zone))?;
    let local = |t: DateTime<Utc>| format!("{} ({})", t.with_timezone(&zone).to_rfc3339(), zone);
    let mut out = vec![
        ("version", env!("CARGO_PKG_VERSION").to_owned()),
        ("role", opts.role.clone()),
        ("database", redacted(&url)),
        (
            "object store",
            opts.object_store_url
                .clone()
                .unwrap_or_else(|| format!("file://{}", opts.default_files_dir().display())),
        ),
    ];
    let migrations = SeaStore::migration_status(&url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let pending = migrations.known.iter().filter(|(_, done)| !done).count();
    if pending > 0 {
        out.push((
            "schema",
            format!("{pending} migrations pending: run `licensed migrate`"),
        ));
        return Ok(out);
    }
    out.push(("schema", "up to date".to_owned()));
    let store = SeaStore::open(&url, 2, Schema::Require)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let counted = store.status().await;
    let purged =
        license_core::ports::Upkeep::last_run(&store, license_platform::upkeep::PURGE_JOB).await;
    let _ = store.close().await;
    let s = counted.map_err(|e| format!("database: {e}"))?;
    out.extend([
        ("licenses", s.licenses.to_string()),
        ("accounts", s.accounts.to_string()),
        ("pending pushes", s.pending_pushes.to_string()),
        ("audit events", s.audit_events.to_string()),
        (
            "oldest audit event",
            s.oldest_audit_event
                .map_or_else(|| "none".to_owned(), local),
        ),
        (
            "last purge",
            match purged.map_err(|e| format!("database: {e}"))? {
                Some(run) => format!("{}: {}", local(run.finished_at), run.report),
                None => "never".to_owned(),
            },
        ),
    ]);
    Ok(out)
}

/// Prints [`lines`].
pub async fn print(opts: &Settings) -> Result<(), String> {
    for (name, value) in lines(opts).await? {
        println!("{name}: {value}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            super::redacted("postgres://licensed:s3cret@db:5432/licensed"),
            "postgres://licensed:***@db:5432/licensed"
        );
        assert_eq!(
            super::redacted("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(super::redacted("sqlite:///x/y.db"), "sqlite:///x/y.db");
        assert_eq!(
            super::redacted("mysql://u:p@ss@db/x?password=q&ssl-mode=off"),
            "mysql://u:***@db/x?password=***&ssl-mode=off"
        );
    }
}
