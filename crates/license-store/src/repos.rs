//! The repository ports of core, implemented on sea-orm: one module per repository, and the
//! helpers they share (bounded offsets, statement-sized chunks, the in-place license update).

use license_core::License;
use license_core::ports::PortResult;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::audit_links;
use crate::convert::license_to;
use crate::entity::license;
use crate::store::port_err;

mod access;
mod audit;
mod budgets;
mod cert_types;
mod grants;
mod licenses;
mod upkeep;

/// Offsets and limits as the databases take them (signed 64-bit): a larger value would make
/// the driver panic, and no table is that large.
pub(crate) fn bounded(n: u64) -> u64 {
    Ord::min(n, i64::MAX as u64)
}

/// Rows per multi-row insert (SQLite allows 32 766 bound values; a license row binds 23).
const BATCH_ROWS: usize = 500;

/// Splits rows into few chunks whose sizes repeat, so multi-row statements are few per batch
/// and the driver's prepared-statement cache serves them (a new row count is a new
/// statement): chunks of 256, 128 or 64 rows while that many are left, then one chunk of the
/// exact rest (under 64). At most 66 distinct sizes; a batch of up to 64 rows — every audit
/// batch of 64 concurrent callers — is one statement, so it commits without a transaction's
/// two extra round trips to the database (`BEGIN`, `COMMIT`).
fn fixed_chunks<T>(mut rows: Vec<T>) -> Vec<Vec<T>> {
    const SIZES: [usize; 3] = [256, 128, 64];
    let mut out = Vec::new();
    while !rows.is_empty() {
        let size = SIZES
            .into_iter()
            .find(|&s| s <= rows.len())
            .unwrap_or(rows.len());
        // The rows move into their chunks (no copy of what they hold).
        let rest = rows.split_off(size);
        out.push(std::mem::replace(&mut rows, rest));
    }
    out
}

/// Replaces the stored license with `l`'s identifier by `l` on `conn` (inside the caller's
/// transaction), keeping its holder code among its former ones when it changes
/// (`audit_links`); `false` when no such license is stored. Writes only — an `INSERT … SELECT`,
/// then one `UPDATE` — since inside a transaction a read first would take a read lock that
/// SQLite cannot upgrade while another connection writes.
pub(crate) async fn update_license(conn: &impl ConnectionTrait, l: &License) -> PortResult<bool> {
    audit_links::keep_former_holder(conn, l.identifier.as_str(), &l.holder_code)
        .await
        .map_err(port_err)?;
    let mut am = license_to(l);
    am.id = NotSet;
    am.created_at = NotSet;
    let r = license::Entity::update_many()
        .set(am)
        .filter(license::Column::Identifier.eq(l.identifier.as_str()))
        .exec(conn)
        .await
        .map_err(port_err)?;
    Ok(r.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::fixed_chunks;

    #[test]
    fn chunks_are_few_and_of_repeating_sizes() {
        let sizes = |n: usize| -> Vec<usize> {
            let rows: Vec<usize> = (0..n).collect();
            let chunks = fixed_chunks(rows.clone());
            assert_eq!(chunks.concat(), rows, "every row once, in order");
            chunks.iter().map(|c| c.len()).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(31), vec![31]);
        assert_eq!(sizes(32), vec![32]);
        assert_eq!(sizes(63), vec![63]);
        assert_eq!(sizes(64), vec![64]);
        assert_eq!(sizes(100), vec![64, 36]);
        assert_eq!(sizes(200), vec![128, 64, 8]);
        assert_eq!(sizes(512), vec![256, 256]);
        let mut distinct = std::collections::BTreeSet::new();
        for n in 0..2000 {
            distinct.extend(sizes(n));
        }
        assert_eq!(distinct.len(), 66);
    }
}
