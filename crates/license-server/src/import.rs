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
use license_platform::import_file::{CsvRecords, line_record, sniff};
use license_platform::{Importer, Platform, Rejected};

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
                import.add(n, line_record(&line, encoding)).await;
                report(import.take_rejected(), &mut summary);
                progress.update(&import, summary.rejected.len());
            }
        }
        "csv" => {
            let records =
                CsvRecords::new(text, encoding).map_err(|e| format!("{}: {e}", path.display()))?;
            for (n, record) in records {
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
}
