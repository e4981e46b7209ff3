//! Licenses: look-ups by every key, holder searches, inserts in bulk, updates and files.

use async_trait::async_trait;
use chrono::Utc;
use license_core::License;
use license_core::ports::{HolderSearch, LicenseFilter, LicenseRepository, PortResult, StoredFile};
use license_core::service::Page;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::convert::{license_from, license_to};
use crate::entity::{license, license_file};
use crate::store::{SeaStore, port_err};

use super::{BATCH_ROWS, bounded, update_license};

impl SeaStore {
    /// The one license matching a condition (every look-up key is unique).
    async fn one_license(
        &self,
        condition: impl sea_orm::sea_query::IntoCondition,
    ) -> PortResult<Option<License>> {
        license::Entity::find()
            .filter(condition)
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(license_from)
            .transpose()
    }
}

#[async_trait]
impl LicenseRepository for SeaStore {
    async fn insert(&self, l: &License) -> PortResult<()> {
        license::Entity::insert(license_to(l))
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn insert_many(&self, licenses: &[License]) -> PortResult<Vec<PortResult<()>>> {
        let mut results = Vec::with_capacity(licenses.len());
        for chunk in licenses.chunks(BATCH_ROWS) {
            let txn = self.db.begin().await.map_err(port_err)?;
            let batch = license::Entity::insert_many(chunk.iter().map(license_to))
                .exec_without_returning(&txn)
                .await;
            match batch {
                Ok(_) => {
                    txn.commit().await.map_err(port_err)?;
                    results.extend(chunk.iter().map(|_| Ok(())));
                }
                Err(_) => {
                    txn.rollback().await.map_err(port_err)?;
                    // One row failed: insert one by one so each gets its own answer.
                    for l in chunk {
                        results.push(LicenseRepository::insert(self, l).await);
                    }
                }
            }
        }
        Ok(results)
    }

    async fn update(&self, l: &License) -> PortResult<bool> {
        let txn = self.db.begin().await.map_err(port_err)?;
        let stored = update_license(&txn, l).await?;
        txn.commit().await.map_err(port_err)?;
        Ok(stored)
    }

    async fn find_by_key(&self, key: &str) -> PortResult<Option<License>> {
        self.lookups.find(key).await?.map(license_from).transpose()
    }

    async fn find_by_qr_token(&self, t: &str) -> PortResult<Option<License>> {
        self.one_license(license::Column::QrToken.eq(t)).await
    }

    async fn find_by_abstract_code(&self, code: &str) -> PortResult<Option<License>> {
        self.one_license(license::Column::AbstractCode.eq(code))
            .await
    }

    async fn search_by_holder(&self, s: &HolderSearch) -> PortResult<Page<License>> {
        let mut q = license::Entity::find()
            .filter(license::Column::HolderCode.eq(s.holder_code.as_str()))
            .filter(license::Column::CertTypeCode.eq(s.cert_type_code.as_str()));
        if let Some(n) = &s.certificate_number {
            q = q.filter(license::Column::CertificateNumber.eq(n.as_str()));
        }
        let rows = q
            .clone()
            .order_by_desc(license::Column::IssueDate)
            .order_by_desc(license::Column::Id)
            .offset(bounded(s.offset))
            .limit(bounded(s.limit))
            .all(&self.db)
            .await
            .map_err(port_err)?;
        // A first page that is not full is everything: no second query for the total.
        let total = if s.offset == 0 && (rows.len() as u64) < s.limit {
            rows.len() as u64
        } else {
            q.count(&self.db).await.map_err(port_err)?
        };
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(license_from)
                .collect::<PortResult<_>>()?,
        })
    }

    async fn search(&self, f: &LicenseFilter) -> PortResult<Page<License>> {
        let mut q = license::Entity::find();
        if let Some(v) = &f.holder_code {
            q = q.filter(license::Column::HolderCode.eq(v.as_str()));
        }
        if let Some(v) = &f.cert_type_code {
            q = q.filter(license::Column::CertTypeCode.eq(v.as_str()));
        }
        if let Some(v) = &f.issue_dept_code {
            q = q.filter(license::Column::IssueDeptCode.eq(v.as_str()));
        }
        if let Some(v) = f.state {
            q = q.filter(license::Column::State.eq(v.name()));
        }
        if let Some(v) = &f.certificate_number {
            q = q.filter(license::Column::CertificateNumber.eq(v.as_str()));
        }
        let total = q.clone().count(&self.db).await.map_err(port_err)?;
        let rows = q
            .order_by_desc(license::Column::Id)
            .offset(bounded(f.offset))
            .limit(bounded(f.limit))
            .all(&self.db)
            .await
            .map_err(port_err)?;
        Ok(Page {
            total,
            items: rows
                .into_iter()
                .map(license_from)
                .collect::<PortResult<_>>()?,
        })
    }

    async fn count(&self) -> PortResult<u64> {
        license::Entity::find()
            .count(&self.db)
            .await
            .map_err(port_err)
    }

    async fn file(&self, identifier: &str, format: &str) -> PortResult<Option<StoredFile>> {
        Ok(license_file::Entity::find()
            .filter(license_file::Column::Identifier.eq(identifier))
            .filter(license_file::Column::Format.eq(format))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(|m| StoredFile {
                key: m.file_key,
                format: m.format,
                sm3: m.sm3,
                size: u64::try_from(m.size).unwrap_or(0),
            }))
    }

    async fn set_file(&self, identifier: &str, f: &StoredFile) -> PortResult<()> {
        let am = license_file::ActiveModel {
            id: NotSet,
            identifier: Set(identifier.to_owned()),
            format: Set(f.format.clone()),
            file_key: Set(f.key.clone()),
            sm3: Set(f.sm3.clone()),
            size: Set(i64::try_from(f.size).unwrap_or(i64::MAX)),
            created_at: Set(Utc::now()),
        };
        license_file::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }
}

impl SeaStore {
    /// Up to `limit` licenses after row `after` (0 for the first), in row order, with their
    /// rows: a whole library read in pages by key, each page an index range (exports).
    pub async fn licenses_after(&self, after: i64, limit: u64) -> PortResult<Vec<(i64, License)>> {
        license::Entity::find()
            .filter(license::Column::Id.gt(after))
            .order_by_asc(license::Column::Id)
            .limit(super::bounded(limit))
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(|m| Ok((m.id, license_from(m)?)))
            .collect()
    }
}
