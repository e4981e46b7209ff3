//! Return codes (DB3704/T 0042 §5.2) as data, tied to core's [`ReturnCode`].

use std::sync::LazyLock;

use license_core::ReturnCode;

use crate::table::rows;

pub(crate) const CSV: &str = include_str!("../data/return-codes.csv");

/// One row of the return-code table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnCodeRow {
    /// The code as core knows it.
    pub code: ReturnCode,
    /// The message as the table spells it (equal to [`ReturnCode::message`]; a test holds it).
    pub message: String,
}

/// The return-code table.
#[derive(Debug)]
pub struct ReturnCodes {
    rows: Vec<ReturnCodeRow>,
}

impl ReturnCodes {
    fn load() -> Self {
        let rows = rows(CSV)
            .into_iter()
            .map(|r| {
                let n: u16 = r[0].parse().expect("code is a number");
                ReturnCodeRow {
                    code: ReturnCode::from_code(n).expect("every table code is known to core"),
                    message: r[1].clone(),
                }
            })
            .collect();
        ReturnCodes { rows }
    }

    /// Every row, in table order.
    pub fn rows(&self) -> &[ReturnCodeRow] {
        &self.rows
    }
}

/// The return-code table, loaded on first use.
pub fn return_codes() -> &'static ReturnCodes {
    static TABLE: LazyLock<ReturnCodes> = LazyLock::new(ReturnCodes::load);
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_core_agree_on_all_fourteen() {
        let rows = return_codes().rows();
        assert_eq!(rows.len(), 14);
        for (row, core) in rows.iter().zip(ReturnCode::ALL) {
            assert_eq!(row.code, core);
            assert_eq!(row.message, core.message(), "{core:?}");
        }
    }
}
