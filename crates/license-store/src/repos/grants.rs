//! Download grants: a link's digest, what it serves and until when.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use license_core::ports::{DownloadGrant, GrantRepository, PortResult};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::entity::download_grant;
use crate::store::{SeaStore, port_err};

#[async_trait]
impl GrantRepository for SeaStore {
    async fn insert(&self, g: &DownloadGrant) -> PortResult<()> {
        let am = download_grant::ActiveModel {
            id: NotSet,
            digest: Set(g.digest.clone()),
            identifier: Set(g.identifier.clone()),
            copy_key: Set(g.copy_key.clone()),
            format: Set(g.format.clone()),
            file_name: Set(g.file_name.clone()),
            expires_at: Set(g.expires_at),
            single_use: Set(g.single_use),
            downloads: Set(i32::try_from(g.downloads).unwrap_or(0)),
            created_at: Set(Utc::now()),
        };
        download_grant::Entity::insert(am)
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        Ok(())
    }

    async fn redeem(&self, digest: &str, now: DateTime<Utc>) -> PortResult<Option<DownloadGrant>> {
        let r = download_grant::Entity::update_many()
            .col_expr(
                download_grant::Column::Downloads,
                Expr::col(download_grant::Column::Downloads).add(1),
            )
            .filter(download_grant::Column::Digest.eq(digest))
            .filter(download_grant::Column::ExpiresAt.gt(now))
            .filter(
                Condition::any()
                    .add(download_grant::Column::SingleUse.eq(false))
                    .add(download_grant::Column::Downloads.eq(0)),
            )
            .exec(&self.db)
            .await
            .map_err(port_err)?;
        if r.rows_affected == 0 {
            return Ok(None);
        }
        Ok(download_grant::Entity::find()
            .filter(download_grant::Column::Digest.eq(digest))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(grant_from))
    }
}

/// A grant's row as the port's type.
pub(crate) fn grant_from(m: download_grant::Model) -> DownloadGrant {
    DownloadGrant {
        digest: m.digest,
        identifier: m.identifier,
        copy_key: m.copy_key,
        format: m.format,
        file_name: m.file_name,
        expires_at: m.expires_at,
        single_use: m.single_use,
        downloads: u32::try_from(m.downloads).unwrap_or(0),
    }
}
