//! Reading the bundled CSV files.

/// The rows of a bundled CSV file, header skipped, every cell trimmed. The files are part of
/// the crate, so a malformed one is a build defect and panics on first use (tests cover it).
pub(crate) fn rows(csv_text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("bundled dictionary CSV is well-formed");
            r.iter().map(|c| c.trim().to_owned()).collect()
        })
        .collect()
}
