//! Key look-ups grouped into shared queries.
//!
//! A look-up by key (identifier, file number or province identifier) is the platform's
//! hottest query, and each query costs more to hand to the database than to answer: on SQLite
//! a statement goes to the connection's worker thread and its row comes back through a channel,
//! two thread switches that took more CPU than the index search (the platform bench's
//! profile), and on a server it is a network round trip. So concurrent look-ups are answered
//! together: a dispatcher takes every look-up waiting when a query slot is free and asks for
//! all of them in one query, as the audit log groups its commits. A lone look-up still goes
//! at once — there is no waiting for company.

use std::collections::HashMap;
use std::sync::Arc;

use license_core::ports::{PortError, PortResult};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::entity::license;
use crate::store::port_err;

/// Most keys asked in one query.
const MAX_KEYS: usize = 64;
/// Grouped queries running at once (each holds a pooled connection).
const IN_FLIGHT: usize = 3;

type Answer = PortResult<Option<license::Model>>;
type Waiting = (String, oneshot::Sender<Answer>);

/// The handle callers ask; the dispatcher stops when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct KeyLookups {
    tx: mpsc::Sender<Waiting>,
}

impl KeyLookups {
    /// Starts the dispatcher on the current runtime.
    pub(crate) fn start(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(MAX_KEYS * IN_FLIGHT * 4);
        tokio::spawn(dispatch(db, rx));
        KeyLookups { tx }
    }

    /// The license row with this key (trimmed; identifiers compared in upper case).
    pub(crate) async fn find(&self, key: &str) -> Answer {
        let (done, answer) = oneshot::channel();
        self.tx
            .send((key.trim().to_owned(), done))
            .await
            .map_err(|_| PortError::Unavailable("the look-up dispatcher stopped".into()))?;
        answer
            .await
            .map_err(|_| PortError::Unavailable("a grouped look-up was dropped".into()))?
    }
}

/// Takes the look-ups waiting whenever a query slot is free: while every slot is busy, new
/// look-ups queue and the next query asks for all of them.
async fn dispatch(db: DatabaseConnection, mut rx: mpsc::Receiver<Waiting>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_KEYS);
        batch.push(first);
        while batch.len() < MAX_KEYS {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let db = db.clone();
        tokio::spawn(async move {
            answer(&db, batch).await;
            drop(slot);
        });
    }
}

/// One query for a batch, then each caller's row.
async fn answer(db: &DatabaseConnection, batch: Vec<Waiting>) {
    let mut keys: Vec<&str> = batch.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let upper: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
    let found = license::Entity::find()
        .filter(
            Condition::any()
                .add(license::Column::Identifier.is_in(upper))
                .add(license::Column::FileNumber.is_in(keys.iter().copied()))
                .add(license::Column::ProvinceIdentifier.is_in(keys.iter().copied())),
        )
        .all(db)
        .await;
    let rows = match found {
        Ok(rows) => rows,
        Err(e) => {
            let e = port_err(e);
            for (_, done) in batch {
                let _ = done.send(Err(e.clone()));
            }
            return;
        }
    };
    let index = KeyIndex::new(&rows);
    for (key, done) in batch {
        let _ = done.send(Ok(index.get(&key).cloned()));
    }
}

/// The rows of a batch by each of their keys.
struct KeyIndex<'a> {
    identifier: HashMap<&'a str, &'a license::Model>,
    file_number: HashMap<&'a str, &'a license::Model>,
    province: HashMap<&'a str, &'a license::Model>,
}

impl<'a> KeyIndex<'a> {
    fn new(rows: &'a [license::Model]) -> Self {
        let mut ix = KeyIndex {
            identifier: HashMap::with_capacity(rows.len()),
            file_number: HashMap::with_capacity(rows.len()),
            province: HashMap::new(),
        };
        for r in rows {
            ix.identifier.insert(&r.identifier, r);
            ix.file_number.insert(&r.file_number, r);
            if let Some(p) = &r.province_identifier {
                ix.province.insert(p, r);
            }
        }
        ix
    }

    /// Each key column is unique; should one key name different licenses in different
    /// columns, the identifier wins, then the file number.
    fn get(&self, key: &str) -> Option<&'a license::Model> {
        self.identifier
            .get(key.to_ascii_uppercase().as_str())
            .or_else(|| self.file_number.get(key))
            .or_else(|| self.province.get(key))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn row(id: i64, identifier: &str, file_number: &str, province: Option<&str>) -> license::Model {
        let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let at = Utc.timestamp_opt(0, 0).unwrap();
        license::Model {
            id,
            identifier: identifier.into(),
            file_number: file_number.into(),
            province_identifier: province.map(str::to_owned),
            cert_type_code: "t".into(),
            certificate_name: "n".into(),
            certificate_number: "1".into(),
            holder: "h".into(),
            holder_code: "c".into(),
            holder_code_type: "111".into(),
            issue_dept: "d".into(),
            issue_dept_code: "dc".into(),
            issue_date: day,
            valid_from: day,
            valid_to: None,
            state: "valid".into(),
            state_reason: None,
            state_changed_at: None,
            face: serde_json::json!({}),
            abstract_code: format!("a{id}"),
            qr_token: format!("q{id}"),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn each_key_finds_its_row_and_the_identifier_wins() {
        let rows = [
            row(1, "ID-1", "F-1", Some("P-1")),
            // Another license whose file number is the first one's identifier.
            row(2, "ID-2", "ID-1", None),
            row(3, "ID-3", "F-3", Some("F-1")),
        ];
        let ix = KeyIndex::new(&rows);
        assert_eq!(ix.get("ID-1").unwrap().id, 1);
        assert_eq!(ix.get("id-1").unwrap().id, 1, "identifiers in any case");
        assert_eq!(ix.get("F-1").unwrap().id, 1, "file number before province");
        assert_eq!(ix.get("P-1").unwrap().id, 1);
        assert_eq!(ix.get("f-3"), None, "file numbers compare exactly");
        assert_eq!(ix.get("F-3").unwrap().id, 3);
        assert_eq!(ix.get("nope"), None);
    }
}
