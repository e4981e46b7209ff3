//! Cert-type settings: published or not, the fields a verification requires.

use async_trait::async_trait;
use license_core::ports::{CertTypeRepository, CertTypeSettings, PortResult};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::cert_type_setting;
use crate::store::{SeaStore, port_err};

#[async_trait]
impl CertTypeRepository for SeaStore {
    async fn get(&self, code: &str) -> PortResult<Option<CertTypeSettings>> {
        Ok(cert_type_setting::Entity::find()
            .filter(cert_type_setting::Column::Code.eq(code))
            .one(&self.db)
            .await
            .map_err(port_err)?
            .map(settings_from))
    }

    async fn put(&self, s: &CertTypeSettings) -> PortResult<()> {
        let existing = cert_type_setting::Entity::find()
            .filter(cert_type_setting::Column::Code.eq(s.code.as_str()))
            .one(&self.db)
            .await
            .map_err(port_err)?;
        let am = cert_type_setting::ActiveModel {
            id: existing.as_ref().map_or(NotSet, |m| Set(m.id)),
            code: Set(s.code.clone()),
            published: Set(s.published),
            verify_fields: Set(s.verify_fields.join(",")),
        };
        if existing.is_some() {
            am.update(&self.db).await.map_err(port_err)?;
        } else {
            cert_type_setting::Entity::insert(am)
                .exec(&self.db)
                .await
                .map_err(port_err)?;
        }
        Ok(())
    }

    async fn list(&self) -> PortResult<Vec<CertTypeSettings>> {
        Ok(cert_type_setting::Entity::find()
            .order_by_asc(cert_type_setting::Column::Code)
            .all(&self.db)
            .await
            .map_err(port_err)?
            .into_iter()
            .map(settings_from)
            .collect())
    }
}

fn settings_from(m: cert_type_setting::Model) -> CertTypeSettings {
    CertTypeSettings {
        code: m.code,
        published: m.published,
        verify_fields: m
            .verify_fields
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}
