//! The share interfaces of API.md §6, each in the order of API.md §4: token, role, presence,
//! form, routing, look-up, the account's types, state.

use license_core::params as p;
use license_core::service::*;
use license_core::{Library, License, ReturnCode, ServiceError};

use crate::fault::{Res, fail};
use crate::platform::{Call, Platform};
use crate::shape::{city_record, province_face};

mod holders;
mod links;
mod lookups;
mod verify;

/// Most matches a holder interface returns without paging (API.md §6).
pub const UNPAGED_LIMIT: u64 = 1_000;
/// Default page size.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page size.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Largest offset a page may start at (the databases take signed 64-bit offsets); a page
/// beyond it answers `24`.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

fn holder_detail(e: &license_dict::HolderCodeRejection) -> String {
    match e {
        license_dict::HolderCodeRejection::UnknownType => {
            format!(
                "{} is not a holder-code type of the dictionary",
                p::CERTIFICATE_HOLDER_CODE_TYPE
            )
        }
        license_dict::HolderCodeRejection::Invalid(e) => {
            format!("{}: {e}", p::CERTIFICATE_HOLDER_CODE)
        }
    }
}

fn positive(name: &str, v: Option<&str>) -> Res<Option<u64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(ServiceError::malformed(name, "must be a positive integer").into()),
        },
    }
}

/// A license by any of its three keys, else `10`.
pub(crate) async fn by_key(platform: &Platform, call: &mut Call, key: &str) -> Res<License> {
    match platform
        .license_by_key(key, call.interface.hands_out_files())
        .await?
    {
        Some(l) => {
            call.touch(&l);
            Ok((*l).clone())
        }
        None => fail(
            ReturnCode::NotFound,
            format!("no license has the key {key}"),
        ),
    }
}

impl Platform {
    fn local_records(&self, licenses: Vec<License>, total: u64) -> LicenseRecords {
        match self.config.role {
            Library::City => {
                let today = self.today();
                Shaped::City(Page {
                    total,
                    items: licenses.iter().map(|l| city_record(l, today)).collect(),
                })
            }
            Library::Province => Shaped::Province(Page {
                total,
                items: licenses.iter().map(province_face).collect(),
            }),
        }
    }

    fn answer<T>(&self, data: T) -> Answer<T> {
        Answer {
            library: self.config.role,
            data,
        }
    }
}
