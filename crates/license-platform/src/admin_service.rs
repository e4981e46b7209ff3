//! [`AdminService`] for the platform: the administration methods behind the `admin` role, each
//! call audited (interface `admin`) like a share call.

use std::future::Future;

use async_trait::async_trait;
use license_core::admin::{
    ADMIN_CHANGE, ADMIN_READ, AdminService, CertTypeView, Correction, ImportReport, NewAccount,
    NewLicense, Overview, StateChange,
};
use license_core::params as p;
use license_core::ports::{Account, AuditEvent, AuditQuery, CertTypeSettings, LicenseFilter};
use license_core::service::{Caller, Page, ServiceResult};
use license_core::{Interface, License, ReturnCode, Role, ServiceError};
use license_dict::cert_types;

use crate::fault::Fault;
use crate::platform::{Call, Platform};

/// Notes what an administration answer touched, for the audit record.
trait Touches {
    fn touch(&self, _call: &mut Call) {}
}

impl Touches for License {
    fn touch(&self, call: &mut Call) {
        call.touch(self);
    }
}

impl Touches for () {}
impl Touches for ImportReport {}
impl Touches for Account {}
impl Touches for Vec<Account> {}
impl Touches for Vec<String> {}
impl Touches for Vec<CertTypeView> {}
/// A search records every license it returned: "who looked at this license" includes the
/// administrators who found it.
impl Touches for Page<License> {
    fn touch(&self, call: &mut Call) {
        for l in &self.items {
            call.touch(l);
        }
    }
}
impl Touches for Page<AuditEvent> {}
impl Touches for Overview {}
/// A license's face: viewing it touches the license.
struct Face(License, Vec<Vec<u8>>);

impl Touches for Face {
    fn touch(&self, call: &mut Call) {
        call.touch(&self.0);
    }
}
impl Touches for Page<license_core::ports::Push> {}

/// What an administration call does, as its audit record names it (the context's matter
/// name): a read, or a change (event code [`ADMIN_CHANGE`], what a license's history lists).
enum Act {
    Read(&'static str),
    Change(String),
}

const ADMIN_CAUSE: &str = "operator action in the admin API or console";

impl Platform {
    /// Runs an administration operation for an `admin` caller and audits it.
    async fn as_admin<T: Touches, Fut>(
        &self,
        caller: &Caller,
        action: Act,
        op: impl FnOnce(String) -> Fut,
    ) -> ServiceResult<T>
    where
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let mut call = self.begin(caller, Interface::Admin);
        call.context = Some(match &action {
            Act::Read(what) => crate::admin::operator_action(what, ADMIN_READ, ADMIN_CAUSE),
            Act::Change(what) => crate::admin::operator_action(what, ADMIN_CHANGE, ADMIN_CAUSE),
        });
        let r = match self.authorize(&mut call, caller, Role::Admin).await {
            Ok(session) => match op(session.account.username.clone()).await {
                Ok(v) => {
                    v.touch(&mut call);
                    Ok(v)
                }
                Err(e) => Err(Fault::Service(e)),
            },
            Err(f) => Err(f),
        };
        self.finish(call, r).await
    }
}

#[async_trait]
impl AdminService for Platform {
    async fn issue_license(&self, caller: &Caller, new: NewLicense) -> ServiceResult<License> {
        self.as_admin(caller, Act::Change("签发证照".into()), |_| {
            self.issue_license(&new)
        })
        .await
    }

    async fn import_licenses(
        &self,
        caller: &Caller,
        file: Vec<u8>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> ServiceResult<ImportReport> {
        self.as_admin(caller, Act::Change("导入证照".into()), |_| async {
            Ok(self.import_file(&file, progress).await)
        })
        .await
    }

    async fn license(&self, caller: &Caller, key: String) -> ServiceResult<License> {
        self.as_admin(caller, Act::Read("查看证照"), |_| {
            Platform::license(self, &key)
        })
        .await
    }

    async fn change_state(
        &self,
        caller: &Caller,
        key: String,
        change: StateChange,
        reason: String,
    ) -> ServiceResult<License> {
        self.as_admin(
            caller,
            Act::Change(format!("变更状态 {}：{reason}", change.name())),
            |_| Platform::change_state(self, &key, change, &reason),
        )
        .await
    }

    async fn reissue(
        &self,
        caller: &Caller,
        key: String,
        correction: Correction,
    ) -> ServiceResult<License> {
        self.as_admin(
            caller,
            Act::Change(format!("更正重发：{}", correction.reason)),
            |_| Platform::reissue(self, &key, &correction),
        )
        .await
    }

    async fn search_licenses(
        &self,
        caller: &Caller,
        filter: LicenseFilter,
    ) -> ServiceResult<Page<License>> {
        self.as_admin(caller, Act::Read("查询证照"), |_| {
            Platform::search_licenses(self, &filter)
        })
        .await
    }

    async fn create_account(&self, caller: &Caller, a: NewAccount) -> ServiceResult<Account> {
        self.as_admin(
            caller,
            Act::Change(format!("新建账号 {}", a.username.trim())),
            |_| async {
                let mut account = Platform::create_account(
                    self,
                    &a.username,
                    &a.password,
                    a.roles.clone(),
                    a.cert_types.clone(),
                    a.department.clone(),
                )
                .await?;
                if a.holder_search_per_minute.is_some() || a.rate_limit_per_minute.is_some() {
                    account.holder_search_per_minute = a.holder_search_per_minute;
                    account.rate_limit_per_minute = a.rate_limit_per_minute;
                    self.update_account(&account).await?;
                }
                Ok(account)
            },
        )
        .await
    }

    async fn accounts(&self, caller: &Caller) -> ServiceResult<Vec<Account>> {
        self.as_admin(caller, Act::Read("查看账号"), |_| {
            Platform::accounts(self)
        })
        .await
    }

    async fn set_account_enabled(
        &self,
        caller: &Caller,
        username: String,
        enabled: bool,
    ) -> ServiceResult<()> {
        let action = Act::Change(format!(
            "{}账号 {}",
            if enabled { "启用" } else { "停用" },
            username.trim()
        ));
        self.as_admin(caller, action, |me| async move {
            if !enabled && me == username.trim() {
                return Err(ServiceError::new(
                    ReturnCode::Unparseable,
                    "an administrator cannot disable the account they are using",
                ));
            }
            Platform::set_account_enabled(self, &username, enabled).await
        })
        .await
    }

    async fn set_password(
        &self,
        caller: &Caller,
        username: String,
        password: String,
    ) -> ServiceResult<()> {
        self.as_admin(
            caller,
            Act::Change(format!("重置密码 {}", username.trim())),
            |_| Platform::set_password(self, &username, &password),
        )
        .await
    }

    async fn add_client(
        &self,
        caller: &Caller,
        client_id: String,
        secret: String,
    ) -> ServiceResult<()> {
        self.as_admin(
            caller,
            Act::Change(format!("新建客户端 {}", client_id.trim())),
            |_| Platform::add_client(self, &client_id, &secret),
        )
        .await
    }

    async fn clients(&self, caller: &Caller) -> ServiceResult<Vec<String>> {
        self.as_admin(caller, Act::Read("查看客户端"), |_| {
            Platform::clients(self)
        })
        .await
    }

    async fn remove_client(&self, caller: &Caller, client_id: String) -> ServiceResult<()> {
        self.as_admin(
            caller,
            Act::Change(format!("删除客户端 {}", client_id.trim())),
            |_| Platform::remove_client(self, &client_id),
        )
        .await
    }

    async fn cert_types(&self, caller: &Caller) -> ServiceResult<Vec<CertTypeView>> {
        self.as_admin(caller, Act::Read("查看证照类型"), |_| async {
            let stored = self
                .ports
                .cert_types
                .list()
                .await
                .map_err(|e| crate::admin::fault_to_service(e.into()))?;
            Ok(cert_types()
                .distinct_codes()
                .map(|code| {
                    let settings = stored
                        .iter()
                        .find(|s| s.code == code)
                        .cloned()
                        .unwrap_or_else(|| CertTypeSettings {
                            code: code.to_owned(),
                            published: self.config().publish_types_by_default,
                            verify_fields: vec![p::CERTIFICATE_NUMBER.to_owned()],
                        });
                    CertTypeView {
                        name: cert_types().primary_name(code).unwrap_or("").to_owned(),
                        settings,
                    }
                })
                .collect())
        })
        .await
    }

    async fn set_cert_type(
        &self,
        caller: &Caller,
        settings: CertTypeSettings,
    ) -> ServiceResult<()> {
        let action = Act::Change(format!(
            "{}证照类型 {}（核验字段 {}）",
            if settings.published {
                "发布"
            } else {
                "停止发布"
            },
            settings.code,
            settings.verify_fields.join(",")
        ));
        self.as_admin(caller, action, |_| {
            Platform::set_cert_type(
                self,
                &settings.code,
                settings.published,
                settings.verify_fields.clone(),
            )
        })
        .await
    }

    async fn audit_log(
        &self,
        caller: &Caller,
        query: AuditQuery,
    ) -> ServiceResult<Page<AuditEvent>> {
        self.as_admin(caller, Act::Read("查询审计日志"), |_| {
            Platform::audit_log(self, &query)
        })
        .await
    }

    async fn outbox(
        &self,
        caller: &Caller,
        state: Option<license_core::ports::PushState>,
        offset: u64,
        limit: u64,
    ) -> ServiceResult<Page<license_core::ports::Push>> {
        self.as_admin(caller, Act::Read("查看推送队列"), |_| {
            Platform::outbox(self, state, offset, limit)
        })
        .await
    }

    async fn retry_push(&self, caller: &Caller, sequence: u64) -> ServiceResult<()> {
        self.as_admin(
            caller,
            Act::Change(format!("重试推送 {sequence}")),
            |_| Platform::retry_push(self, sequence),
        )
        .await
    }

    async fn overview(&self, caller: &Caller) -> ServiceResult<Overview> {
        self.as_admin(caller, Act::Read("查看概览"), |_| {
            Platform::overview(self)
        })
        .await
    }

    async fn face_images(&self, caller: &Caller, key: String) -> ServiceResult<Vec<Vec<u8>>> {
        let face: Face = self
            .as_admin(caller, Act::Read("查看证照照面"), |_| async {
                let l = Platform::license(self, &key).await?;
                let pages = Platform::face_images(self, &l).await?;
                Ok(Face(l, pages))
            })
            .await?;
        Ok(face.1)
    }
}
