//! `licensed backup --to FILE` and `licensed restore --from FILE`.
//!
//! A backup is one ZIP file, made while the node serves:
//!
//! - `db/<table>.jsonl`: every table's rows, read in one consistent snapshot of the database
//!   (`SeaStore::dump`) — the same portable form from SQLite, PostgreSQL and MariaDB, which
//!   restores into any of the three;
//! - `files/<key>`: every object of the file store (license files, copies, the audit archive);
//! - `keys/<name>`: the data directory's key files and `signing_key_file`, if set;
//! - `backup.json`: the manifest — the build, the database's migrations, each table's rows, and
//!   each file's and key's SHA-256.
//!
//! The database is read first: a file the snapshot names was written before its row, so it is
//! in the store when the files are listed. A restore goes into an empty database and a new data
//! directory (no `migrate` first); it refuses a database that holds data and changes nothing
//! there, checks every file against the manifest, and fills the database in one transaction.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use license_core::ports::FileStore;
use license_store::{DumpIn, DumpOut, Schema, SeaStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::Settings;
use crate::node;

/// The manifest's name in the ZIP file.
const MANIFEST: &str = "backup.json";
/// The format this build writes and reads.
const FORMAT: u32 = 1;
/// Where `signing_key_file` goes in a backup (and in a restored data directory's `keys`).
const SIGNING_KEY: &str = "signing_key_file.pem";

/// What a backup holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The backup format.
    format: u32,
    /// The build that wrote it.
    version: String,
    /// When it was written (RFC 3339).
    created_at: String,
    /// The database's backend.
    backend: String,
    /// The migrations the database had.
    migrations: Vec<String>,
    /// Rows per table.
    tables: BTreeMap<String, u64>,
    /// SHA-256 of each file, by key.
    files: BTreeMap<String, String>,
    /// SHA-256 of each key file, by name.
    keys: BTreeMap<String, String>,
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The database's tables into the ZIP file.
struct ZipOut<'a> {
    zip: &'a mut zip::ZipWriter<File>,
}

impl DumpOut for ZipOut<'_> {
    fn table(&mut self, name: &str) -> std::io::Result<()> {
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        self.zip
            .start_file(format!("db/{name}.jsonl"), opts)
            .map_err(std::io::Error::other)
    }

    fn row(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.zip.write_all(json)?;
        self.zip.write_all(b"\n")
    }
}

/// Key files of the node: the data directory's `keys`, and `signing_key_file`.
fn key_files(opts: &Settings) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let dir = opts.data_dir.join("keys");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                out.push((name, bytes));
            }
        }
    }
    if let Some(path) = &opts.signing_key_file {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((SIGNING_KEY.to_owned(), bytes));
    }
    Ok(out)
}

/// Writes the backup to `to` (through a temporary file beside it, so `to` is whole or
/// absent); what it holds.
async fn write(opts: &Settings, store: &SeaStore, to: &Path) -> Result<Manifest, String> {
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", to.display());
    if to.exists() {
        return Err(named(&"exists; a backup is never written over a file"));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let result = async {
        let dump = store
            .dump(&mut ZipOut { zip: &mut zip })
            .await
            .map_err(|e| e.to_string())?;
        let stored = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let files = node::file_store(opts)?;
        let mut sums = BTreeMap::new();
        for key in files.keys().await.map_err(|e| e.to_string())? {
            // A file removed since it was listed (an expired copy the purge took) is not
            // needed: no row of the snapshot that still counts names it.
            let Some(bytes) = files.get(&key).await.map_err(|e| e.to_string())? else {
                continue;
            };
            zip.start_file(format!("files/{key}"), stored)
                .map_err(|e| named(&e))?;
            zip.write_all(&bytes).map_err(|e| named(&e))?;
            sums.insert(key, sha256(&bytes));
        }
        let mut keys = BTreeMap::new();
        for (name, bytes) in key_files(opts)? {
            zip.start_file(format!("keys/{name}"), stored)
                .map_err(|e| named(&e))?;
            zip.write_all(&bytes).map_err(|e| named(&e))?;
            keys.insert(name, sha256(&bytes));
        }
        let manifest = Manifest {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: chrono::Utc::now().to_rfc3339(),
            backend: format!("{:?}", store.backend()).to_lowercase(),
            migrations: dump.migrations,
            tables: dump.tables.into_iter().collect(),
            files: sums,
            keys,
        };
        zip.start_file(MANIFEST, SimpleFileOptions::default())
            .map_err(|e| named(&e))?;
        serde_json::to_writer_pretty(&mut zip, &manifest).map_err(|e| named(&e))?;
        Ok::<_, String>(manifest)
    }
    .await;
    let finished = result.and_then(|m| {
        let file = zip.finish().map_err(|e| named(&e))?;
        file.sync_all().map_err(|e| named(&e))?;
        Ok(m)
    });
    match finished {
        Ok(m) => {
            std::fs::rename(&partial, to).map_err(|e| named(&e))?;
            if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty())
                && let Ok(d) = File::open(dir)
            {
                let _ = d.sync_all();
            }
            Ok(m)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// `licensed backup --to FILE` (audited).
pub async fn backup(opts: &Settings, to: &Path) -> Result<(), String> {
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let outcome = write(opts, &n.store, to).await;
    let action = match &outcome {
        Ok(m) => format!(
            "backup --to {} ({} licenses, {} audit events, {} files)",
            to.display(),
            m.tables.get("licenses").copied().unwrap_or(0),
            m.tables.get("audit_events").copied().unwrap_or(0),
            m.files.len()
        ),
        Err(e) => format!("backup --to {} (failed: {e})", to.display()),
    };
    let recorded = crate::cli::audited(&n.platform, action, Ok(())).await;
    n.finish().await;
    let m = outcome?;
    recorded?;
    println!(
        "backup written to {}: {} tables, {} rows, {} files, {} key files",
        to.display(),
        m.tables.len(),
        m.tables.values().sum::<u64>(),
        m.files.len(),
        m.keys.len()
    );
    Ok(())
}

/// The tables of a backup, read from its ZIP file.
struct ZipIn {
    zip: zip::ZipArchive<BufReader<File>>,
}

impl DumpIn for ZipIn {
    fn rows<'a>(
        &'a mut self,
        table: &str,
    ) -> std::io::Result<Box<dyn Iterator<Item = std::io::Result<String>> + 'a>> {
        let entry = self
            .zip
            .by_name(&format!("db/{table}.jsonl"))
            .map_err(std::io::Error::other)?;
        Ok(Box::new(
            BufReader::new(entry)
                .lines()
                .filter(|l| l.as_ref().map_or(true, |l| !l.is_empty())),
        ))
    }
}

/// An entry's bytes, checked against the manifest's SHA-256.
fn checked_entry(
    zip: &mut zip::ZipArchive<BufReader<File>>,
    name: &str,
    want: &str,
) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    zip.by_name(name)
        .map_err(|e| format!("{name}: {e}"))?
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if sha256(&bytes) != want {
        return Err(format!("{name} does not match the backup's manifest"));
    }
    Ok(bytes)
}

/// `licensed restore --from FILE`: into an empty database (created and migrated if new) and
/// the configured file store and data directory.
pub async fn restore(opts: &Settings, from: &Path) -> Result<(), String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", from.display());
    let file = File::open(from).map_err(|e| named(&e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| named(&e))?;
    let manifest: Manifest = {
        let entry = zip.by_name(MANIFEST).map_err(|e| named(&e))?;
        serde_json::from_reader(entry).map_err(|e| named(&e))?
    };
    if manifest.format != FORMAT {
        return Err(named(&format!(
            "backup format {} (this build reads {FORMAT})",
            manifest.format
        )));
    }
    let url = node::database_url(opts)?;
    let status = SeaStore::migration_status(&url)
        .await
        .map_err(|e| e.to_string())?;
    let ours: Vec<&str> = status.known.iter().map(|(n, _)| n.as_str()).collect();
    if manifest
        .migrations
        .iter()
        .map(String::as_str)
        .ne(ours.iter().copied())
    {
        return Err(format!(
            "the backup's schema ({} migrations, the last {}) is not this build's ({}, the last {}): \
             restore with the build that made it ({}), then upgrade",
            manifest.migrations.len(),
            manifest.migrations.last().map_or("none", String::as_str),
            ours.len(),
            ours.last().copied().unwrap_or("none"),
            manifest.version
        ));
    }
    let applied = status.known.iter().filter(|(_, done)| *done).count();
    if applied != 0 && applied != ours.len() || !status.unknown.is_empty() {
        return Err(
            "the database has a schema of another build: a restore goes into an empty database"
                .into(),
        );
    }
    let store = SeaStore::open(&url, 2, Schema::Migrate)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((table, rows)) = store.first_non_empty().await.map_err(|e| e.to_string())? {
        let _ = store.close().await;
        return Err(license_store::StoreError::NotEmpty(table, rows).to_string());
    }
    // Key files that would be replaced stop the restore before anything is written.
    let keys_dir = opts.data_dir.join("keys");
    for name in manifest.keys.keys() {
        if keys_dir.join(name).exists() {
            let _ = store.close().await;
            return Err(format!(
                "{} exists: a restore goes into a new data directory",
                keys_dir.join(name).display()
            ));
        }
    }
    let result = async {
        let files = node::file_store(opts)?;
        for (key, sum) in &manifest.files {
            let bytes = checked_entry(&mut zip, &format!("files/{key}"), sum)?;
            files.put(key, &bytes).await.map_err(|e| e.to_string())?;
        }
        for (name, sum) in &manifest.keys {
            let bytes = checked_entry(&mut zip, &format!("keys/{name}"), sum)?;
            write_key(&keys_dir, name, &bytes)?;
        }
        let mut dump = ZipIn { zip };
        let restored = store.restore(&mut dump).await.map_err(|e| e.to_string())?;
        for (table, rows) in &restored {
            if manifest.tables.get(table) != Some(rows) {
                return Err(format!(
                    "{table}: {rows} rows restored, the manifest says {:?}",
                    manifest.tables.get(table)
                ));
            }
        }
        Ok::<_, String>(restored)
    }
    .await;
    let _ = store.close().await;
    let restored = result?;
    if manifest.keys.contains_key(SIGNING_KEY) {
        eprintln!(
            "the backup's signing_key_file is in {}: set signing_key_file to it",
            keys_dir.join(SIGNING_KEY).display()
        );
    }
    let n = node::build(opts, &node::public_url(opts, None)).await?;
    let action = format!(
        "restore --from {} (made {} by {})",
        from.display(),
        manifest.created_at,
        manifest.version
    );
    let recorded = crate::cli::audited(&n.platform, action, Ok(())).await;
    n.finish().await;
    recorded?;
    println!(
        "restored from {}: {} rows in {} tables, {} files, {} key files",
        from.display(),
        restored.iter().map(|(_, n)| n).sum::<u64>(),
        restored.len(),
        manifest.files.len(),
        manifest.keys.len()
    );
    Ok(())
}

/// A key file into the data directory's `keys`, readable by its owner only.
fn write_key(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    if name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(format!("keys/{name}: not a key file name"));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let named = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut f = o.open(&path).map_err(named)?;
    f.write_all(bytes).map_err(named)?;
    f.sync_all().map_err(named)
}
