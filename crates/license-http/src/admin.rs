//! The admin API (JSON under `/license-api-release/admin/`, `admin` role): licenses, accounts,
//! OAuth clients, cert types and the audit log. Our own extension of the contract; it answers
//! in the share API's envelope (`head.status` is the return code) with HTTP statuses from
//! [`admin_status`].

mod handlers;
mod records;
mod views;
mod wire;

pub use handlers::*;
pub use records::*;
pub use views::*;
pub use wire::*;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use license_core::ReturnCode;

    use super::*;

    #[test]
    fn every_return_code_has_an_admin_status() {
        let table: BTreeMap<String, u16> = ReturnCode::ALL
            .iter()
            .map(|c| (c.code().to_string(), admin_status(*c).as_u16()))
            .collect();
        insta::assert_json_snapshot!(table);
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(paging(None, None).unwrap(), (0, DEFAULT_PAGE_SIZE));
        assert_eq!(paging(Some(3), Some(10)).unwrap(), (20, 10));
        assert!(paging(Some(0), None).is_err());
        assert!(paging(None, Some(MAX_PAGE_SIZE + 1)).is_err());
    }
}
