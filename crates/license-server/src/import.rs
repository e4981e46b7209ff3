//! `licensed license import FILE`: JSON Lines (the import format) or CSV (its field names as
//! columns, face fields as `face.<name>`), read a line at a time and stored in batches, so
//! memory stays bounded whatever the file's size. A file with a byte-order mark is read in
//! its encoding; one without is UTF-8 if its start is, else GB18030 (what spreadsheet software
//! in China writes); `--encoding` decides instead. Progress goes to standard error: a bar on a
//! terminal, a line every few seconds otherwise; each rejected line is reported as it is found.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use encoding_rs::Encoding;
use license_platform::{Importer, NewLicense, Platform, Rejected, parse_record};
use serde_json::{Map, Value};

use crate::export::{FACE, record_fields};

/// How much of the file's start decides between UTF-8 and GB18030.
const SNIFF: usize = 64 * 1024;
/// How often progress is written when standard error is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Licenses imported.
    pub imported: usize,
    /// The lines rejected, in order.
    pub rejected: Vec<usize>,
}

impl Summary {
    /// The rejected lines as ranges: `3, 7-9, 12`.
    pub fn rejected_lines(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.rejected.len() {
            let start = self.rejected[i];
            let mut end = start;
            while i + 1 < self.rejected.len() && self.rejected[i + 1] == end + 1 {
                i += 1;
                end += 1;
            }
            out.push(if start == end {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
            i += 1;
        }
        out.join(", ")
    }
}

/// The file's bytes, counted as they are read (for the progress bar).
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The encoding of a file with no byte-order mark, from its start: UTF-8 if the start is
/// (a character cut by the end of the sample aside), else GB18030.
fn sniff(head: &[u8]) -> &'static Encoding {
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GB18030,
    }
}

/// The file as UTF-8 text: in the encoding its byte-order mark names, else `forced`, else the
/// one [`sniff`] finds.
fn decoded(
    path: &Path,
    forced: Option<&'static Encoding>,
    read: Arc<AtomicU64>,
) -> Result<impl BufRead, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut raw = BufReader::with_capacity(SNIFF, Counted { inner: file, read });
    let encoding = match forced {
        Some(e) => e,
        None => sniff(
            raw.fill_buf()
                .map_err(|e| format!("{}: {e}", path.display()))?,
        ),
    };
    let text = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(raw);
    Ok(BufReader::new(text))
}

/// The encoding `--encoding` names.
fn encoding_named(name: &str) -> Result<&'static Encoding, String> {
    Encoding::for_label(name.as_bytes())
        .ok_or_else(|| format!("--encoding {name:?} names no encoding (utf-8, gb18030, …)"))
}

/// A line that decoding had to repair does not hold what the file meant.
fn undecodable(text: &str, encoding: Option<&str>) -> Option<String> {
    text.contains(char::REPLACEMENT_CHARACTER).then(|| {
        format!(
            "bytes that are not {} text",
            encoding.unwrap_or("UTF-8 or GB18030")
        )
    })
}

/// Progress on standard error.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last: Instant,
    read: Arc<AtomicU64>,
    size: u64,
}

impl Progress {
    fn new(size: u64, read: Arc<AtomicU64>) -> Self {
        let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(size),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {elapsed} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            last: Instant::now(),
            read,
            size,
        }
    }

    fn update(&mut self, import: &Importer<'_>, rejected: usize) {
        let read = self.read.load(Ordering::Relaxed);
        let said = format!("imported {}, rejected {rejected}", import.imported());
        match &self.bar {
            Some(bar) => {
                bar.set_position(read);
                bar.set_message(said);
            }
            None if self.last.elapsed() >= PLAIN_EVERY => {
                self.last = Instant::now();
                let pct = (read * 100).checked_div(self.size).unwrap_or(100);
                eprintln!("{pct}% read: {said}");
            }
            None => {}
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Reports and counts rejections.
fn report(rejected: Vec<Rejected>, summary: &mut Summary) {
    for r in rejected {
        eprintln!("line {}: {}", r.line, r.reason);
        summary.rejected.push(r.line);
    }
}

/// A CSV row as an import record, by the header's columns.
fn csv_record(header: &[String], row: &csv::StringRecord) -> Result<NewLicense, String> {
    let mut fields = Map::new();
    let mut face = Map::new();
    for (name, cell) in header.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        match name.strip_prefix(FACE) {
            Some(f) => face.insert(f.to_owned(), Value::String(cell.to_owned())),
            None => fields.insert(name.clone(), Value::String(cell.to_owned())),
        };
    }
    fields.insert("face".into(), Value::Object(face));
    serde_json::from_value(Value::Object(fields)).map_err(|e| format!("not a license record: {e}"))
}

/// Imports `path` as `format` (`jsonl`, `csv`; by the file's extension when not given).
pub async fn licenses(
    p: &Platform,
    path: &Path,
    format: Option<&str>,
    encoding: Option<&str>,
) -> Result<Summary, String> {
    let forced = encoding.map(encoding_named).transpose()?;
    let format = match format {
        Some(f) => f.to_owned(),
        None if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            "csv".into()
        }
        None => "jsonl".into(),
    };
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let read = Arc::new(AtomicU64::new(0));
    let text = decoded(path, forced, read.clone())?;
    let mut progress = Progress::new(size, read);
    let mut summary = Summary::default();
    let mut import = p.importer();
    match format.as_str() {
        "jsonl" => {
            let mut line = String::new();
            let mut text = text;
            for n in 1.. {
                line.clear();
                let got = text
                    .read_line(&mut line)
                    .map_err(|e| format!("{}, line {n}: {e}", path.display()))?;
                if got == 0 {
                    break;
                }
                if line.trim().is_empty() {
                    continue;
                }
                let record = match undecodable(&line, encoding) {
                    Some(why) => Err(why),
                    None => parse_record(&line),
                };
                import.add(n, record).await;
                report(import.take_rejected(), &mut summary);
                progress.update(&import, summary.rejected.len());
            }
        }
        "csv" => {
            let mut rows = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(text);
            let known = record_fields();
            let header: Vec<String> = rows
                .headers()
                .map_err(|e| format!("{}: {e}", path.display()))?
                .iter()
                .map(|h| h.trim().to_owned())
                .collect();
            if let Some(bad) = header
                .iter()
                .find(|h| !h.starts_with(FACE) && !known.contains(h))
            {
                return Err(format!(
                    "{}: the column {bad:?} is no field of the import format ({}, or face.<name>)",
                    path.display(),
                    known.join(", ")
                ));
            }
            let mut row = csv::StringRecord::new();
            loop {
                let more = rows.read_record(&mut row);
                let at = match &more {
                    Ok(_) => row.position(),
                    Err(e) => e.position(),
                };
                let n = at.map_or(0, |pos| usize::try_from(pos.line()).unwrap_or(usize::MAX));
                let record = match more {
                    Ok(false) => break,
                    Ok(true) => match row.iter().find_map(|c| undecodable(c, encoding)) {
                        Some(why) => Err(why),
                        None => csv_record(&header, &row),
                    },
                    // A row the CSV reader cannot take (a different number of cells): its own
                    // rejection; the reader goes on with the next row.
                    Err(e) => Err(format!("not a CSV row of the header's columns: {e}")),
                };
                import.add(n, record).await;
                report(import.take_rejected(), &mut summary);
                progress.update(&import, summary.rejected.len());
            }
        }
        other => return Err(format!("--format must be jsonl or csv, not {other:?}")),
    }
    let last = import.finish().await;
    summary.imported = last.imported;
    report(last.rejected, &mut summary);
    progress.done();
    summary.rejected.sort_unstable();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_lines_read_as_ranges() {
        let s = Summary {
            imported: 0,
            rejected: vec![3, 7, 8, 9, 12],
        };
        assert_eq!(s.rejected_lines(), "3, 7-9, 12");
        assert_eq!(Summary::default().rejected_lines(), "");
    }

    #[test]
    fn a_file_without_a_mark_is_utf8_if_its_start_is_else_gb18030() {
        assert_eq!(sniff("证照,名称".as_bytes()), encoding_rs::UTF_8);
        // A character cut by the end of the sample is no reason to doubt.
        assert_eq!(sniff(&"证照".as_bytes()[..4]), encoding_rs::UTF_8);
        let (gb, _, _) = encoding_rs::GB18030.encode("证照,名称");
        assert_eq!(sniff(&gb), encoding_rs::GB18030);
    }

    #[test]
    fn a_csv_row_is_a_record_with_its_face() {
        let sample: Map<String, Value> =
            serde_json::from_str(&license_platform::sample::import_line(1)).unwrap();
        let mut header: Vec<String> = sample.keys().filter(|k| *k != "face").cloned().collect();
        let mut cells: Vec<String> = header
            .iter()
            .map(|k| sample[k].as_str().unwrap_or_default().to_owned())
            .collect();
        header.extend(["face.name".to_owned(), "state".to_owned()]);
        cells.extend(["张三".to_owned(), String::new()]);
        let r = csv_record(&header, &csv::StringRecord::from(cells)).unwrap();
        assert_eq!(r.cert_type_code, sample["certTypeCode"].as_str().unwrap());
        assert_eq!(r.face.get("name").map(String::as_str), Some("张三"));
        assert_eq!(r.state, None, "an empty cell is an absent field");
    }
}
