//! Look-ups of one license: ShareQueryCertInfo (4.3.3) and ShareQueryCertInfoByQRcode (4.3.6).

use license_core::context::require;
use license_core::params as p;
use license_core::service::*;
use license_core::{Library, ReturnCode, Role};

use crate::fault::{Res, fail};
use crate::platform::{Call, Platform, Route};
use crate::shape::{province_face, qr_city};

use super::*;

impl Platform {
    pub(crate) async fn do_query_cert_info(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: QueryCertInfoRequest,
    ) -> Res<Answer<LicenseRecords>> {
        let session = self.authorize(call, caller, Role::Info).await?;
        let mut fields = vec![(p::CERTIFICATE_ID, req.certificate_id.as_deref())];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = QueryCertInfoRequest {
                    context: ctx.to_raw(),
                    ..req
                };
                self.forward(up.query_cert_info(&upc, fwd)).await
            }
            Route::Local => {
                let l = by_key(
                    self,
                    call,
                    req.certificate_id.as_deref().unwrap_or_default(),
                )
                .await?;
                self.check_license_type(&session, &l)?;
                Ok(self.answer(self.local_records(vec![l], 1)))
            }
        }
    }

    pub(crate) async fn do_query_by_qr(
        &self,
        call: &mut Call,
        caller: &Caller,
        req: QrQueryRequest,
    ) -> Res<Answer<QrRecords>> {
        let started = std::time::Instant::now();
        let session = self.authorize(call, caller, Role::Info).await?;
        let mut fields = vec![(p::QR_VALUE, req.qr_value.as_deref())];
        fields.extend(req.context.required());
        require(&fields)?;
        let ctx = self.context(call, &req.context)?;
        req.operator.check()?;
        call.operator = Some(req.operator.clone());
        match self.route(req.interface_type.as_deref())? {
            Route::Upstream(up) => {
                let upc = Self::upstream_caller(call);
                let fwd = QrQueryRequest {
                    context: ctx.to_raw(),
                    ..req
                };
                self.forward(up.query_by_qr_code(&upc, fwd)).await
            }
            Route::Local => {
                let value = req.qr_value.as_deref().unwrap_or_default().trim();
                let token = value
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default();
                let Some(l) = self.ports.licenses.find_by_qr_token(token).await? else {
                    return fail(ReturnCode::NotFound, "no license has this QR value");
                };
                call.touch(&l);
                self.check_license_type(&session, &l)?;
                let data = match self.config.role {
                    Library::City => Shaped::City(qr_city(
                        &l,
                        self.today(),
                        started.elapsed().as_millis() as u64,
                    )),
                    Library::Province => Shaped::Province(Page {
                        total: 1,
                        items: vec![province_face(&l)],
                    }),
                };
                Ok(self.answer(data))
            }
        }
    }
}
