//! The scenarios: every interface with success and the failures it can return, the token life
//! cycle, roles and cert-type limits, every license state, paging, download links (fetched and
//! verified) and both verification interfaces.

use std::fmt::Debug;

use base64::Engine;
use license_core::context::RawCallContext;
use license_core::service::*;
use license_core::{FileVerifyResult, LicenseService, LicenseStatus, ReturnCode, ServiceError};

use crate::world::{CLIENT_ID, CLIENT_SECRET, ID_CARD, PASSWORD, Principals, World};

mod downloads;
mod lookups;
mod sync;
mod tokens;

/// What a run answered, step by step, with per-call differences reduced to their kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// One line per step: `name: outcome`.
    pub lines: Vec<String>,
}

/// How a scenario breaks a valid request.
type Breaks<R> = fn(&mut R);

struct Run<'a> {
    svc: &'a dyn LicenseService,
    who: &'a Principals,
    world: &'a World,
    way: &'a str,
    lines: Vec<String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A copy of a ZIP package with one byte of its first entry's stored data flipped
/// (PKWARE APPNOTE §4.3.7: a 30-byte local header, then the name and the extra field).
fn corrupt_first_part(zip: &[u8]) -> Vec<u8> {
    assert_eq!(
        &zip[..4],
        b"PK\x03\x04",
        "a package starts with a local file header"
    );
    let u16_at = |i: usize| usize::from(u16::from_le_bytes([zip[i], zip[i + 1]]));
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]);
    let data = 30 + u16_at(26) + u16_at(28);
    let stored = usize::try_from(u32_at(18)).expect("a small entry");
    let mut out = zip.to_vec();
    out[data + stored.max(2) / 2] ^= 0x55;
    out
}

fn ctx() -> RawCallContext {
    RawCallContext {
        system_name: Some("枣庄市网上办事大厅".into()),
        call_category: Some("0".into()),
        matter_name: Some("个人参保缴费证明查询打印".into()),
        event_code: Some("1137000000450258552372014020002".into()),
        copy_cause: Some("办理业务核验".into()),
        ..RawCallContext::default()
    }
}

fn caller(token: Option<&str>) -> Caller {
    Caller {
        token: token.map(str::to_owned),
        client_addr: None,
        request_id: new_request_id(),
    }
}

fn grant(username: &str, password: &str) -> PasswordGrant {
    PasswordGrant {
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        scope: Some(DEFAULT_SCOPE.into()),
        username: Some(username.into()),
        password: Some(password.into()),
    }
}

impl Run<'_> {
    fn record(&mut self, step: &str, outcome: String) {
        let line = format!("{step}: {outcome}").replace(&self.who.prefix, "<run>-");
        self.lines.push(line);
    }

    /// A step that must succeed; `show` says what of the answer is compared.
    fn ok<T>(&mut self, step: &str, r: ServiceResult<T>, show: impl FnOnce(&T) -> String) -> T {
        match r {
            Ok(v) => {
                let shown = show(&v);
                self.record(step, format!("ok {shown}"));
                v
            }
            Err(e) => panic!("[{}] {step}: expected success, got {e:?}", self.way),
        }
    }

    /// A step that must fail with `code`.
    fn fails<T: Debug>(
        &mut self,
        step: &str,
        r: ServiceResult<T>,
        code: ReturnCode,
    ) -> ServiceError {
        match r {
            Err(e) if e.code == code => {
                // A retry hint counts down: its seconds are reduced to `#`.
                let detail = match (&e.detail, e.retry_after_secs) {
                    (Some(d), Some(s)) => Some(d.replace(&format!("in {s} s"), "in # s")),
                    (d, _) => d.clone(),
                };
                self.record(
                    step,
                    format!(
                        "{} {detail:?} retry={}",
                        e.code.code(),
                        e.retry_after_secs.is_some()
                    ),
                );
                e
            }
            other => panic!(
                "[{}] {step}: expected code {}, got {other:?}",
                self.way,
                code.code()
            ),
        }
    }

    fn token_fails(&mut self, step: &str, r: Result<TokenGrant, TokenError>, kind: OAuthErrorKind) {
        match r {
            // Descriptions may carry times (`locked until …`): digits are reduced to `#`.
            Err(e) if e.kind == kind => {
                let text: String = e
                    .description
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect();
                self.record(step, format!("{} {text}", kind.code()));
            }
            other => panic!(
                "[{}] {step}: expected {}, got {other:?}",
                self.way,
                kind.code()
            ),
        }
    }

    async fn login(&mut self, step: &str, user: &str) -> TokenGrant {
        let r = self
            .svc
            .issue_token(&caller(None), grant(user, PASSWORD))
            .await;
        match r {
            Ok(g) => {
                self.record(
                    step,
                    format!(
                        "granted scope={:?} long-lived={}",
                        g.scope,
                        g.expires_in > 3600
                    ),
                );
                g
            }
            Err(e) => panic!("[{}] {step}: login of {user} refused: {e:?}", self.way),
        }
    }

    fn query(id: &str, interface_type: Option<&str>) -> QueryCertInfoRequest {
        QueryCertInfoRequest {
            certificate_id: Some(id.to_owned()),
            interface_type: interface_type.map(str::to_owned),
            context: ctx(),
        }
    }

    fn holder(&self, page: Option<&str>, size: Option<&str>) -> HolderQueryRequest {
        HolderQueryRequest {
            holder_code: Some(self.world.holder.clone()),
            holder_code_type: Some("111".into()),
            cert_type_code: Some(ID_CARD.into()),
            page: page.map(str::to_owned),
            size: size.map(str::to_owned),
            interface_type: Some("1".into()),
            context: ctx(),
            ..HolderQueryRequest::default()
        }
    }

    fn link(id: &str, expiry: Option<&str>) -> DownloadUrlRequest {
        DownloadUrlRequest {
            certificate_id: Some(id.to_owned()),
            expiry_time: expiry.map(str::to_owned),
            context: ctx(),
        }
    }

    fn file(id: &str, file_type: Option<&str>) -> DownloadFileRequest {
        DownloadFileRequest {
            certificate_identifier: Some(id.to_owned()),
            copy_expiring_time: None,
            interface_type: Some("1".into()),
            file_type: file_type.map(str::to_owned),
            context: ctx(),
        }
    }

    fn verify_file(content: Option<String>) -> VerifyFileRequest {
        VerifyFileRequest {
            cert_type_code: Some(ID_CARD.into()),
            content_type: Some("base64".into()),
            content,
            use_cause: Some("办理业务核验".into()),
            interface_type: Some("1".into()),
            context: ctx(),
        }
    }

    fn verify_info(&self, data: Option<&str>) -> VerifyInfoRequest {
        VerifyInfoRequest {
            cert_type_code: Some(ID_CARD.into()),
            certificate_data: data.map(str::to_owned),
            use_for: Some("办理业务核验".into()),
            holder_code: Some(self.world.holder.clone()),
            interface_type: Some("1".into()),
            context: ctx(),
        }
    }

    /// Fetches a download link over HTTP and checks it serves an OFD package, which must then
    /// verify through the transport under test.
    async fn fetch_and_verify(&mut self, step: &str, url: &str, token: &str) {
        assert!(
            url.starts_with(&self.world.base_url),
            "[{}] {step}: link {url} is not on the node",
            self.way
        );
        let resp = reqwest::get(url)
            .await
            .unwrap_or_else(|e| panic!("[{}] {step}: {e}", self.way));
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.bytes().await.unwrap_or_default();
        assert!(
            status == 200 && body.starts_with(b"PK"),
            "[{}] {step}: link answered {status} {ct}",
            self.way
        );
        self.record(&format!("{step} fetched"), format!("{status} {ct} ofd"));
        let v = self
            .svc
            .verify_cert_file(&caller(Some(token)), Self::verify_file(Some(b64(&body))))
            .await;
        let v = self.ok(&format!("{step} verified"), v, |a| format!("{a:?}"));
        assert_eq!(
            v.data,
            FileVerifyResult::Passed,
            "[{}] {step}: the fetched copy verifies",
            self.way
        );
    }
}

fn records(a: &Answer<LicenseRecords>) -> String {
    match &a.data {
        Shaped::City(p) => format!(
            "{:?} total={} {:?}",
            a.library,
            p.total,
            p.items
                .iter()
                .map(|r| (r.certificate_number.as_str(), r.state))
                .collect::<Vec<_>>()
        ),
        Shaped::Province(p) => format!("{:?} province total={}", a.library, p.total),
    }
}

fn city_state(a: &Answer<LicenseRecords>) -> Option<LicenseStatus> {
    match &a.data {
        Shaped::City(p) => p.items.first().map(|r| r.state),
        Shaped::Province(_) => None,
    }
}

fn link_urls(a: &Answer<DownloadLinks>) -> Vec<String> {
    match &a.data {
        Shaped::City(p) => p.items.iter().map(|l| l.file_url.clone()).collect(),
        Shaped::Province(p) => p.items.iter().map(|l| l.url.clone()).collect(),
    }
}

fn links(a: &Answer<DownloadLinks>) -> String {
    match &a.data {
        Shaped::City(p) => format!(
            "{:?} total={} {:?}",
            a.library,
            p.total,
            p.items
                .iter()
                .map(|l| (
                    l.certificate_number.as_str(),
                    l.file_format.as_str(),
                    l.certificate_type.as_str()
                ))
                .collect::<Vec<_>>()
        ),
        Shaped::Province(p) => format!("{:?} province total={}", a.library, p.total),
    }
}

/// Plays every scenario through `svc` as the accounts of `who`; panics naming the step and the
/// `way` when an answer breaks the contract.
pub async fn run(
    svc: &dyn LicenseService,
    world: &World,
    who: &Principals,
    way: &str,
) -> Transcript {
    let mut r = Run {
        svc,
        who,
        world,
        way,
        lines: Vec::new(),
    };

    let me = r.tokens().await;
    let info = r.lookups(&me).await;
    r.downloads(&me).await;
    r.sync(&me, &info).await;
    Transcript { lines: r.lines }
}
