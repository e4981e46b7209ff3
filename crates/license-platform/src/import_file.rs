//! Import files as operators have them: JSON Lines in the import format, or CSV whose columns
//! are the import format's field names (face fields as `face.<name>`), in UTF-8 (with or
//! without a byte-order mark) or GB18030, as spreadsheet software in China writes them. What
//! `licensed license import` streams from a file and the console and the admin API take whole.

use encoding_rs::Encoding;
use license_core::admin::{ImportReport, NewLicense, Rejected};
use serde_json::{Map, Value};

use crate::admin::parse_record;
use crate::platform::Platform;

/// How many lines an import reads between two reports of its progress.
pub const PROGRESS_EVERY: usize = 1_000;

/// The prefix of a face field's CSV column.
pub const FACE: &str = "face.";

/// The import format's fields other than the face, in its order (from the type itself).
pub fn record_fields() -> Vec<String> {
    let every = NewLicense {
        certificate_name: Some(String::new()),
        certificate_validate_end: Some(String::new()),
        state: Some(String::new()),
        cert_identifier: Some(String::new()),
        file_number: Some(String::new()),
        abstract_code: Some(String::new()),
        ..NewLicense::default()
    };
    match serde_json::to_value(every) {
        Ok(Value::Object(m)) => m.keys().filter(|k| *k != "face").cloned().collect(),
        _ => Vec::new(),
    }
}

/// The encoding of a file with no byte-order mark, from its start: UTF-8 if the start is
/// (a character cut by the end of the sample aside), else GB18030.
pub fn sniff(head: &[u8]) -> &'static Encoding {
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GB18030,
    }
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

/// A CSV header checked against the import format: every column a field or `face.<name>`.
fn check_header(header: &[String]) -> Result<(), String> {
    let known = record_fields();
    match header
        .iter()
        .find(|h| !h.starts_with(FACE) && !known.contains(h))
    {
        Some(bad) => Err(format!(
            "the column {bad:?} is no field of the import format ({}, or face.<name>)",
            known.join(", ")
        )),
        None => Ok(()),
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

/// One line of a JSON Lines file as an import record; `encoding` names the file's encoding in
/// the reason a line that did not decode is refused with (`None`: UTF-8 or GB18030).
pub fn line_record(line: &str, encoding: Option<&str>) -> Result<NewLicense, String> {
    match undecodable(line, encoding) {
        Some(why) => Err(why),
        None => parse_record(line),
    }
}

/// The records of a CSV file in the import format, a row at a time (memory stays bounded),
/// each with the line it starts on. A row the CSV reader cannot take (another number of
/// cells) is that row's rejection; reading goes on with the next.
pub struct CsvRecords<R> {
    rows: csv::Reader<R>,
    header: Vec<String>,
    row: csv::StringRecord,
    encoding: Option<String>,
}

impl<R: std::io::Read> CsvRecords<R> {
    /// The records of `text`, whose header must name the import format's fields (else the
    /// reason); `encoding` as for [`line_record`].
    pub fn new(text: R, encoding: Option<&str>) -> Result<Self, String> {
        let mut rows = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text);
        let header: Vec<String> = rows
            .headers()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        check_header(&header)?;
        Ok(CsvRecords {
            rows,
            header,
            row: csv::StringRecord::new(),
            encoding: encoding.map(str::to_owned),
        })
    }
}

impl<R: std::io::Read> Iterator for CsvRecords<R> {
    type Item = (usize, Result<NewLicense, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let more = self.rows.read_record(&mut self.row);
        let at = match &more {
            Ok(_) => self.row.position(),
            Err(e) => e.position(),
        };
        let line = at.map_or(0, |pos| usize::try_from(pos.line()).unwrap_or(usize::MAX));
        let record = match more {
            Ok(false) => return None,
            Ok(true) => match self
                .row
                .iter()
                .find_map(|c| undecodable(c, self.encoding.as_deref()))
            {
                Some(why) => Err(why),
                None => csv_record(&self.header, &self.row),
            },
            Err(e) => Err(format!("not a CSV row of the header's columns: {e}")),
        };
        Some((line, record))
    }
}

/// A whole file as text: in the encoding its byte-order mark names, else the one [`sniff`]
/// finds.
fn decode(bytes: &[u8]) -> String {
    let (text, _, _) = sniff(&bytes[..bytes.len().min(64 * 1024)]).decode(bytes);
    text.into_owned()
}

/// Whether a file's text is CSV rather than JSON Lines: its first line is not an object.
fn is_csv(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| !l.trim_start().starts_with('{'))
}

impl Platform {
    /// Imports a whole file (JSON Lines or CSV, UTF-8 or GB18030); every line is imported or
    /// rejected with its number and reason. A CSV header that is not the import format's is
    /// the one rejection (line 1). `progress` hears how many lines have been read every
    /// [`PROGRESS_EVERY`] lines.
    pub async fn import_file(
        &self,
        bytes: &[u8],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> ImportReport {
        let text = decode(bytes);
        let mut import = self.importer();
        let mut read = 0usize;
        let mut tell = |line: usize| {
            read += 1;
            if read.is_multiple_of(PROGRESS_EVERY) {
                progress(line);
            }
        };
        if is_csv(&text) {
            let records = match CsvRecords::new(text.as_bytes(), None) {
                Ok(r) => r,
                Err(reason) => return header_refused(reason),
            };
            for (n, record) in records {
                import.add(n, record).await;
                tell(n);
            }
        } else {
            for (i, line) in text.lines().enumerate() {
                if !line.trim().is_empty() {
                    import.add(i + 1, line_record(line, None)).await;
                    tell(i + 1);
                }
            }
        }
        let mut report = import.finish().await;
        report.rejected.sort_by_key(|r| r.line);
        report
    }
}

fn header_refused(reason: String) -> ImportReport {
    ImportReport {
        imported: 0,
        rejected: vec![Rejected { line: 1, reason }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_mark_is_utf8_if_its_start_is_else_gb18030() {
        assert_eq!(sniff("证照,名称".as_bytes()), encoding_rs::UTF_8);
        // A character cut by the end of the sample is no reason to doubt.
        assert_eq!(sniff(&"证照".as_bytes()[..4]), encoding_rs::UTF_8);
        let (gb, _, _) = encoding_rs::GB18030.encode("证照,名称");
        assert_eq!(sniff(&gb), encoding_rs::GB18030);
        assert_eq!(decode(&gb), "证照,名称");
        let bom = [&[0xEF, 0xBB, 0xBF][..], "证照".as_bytes()].concat();
        assert_eq!(decode(&bom), "证照");
    }

    #[test]
    fn a_csv_row_is_a_record_with_its_face() {
        let sample: Map<String, Value> =
            serde_json::from_str(&crate::sample::import_line(1)).unwrap();
        let mut header: Vec<String> = sample.keys().filter(|k| *k != "face").cloned().collect();
        let mut cells: Vec<String> = header
            .iter()
            .map(|k| sample[k].as_str().unwrap_or_default().to_owned())
            .collect();
        header.extend(["face.name".to_owned(), "state".to_owned()]);
        cells.extend(["张三".to_owned(), String::new()]);
        assert!(check_header(&header).is_ok());
        assert!(check_header(&["nonsense".to_owned()]).is_err());
        let r = csv_record(&header, &csv::StringRecord::from(cells)).unwrap();
        assert_eq!(r.cert_type_code, sample["certTypeCode"].as_str().unwrap());
        assert_eq!(r.face.get("name").map(String::as_str), Some("张三"));
        assert_eq!(r.state, None, "an empty cell is an absent field");
    }

    #[test]
    fn csv_or_json_lines_by_the_first_line() {
        assert!(is_csv("\ncertTypeCode,certificateNumber\n"));
        assert!(!is_csv("\n {\"certTypeCode\":\"x\"}\n"));
        assert!(!is_csv(""));
    }
}
