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

#[cfg(test)]
mod tests {
    use super::rows;

    #[test]
    fn cells_are_trimmed_like_the_source_needs() {
        let csv = "order,name,code\n 1 ,  律师工作证\t, 11100000000013151X016 \n2,\u{3000}a ,b\n";
        let r = rows(csv);
        assert_eq!(r[0], ["1", "律师工作证", "11100000000013151X016"]);
        // Full-width (ideographic) spaces are whitespace too.
        assert_eq!(r[1], ["2", "a", "b"]);
    }
}
