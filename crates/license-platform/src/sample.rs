//! Synthetic licenses in the import format, for benchmarks and load runs: deterministic, with
//! valid GB 11643 holder codes, ten cert types, three licenses per holder.

/// The cert types the samples cycle through (all in the dictionary).
pub const SAMPLE_TYPES: [&str; 10] = [
    "11100000000013127D001",
    "111000000000131433001",
    "11100000MB0143028R025",
    "11100000MB0341032Y002",
    "111000007178369727008",
    "11100000000013338W006",
    "131000000000180402003",
    "11100000MB03271699001",
    "111000000000136028001",
    "11100000000013063F006",
];

/// A valid GB 11643 citizen identity number for holder number `i`.
pub fn citizen_id(i: u64) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("a date")
        + chrono::Duration::days((i % 15_000) as i64);
    let body = format!("370402{}{:03}", day.format("%Y%m%d"), (i / 15_000) % 1000);
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(w)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// Sample license `i` as one import-format line (holder `i / 3`, type `i % 10`).
pub fn import_line(i: u64) -> String {
    let holder = citizen_id(i / 3);
    serde_json::json!({
        "certTypeCode": SAMPLE_TYPES[(i % 10) as usize],
        "certificateNumber": format!("N{i:09}"),
        "certificateHolder": "张三",
        "certificateHolderCode": holder,
        "certificateHolderType": "111",
        "issueDept": "枣庄市行政审批服务局",
        "issueDeptCode": "11370000004504927A",
        "issueDate": "2023-05-01",
        "certificateValidateStart": "2023-05-01",
        "certificateValidateEnd": if i.is_multiple_of(7) { serde_json::Value::Null } else { "2033-04-30".into() },
        "face": {"name": "张三", "certno": holder},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid_licenses() {
        for i in [0, 1, 2, 3, 999_999] {
            license_core::validate_holder_code("111", &citizen_id(i)).unwrap();
            let v: serde_json::Value = serde_json::from_str(&import_line(i)).unwrap();
            assert!(license_dict::cert_types().contains(v["certTypeCode"].as_str().unwrap()));
        }
    }
}
