//! The scenarios: every interface with success and the failures it can return, the token life
//! cycle, roles and cert-type limits, every license state, paging, download links (fetched and
//! verified) and both verification interfaces.

use std::fmt::Debug;

use base64::Engine;
use license_core::context::RawCallContext;
use license_core::service::*;
use license_core::{FileVerifyResult, LicenseService, LicenseStatus, ReturnCode, ServiceError};

use crate::world::{CLIENT_ID, CLIENT_SECRET, ID_CARD, NO_SUCH_TYPE, PASSWORD, Principals, World};

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
    let w = world;
    let valid = w.valid.identifier.to_string();

    // ---- the token life cycle (API.md §2) ----
    let e = svc
        .issue_token(&caller(None), grant(&who.full, "wrong-password"))
        .await;
    r.token_fails("token: wrong password", e, OAuthErrorKind::InvalidGrant);
    let mut g = grant(&who.full, PASSWORD);
    g.client_secret = Some("wrong-secret".into());
    let e = svc.issue_token(&caller(None), g).await;
    r.token_fails(
        "token: wrong client secret",
        e,
        OAuthErrorKind::InvalidClient,
    );
    let mut g = grant(&who.full, PASSWORD);
    g.username = None;
    let e = svc.issue_token(&caller(None), g).await;
    r.token_fails("token: no username", e, OAuthErrorKind::InvalidRequest);
    let first = r.login("token: password grant", &who.full).await;
    let refresh = |token: &str| RefreshGrant {
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        scope: None,
        refresh_token: Some(token.to_owned()),
    };
    let second = match svc
        .refresh_token(&caller(None), refresh(&first.refresh_token))
        .await
    {
        Ok(g) => {
            assert_ne!(
                g.access_token, first.access_token,
                "[{way}] refresh rotates the access token"
            );
            r.record(
                "token: refresh grant",
                format!("granted scope={:?}", g.scope),
            );
            g
        }
        Err(e) => panic!("[{way}] refresh refused: {e:?}"),
    };
    let e = svc
        .refresh_token(&caller(None), refresh(&first.refresh_token))
        .await;
    r.token_fails(
        "token: a used refresh token",
        e,
        OAuthErrorKind::InvalidGrant,
    );
    let e = svc
        .query_cert_info(
            &caller(Some(&first.access_token)),
            Run::query(&valid, Some("1")),
        )
        .await;
    r.fails(
        "token: the access token a refresh replaced",
        e,
        ReturnCode::Unauthorized,
    );
    let e = svc
        .query_cert_info(&caller(None), Run::query(&valid, Some("1")))
        .await;
    r.fails("token: none", e, ReturnCode::Unauthorized);
    let e = svc
        .query_cert_info(
            &caller(Some("00000000-0000-0000-0000-000000000000")),
            Run::query(&valid, Some("1")),
        )
        .await;
    r.fails("token: unknown", e, ReturnCode::Unauthorized);
    for i in 0..5 {
        let e = svc
            .issue_token(&caller(None), grant(&who.locked, "wrong-password"))
            .await;
        r.token_fails(
            &format!("lock-out: failure {i}"),
            e,
            OAuthErrorKind::InvalidGrant,
        );
    }
    let e = svc
        .issue_token(&caller(None), grant(&who.locked, PASSWORD))
        .await;
    r.token_fails(
        "lock-out: the right password while locked",
        e,
        OAuthErrorKind::InvalidGrant,
    );
    let t = second.access_token.clone();
    let me = caller(Some(&t));

    // ---- ShareQueryCertInfo (4.3.3): every state, every key, every failure ----
    for (name, l, state) in [
        ("valid", &w.valid, LicenseStatus::Valid),
        ("pending", &w.pending, LicenseStatus::NotActivated),
        ("suspended", &w.suspended, LicenseStatus::Suspended),
        ("revoked", &w.revoked, LicenseStatus::Revoked),
        ("expired", &w.expired, LicenseStatus::Expired),
    ] {
        let a = svc
            .query_cert_info(&me, Run::query(l.identifier.as_ref(), Some("1")))
            .await;
        let a = r.ok(&format!("query: {name} by identifier"), a, records);
        assert_eq!(city_state(&a), Some(state), "[{way}] query: {name}");
    }
    let a = svc
        .query_cert_info(&me, Run::query(&w.valid.file_number, Some("1")))
        .await;
    r.ok("query: by file number", a, records);
    let e = svc
        .query_cert_info(
            &me,
            Run::query(
                "1.2.156.3005.2.11100000000013127D001.113704000042365553.NOPE.001.1",
                Some("1"),
            ),
        )
        .await;
    r.fails("query: unknown identifier", e, ReturnCode::NotFound);
    let broken: [(&str, Breaks<QueryCertInfoRequest>, ReturnCode); 5] = [
        (
            "no certificateID",
            |q| q.certificate_id = None,
            ReturnCode::MissingParameter,
        ),
        (
            "blank matter name",
            |q| q.context.matter_name = Some("  ".into()),
            ReturnCode::MissingParameter,
        ),
        (
            "a 201-character reason",
            |q| q.context.copy_cause = Some("因".repeat(201)),
            ReturnCode::BadReason,
        ),
        (
            "a reason without words",
            |q| q.context.copy_cause = Some("1234 ...".into()),
            ReturnCode::BadReason,
        ),
        (
            "call category 5",
            |q| q.context.call_category = Some("5".into()),
            ReturnCode::Unparseable,
        ),
    ];
    for (name, break_it, code) in broken {
        let mut q = Run::query(&valid, Some("1"));
        break_it(&mut q);
        r.fails(
            &format!("query: {name}"),
            svc.query_cert_info(&me, q).await,
            code,
        );
    }
    let e = svc
        .query_cert_info(&me, Run::query(&valid, Some("7")))
        .await;
    r.fails("query: interfaceType 7", e, ReturnCode::Unparseable);
    let e = svc
        .query_cert_info(&me, Run::query(&valid, Some("0")))
        .await;
    r.fails(
        "query: the province library without an upstream",
        e,
        ReturnCode::NotProvided,
    );
    let e = svc.query_cert_info(&me, Run::query(&valid, None)).await;
    r.fails(
        "query: interfaceType defaults to the province",
        e,
        ReturnCode::NotProvided,
    );

    // ---- roles and cert-type limits (API.md §6) ----
    let info = r.login("roles: info-only login", &who.info_only).await;
    let info = caller(Some(&info.access_token));
    let a = svc
        .query_cert_info(&info, Run::query(&valid, Some("1")))
        .await;
    r.ok("roles: info-only may query", a, records);
    let e = svc.share_download_url(&info, Run::link(&valid, None)).await;
    r.fails(
        "roles: info-only may not download",
        e,
        ReturnCode::Unauthorized,
    );
    let e = svc.query_by_holder(&info, r.holder(None, None)).await;
    r.fails(
        "roles: info-only may not search",
        e,
        ReturnCode::Unauthorized,
    );
    let ids = r
        .login("types: id-cards-only login", &who.id_cards_only)
        .await;
    let ids = caller(Some(&ids.access_token));
    let a = svc
        .query_cert_info(&ids, Run::query(&valid, Some("1")))
        .await;
    r.ok("types: an ID card", a, records);
    let e = svc
        .query_cert_info(
            &ids,
            Run::query(w.other_type.identifier.as_ref(), Some("1")),
        )
        .await;
    r.fails("types: another type", e, ReturnCode::Unauthorized);

    // ---- ShareQueryCertInfoByHo (4.3.7): paging and failures ----
    let a = svc.query_by_holder(&me, r.holder(None, None)).await;
    let a = r.ok("holder: all", a, records);
    assert!(
        matches!(&a.data, Shaped::City(p) if p.total == 3 && p.items.len() == 3),
        "[{way}] holder: three ID cards"
    );
    let a = svc
        .query_by_holder(&me, r.holder(Some("2"), Some("2")))
        .await;
    let a = r.ok("holder: page 2 of size 2", a, records);
    assert!(
        matches!(&a.data, Shaped::City(p) if p.total == 3 && p.items.len() == 1),
        "[{way}] holder: the last page"
    );
    let a = svc
        .query_by_holder(&me, r.holder(Some("9"), Some("2")))
        .await;
    r.ok("holder: past the last page", a, records);
    let e = svc.query_by_holder(&me, r.holder(Some("abc"), None)).await;
    r.fails("holder: page abc", e, ReturnCode::Unparseable);
    let mut h = r.holder(None, None);
    h.holder_code = Some("370402199001011230".into());
    r.fails(
        "holder: a holder code with a bad check digit",
        svc.query_by_holder(&me, h).await,
        ReturnCode::BadHolderCode,
    );
    let mut h = r.holder(None, None);
    h.cert_type_code = Some(NO_SUCH_TYPE.into());
    r.fails(
        "holder: no such cert type",
        svc.query_by_holder(&me, h).await,
        ReturnCode::UnknownCertType,
    );
    let mut h = r.holder(None, None);
    h.holder_code = None;
    r.fails(
        "holder: no holder code",
        svc.query_by_holder(&me, h).await,
        ReturnCode::MissingParameter,
    );
    let throttled = r.login("rate: throttled login", &who.throttled).await;
    let throttled = caller(Some(&throttled.access_token));
    for i in 0..2 {
        let a = svc.query_by_holder(&throttled, r.holder(None, None)).await;
        r.ok(&format!("rate: search {i}"), a, records);
    }
    let e = svc.query_by_holder(&throttled, r.holder(None, None)).await;
    let e = r.fails("rate: a third search in the minute", e, ReturnCode::Other);
    assert!(e.retry_after_secs.is_some(), "[{way}] rate: a retry hint");

    // ---- shengShiStateInfo (4.3.13) ----
    // Both libraries at once: a city node without a province upstream cannot answer.
    let e = svc.sheng_shi_state(&me, r.holder(None, None)).await;
    r.fails(
        "sheng-shi: no province upstream",
        e,
        ReturnCode::NotProvided,
    );

    // What a download of a license that is not valid answers (API.md §6).
    let refused = [
        ("pending", &w.pending, ReturnCode::Restricted),
        ("suspended", &w.suspended, ReturnCode::Restricted),
        ("revoked", &w.revoked, ReturnCode::Revoked),
        ("expired", &w.expired, ReturnCode::Expired),
    ];

    // ---- ShareDownloadUrl (4.3.2): every state, fetched and verified ----
    let a = svc.share_download_url(&me, Run::link(&valid, None)).await;
    let a = r.ok("link: valid", a, links);
    let url = link_urls(&a).pop().expect("one link");
    r.fetch_and_verify("link: valid", &url, &t).await;
    for (name, l, code) in refused {
        let e = svc
            .share_download_url(&me, Run::link(l.identifier.as_ref(), None))
            .await;
        r.fails(&format!("link: {name}"), e, code);
    }
    let e = svc
        .share_download_url(&me, Run::link(&valid, Some("2001-01-01")))
        .await;
    r.fails("link: an expiry in the past", e, ReturnCode::Unparseable);
    let e = svc
        .share_download_url(&me, Run::link("no-such-license", None))
        .await;
    r.fails("link: unknown license", e, ReturnCode::NotFound);

    // ---- ShareDownloadUrlsByHolderCode (4.3.8) ----
    let a = svc.download_urls_by_holder(&me, r.holder(None, None)).await;
    let a = r.ok("holder links", a, links);
    let urls = link_urls(&a);
    assert_eq!(
        urls.len(),
        3,
        "[{way}] holder links: the three valid ID cards"
    );
    for (i, u) in urls.iter().enumerate() {
        r.fetch_and_verify(&format!("holder link {i}"), u, &t).await;
    }

    // ---- ShareDownloadFile (4.3.9) and ShareVerifyCertInfo, file variant (4.3.5) ----
    let f = svc.download_file(&me, Run::file(&valid, Some("ofd"))).await;
    let f = r.ok("file: ofd", f, |a| {
        format!(
            "{:?} {}",
            a.library,
            matches!(a.data.content, FileContent::Ofd(_))
        )
    });
    let FileContent::Ofd(ofd) = f.data.content else {
        unreachable!("checked above")
    };
    let v = svc
        .verify_cert_file(&me, Run::verify_file(Some(b64(&ofd))))
        .await;
    let v = r.ok("verify file: a downloaded copy", v, |a| format!("{a:?}"));
    assert_eq!(
        v.data,
        FileVerifyResult::Passed,
        "[{way}] the downloaded copy verifies"
    );
    // A byte of a part's data changed: the entry's CRC-32 no longer holds. (A byte picked
    // blindly may land in ZIP metadata no reader checks, such as a local header's time.)
    let e = svc
        .verify_cert_file(&me, Run::verify_file(Some(b64(&corrupt_first_part(&ofd)))))
        .await;
    r.fails(
        "verify file: a corrupted package",
        e,
        ReturnCode::Unparseable,
    );
    let e = svc
        .verify_cert_file(&me, Run::verify_file(Some(b64(&ofd[..ofd.len() / 2]))))
        .await;
    r.fails(
        "verify file: a truncated package",
        e,
        ReturnCode::Unparseable,
    );
    let e = svc
        .verify_cert_file(&me, Run::verify_file(Some("not base64 at all!".into())))
        .await;
    r.fails("verify file: not base64", e, ReturnCode::Unparseable);
    // Empty, not absent: over REST a request without `content` is the information variant
    // (API.md §6: the variants share a path).
    let e = svc
        .verify_cert_file(&me, Run::verify_file(Some(String::new())))
        .await;
    r.fails(
        "verify file: empty content",
        e,
        ReturnCode::MissingParameter,
    );
    let png = svc.download_file(&me, Run::file(&valid, Some("png"))).await;
    r.ok("file: png pages", png, |a| match &a.data.content {
        FileContent::PageImages(p) => format!(
            "{} pages, jpeg={}",
            p.len(),
            p.iter().all(|i| i.starts_with(&[0xFF, 0xD8]))
        ),
        FileContent::Ofd(_) => "ofd".into(),
    });
    let e = svc.download_file(&me, Run::file(&valid, Some("doc"))).await;
    r.fails("file: type doc", e, ReturnCode::Unparseable);
    for (name, l, code) in refused {
        let e = svc
            .download_file(&me, Run::file(l.identifier.as_ref(), None))
            .await;
        r.fails(&format!("file: {name}"), e, code);
    }

    // ---- ShareVerifyCertInfo, information variant (4.3.4) ----
    let number = format!(
        r#"{{"certificateNumber":"{}"}}"#,
        w.valid.certificate_number
    );
    let v = svc
        .verify_cert_info(&me, r.verify_info(Some(&number)))
        .await;
    let v = r.ok("verify info: matching", v, |a| format!("{a:?}"));
    assert_eq!(v.data, Shaped::City(true), "[{way}] verify info: matches");
    let v = svc
        .verify_cert_info(&me, r.verify_info(Some(r#"{"certificateNumber":"C999"}"#)))
        .await;
    let v = r.ok("verify info: a wrong number", v, |a| format!("{a:?}"));
    assert_eq!(v.data, Shaped::City(false), "[{way}] verify info: no match");
    let e = svc
        .verify_cert_info(&me, r.verify_info(Some("{not json")))
        .await;
    r.fails("verify info: data not JSON", e, ReturnCode::Unparseable);
    let e = svc.verify_cert_info(&me, r.verify_info(None)).await;
    r.fails("verify info: no data", e, ReturnCode::MissingParameter);
    let mut v = r.verify_info(Some(&number));
    v.cert_type_code = Some(NO_SUCH_TYPE.into());
    r.fails(
        "verify info: no such cert type",
        svc.verify_cert_info(&me, v).await,
        ReturnCode::UnknownCertType,
    );

    // ---- ShareQueryCertInfoByQRcode (4.3.6) ----
    let qr = |value: Option<String>| QrQueryRequest {
        qr_value: value,
        interface_type: Some("1".into()),
        context: ctx(),
        operator: Default::default(),
    };
    let show_qr = |a: &Answer<QrRecords>| match &a.data {
        Shaped::City(c) => format!(
            "{:?} {} {:?} {:?}",
            a.library, c.license_number, c.license_state, c.valid_time_end
        ),
        Shaped::Province(p) => format!("province total={}", p.total),
    };
    let a = svc
        .query_by_qr_code(&me, qr(Some(w.valid.qr_token.clone())))
        .await;
    r.ok("qr: by token", a, show_qr);
    let full = format!(
        "{}/license-api-release/verify/{}",
        w.base_url, w.valid.qr_token
    );
    let a = svc.query_by_qr_code(&me, qr(Some(full))).await;
    r.ok("qr: by full URL", a, show_qr);
    let e = svc
        .query_by_qr_code(&me, qr(Some("nosuchqrtoken".into())))
        .await;
    r.fails("qr: unknown", e, ReturnCode::NotFound);
    let e = svc.query_by_qr_code(&me, qr(None)).await;
    r.fails("qr: none", e, ReturnCode::MissingParameter);

    // ---- downloadPdfFile (4.3.14) ----
    let pdf = PdfRequest {
        abstract_code: Some(w.valid.abstract_code.clone()),
    };
    let p = svc.download_pdf(&me, pdf).await;
    r.ok("pdf: by extraction code", p, |b| {
        format!("pdf={}", b.starts_with(b"%PDF"))
    });
    let e = svc
        .download_pdf(
            &me,
            PdfRequest {
                abstract_code: Some("NOSUCHCODE".into()),
            },
        )
        .await;
    r.fails("pdf: unknown code", e, ReturnCode::NotFound);
    let e = svc
        .download_pdf(
            &me,
            PdfRequest {
                abstract_code: None,
            },
        )
        .await;
    r.fails("pdf: no code", e, ReturnCode::MissingParameter);

    // ---- insertToProvince, updateToProvince, deleteToProvince (4.3.10–4.3.12) ----
    let sync = SyncRequest {
        file_number: Some(w.valid.file_number.clone()),
        cert_identifier: None,
    };
    let e = svc.insert_to_province(&me, sync.clone()).await;
    r.fails("insert: no province upstream", e, ReturnCode::NotProvided);
    let e = svc.insert_to_province(&info, sync).await;
    r.fails("insert: without the sync role", e, ReturnCode::Unauthorized);
    // Required parameters are checked before routing (API.md §4).
    let e = svc.update_to_province(&me, SyncRequest::default()).await;
    r.fails("update: no fileNumber", e, ReturnCode::MissingParameter);
    let e = svc
        .update_to_province(
            &me,
            SyncRequest {
                file_number: Some(w.valid.file_number.clone()),
                cert_identifier: Some(w.valid.identifier.to_string()),
            },
        )
        .await;
    r.fails("update: no province upstream", e, ReturnCode::NotProvided);
    let e = svc
        .delete_to_province(
            &me,
            SyncRequest {
                file_number: Some(w.valid.file_number.clone()),
                cert_identifier: None,
            },
        )
        .await;
    r.fails("delete: no province upstream", e, ReturnCode::NotProvided);

    // ---- the province's collection interfaces (our extension, API.md §5) ----
    let push = CollectRequest {
        operation: CollectOperation::Create,
        operation_id: "conformance-op".into(),
        sequence: 1,
        city_file_number: w.valid.file_number.clone(),
        license: Some(license_core::admin::NewLicense::snapshot(&w.valid)),
        reason: None,
    };
    let e = svc.collect(&me, push.clone()).await;
    r.fails(
        "collect: a city node collects nothing",
        e,
        ReturnCode::NotProvided,
    );
    let e = svc.collect(&info, push).await;
    r.fails(
        "collect: without the sync role",
        e,
        ReturnCode::Unauthorized,
    );

    Transcript { lines: r.lines }
}
