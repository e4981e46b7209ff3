//! `licensed license export`: the whole library in the import format, read a page at a time
//! (memory stays bounded whatever the library's size) and written to standard output — JSON
//! Lines, which `license import` takes back as the same licenses, or CSV for spreadsheets.
//! `licensed audit export`: the audit records of a span of days, from the database and the
//! archive, in the same two formats.

use std::collections::BTreeSet;
use std::io::Write;

use license_core::License;
use license_core::admin::NewLicense;
use license_core::ports::AuditQuery;
use license_platform::Platform;
use license_platform::import_file::{FACE, record_fields};
use license_store::SeaStore;
use serde_json::Value;

/// Licenses read per page.
const PAGE: u64 = 1_000;

/// Calls `each` on every license, in row order.
async fn each_license(
    store: &SeaStore,
    mut each: impl FnMut(&License) -> Result<(), String>,
) -> Result<u64, String> {
    let (mut after, mut count) = (0, 0);
    loop {
        let page = store
            .licenses_after(after, PAGE)
            .await
            .map_err(|e| format!("database: {e}"))?;
        let Some((last, _)) = page.last() else {
            return Ok(count);
        };
        after = *last;
        for (_, l) in &page {
            each(l)?;
            count += 1;
        }
    }
}

fn io(e: impl std::fmt::Display) -> String {
    format!("standard output: {e}")
}

/// Writes every license in `format` (`jsonl` or `csv`); how many.
pub async fn licenses(store: &SeaStore, format: &str) -> Result<u64, String> {
    let stdout = std::io::stdout();
    match format {
        "jsonl" => {
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = each_license(store, |l| {
                serde_json::to_writer(&mut out, &NewLicense::exported(l)).map_err(io)?;
                out.write_all(b"\n").map_err(io)
            })
            .await?;
            out.flush().map_err(io)?;
            Ok(n)
        }
        "csv" => {
            // The face's columns are every name any license's face uses: a first pass.
            let mut faces = BTreeSet::new();
            each_license(store, |l| {
                faces.extend(l.face.keys().cloned());
                Ok(())
            })
            .await?;
            let fields = record_fields();
            let mut out = csv::Writer::from_writer(stdout.lock());
            out.write_record(
                fields
                    .iter()
                    .cloned()
                    .chain(faces.iter().map(|f| format!("{FACE}{f}"))),
            )
            .map_err(io)?;
            let n = each_license(store, |l| {
                if let Some(new) = l.face.keys().find(|k| !faces.contains(*k)) {
                    return Err(format!(
                        "the library changed during the export (a face field {new:?} appeared): export again"
                    ));
                }
                let record = match serde_json::to_value(NewLicense::exported(l)) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err("a license could not be written".into()),
                };
                let cell = |f: &String| match record.get(f) {
                    Some(Value::String(s)) => s.clone(),
                    _ => String::new(),
                };
                out.write_record(
                    fields.iter().map(cell).chain(
                        faces
                            .iter()
                            .map(|f| l.face.get(f).cloned().unwrap_or_default()),
                    ),
                )
                .map_err(io)
            })
            .await?;
            out.flush().map_err(io)?;
            Ok(n)
        }
        other => Err(format!("--format must be jsonl or csv, not {other:?}")),
    }
}

/// Writes the audit records `q` selects in `format` (`jsonl` or `csv`); how many.
pub async fn audit(p: &Platform, q: &AuditQuery, format: &str) -> Result<u64, String> {
    let stdout = std::io::stdout();
    match format {
        "jsonl" => {
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = p
                .export_audit(q, |r| {
                    serde_json::to_writer(&mut out, &r).map_err(io)?;
                    out.write_all(b"\n").map_err(io)
                })
                .await?;
            out.flush().map_err(io)?;
            Ok(n)
        }
        "csv" => {
            let mut out = csv::Writer::from_writer(stdout.lock());
            out.write_record(license_http::admin::AUDIT_CSV_COLUMNS)
                .map_err(io)?;
            let n = p
                .export_audit(q, |r| {
                    out.write_record(license_http::admin::audit_csv_cells(&r))
                        .map_err(io)
                })
                .await?;
            out.flush().map_err(io)?;
            Ok(n)
        }
        other => Err(format!("--format must be jsonl or csv, not {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_csv_columns_are_the_import_formats_fields() {
        let f = super::record_fields();
        assert_eq!(f.first().map(String::as_str), Some("certTypeCode"));
        for name in ["certificateNumber", "certIdentifier", "fileNumber", "state"] {
            assert!(f.iter().any(|x| x == name), "{name}: {f:?}");
        }
        assert!(!f.iter().any(|x| x == "face"));
    }
}
