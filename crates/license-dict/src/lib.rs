//! The dictionaries of the sharing API (DB3704/T 0042 appendix 7, `shared/spec/dict/*.csv`) as
//! typed tables with O(1) look-ups.
//!
//! The CSV files are copied into this crate (`data/`) and parsed once, on first use. Cells are
//! trimmed: the source's cells carry stray whitespace. The source's anomalies are kept on
//! purpose (see [`CertTypes`]).

#![forbid(unsafe_code)]

mod cert_types;
mod districts;
mod holder_types;
mod return_codes;
mod table;

pub use cert_types::{CertType, CertTypes, cert_types};
pub use districts::{CallDistricts, DistrictLevels, call_districts, district_levels};
pub use holder_types::{HolderCodeRejection, HolderCodeType, HolderCodeTypes, holder_code_types};
pub use return_codes::{ReturnCodeRow, ReturnCodes, return_codes};

/// The dictionary files as shipped in this crate, by file name (for freshness checks against
/// the shared specification).
pub const DATA_FILES: [(&str, &str); 5] = [
    ("holder-code-types.csv", holder_types::CSV),
    ("cert-types.csv", cert_types::CSV),
    ("return-codes.csv", return_codes::CSV),
    ("call-districts.csv", districts::CALL_DISTRICTS_CSV),
    ("district-levels.csv", districts::DISTRICT_LEVELS_CSV),
];
