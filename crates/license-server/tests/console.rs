//! The operator console against the real binary.
//!
//! - In a browser (Debian's chromium through chromedriver; skipped where neither is installed,
//!   a failure with `CI=true`): sign in; create an account for a business system and an OAuth
//!   client; issue a license from the form of its cert type; call a share interface with that
//!   account over REST; find the call in the license's usage list with its matter and reason;
//!   revoke the license and see its state; retry a push the province refused; import a file;
//!   sign out. Every page is checked for console errors and photographed at 1280 and 390 px
//!   (`target/tmp/console-screenshots/`); every change is found in the audit log under the
//!   operator's name.
//! - Over plain HTTP: the cookies' flags, the Content-Security-Policy, CSRF refusals, the
//!   lock-out, and an account without the `admin` role.

mod common;

use std::time::{Duration, Instant};

use common::browser::Browser;
use common::{
    API, Node, PASSWORD, Reply, TOKEN_PATH, call, context, enc, get_json, post_form, put_json,
    token, upstream_env,
};
use license_platform::sample::{SAMPLE_TYPES, citizen_id};

/// The console's root.
const CONSOLE: &str = "/license-api-release/console";

/// A province serving, with the city's account and an administrator.
fn province() -> (Node, common::Served) {
    let p = Node::sqlite("console-province", "province");
    p.provision(
        "zaozhuang",
        "zaozhuang-client",
        "search,info,view,download,verify,sync",
    );
    p.provision("padmin", "padmin-client", "admin");
    // Cert types read fresh on every call: a type published is taken at once.
    let served = p.serve(
        "127.0.0.1:0",
        &[("LICENSED_TOKEN_CACHE_TTL_MS", "0".to_owned())],
    );
    (p, served)
}

/// Publishes or withdraws a cert type at a node through its admin API.
fn publish(addr: &str, admin: &str, code: &str, published: bool) {
    let v = put_json(
        addr,
        &format!("/license-api-release/admin/cert-types/{code}"),
        admin,
        &format!(r#"{{"published":{published},"verifyFields":["certificateNumber"]}}"#),
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
}

/// The text of an element, or "" when it is absent.
async fn text_of(b: &Browser, css: &str) -> String {
    match b.client.find(fantoccini::Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_does_the_days_work_in_a_browser() {
    let Some(b) = Browser::start("console").await else {
        return;
    };
    let (_p, province) = province();
    let padmin = token(&province.http, "padmin", "padmin-client");
    // The province does not take this type yet: the city's push of it is refused for good.
    let ty = SAMPLE_TYPES[1];
    publish(&province.http, &padmin, ty, false);

    let city = Node::sqlite("console-city", "city");
    city.provision("ops", "ops-client", "admin");
    let mut env = upstream_env(&format!("http://{}", province.http), "rest", 3_000);
    env.push(("LICENSED_PROVINCE_AUTO_SYNC", "true".into()));
    env.push(("LICENSED_PROVINCE_RETRY_BASE_MS", "200".into()));
    let served = city.serve("127.0.0.1:0", &env);
    let base = format!("http://{}{CONSOLE}", served.http);

    // Signing in: the console sends a stranger to its sign-in form.
    b.open(&format!("{base}/")).await;
    assert_eq!(b.path().await, format!("{CONSOLE}/login"));
    b.shoot("login").await;
    b.fill("input[name=username]", "ops").await;
    b.fill("input[name=password]", PASSWORD).await;
    b.submit("#sign-in").await;
    assert_eq!(b.path().await, format!("{CONSOLE}/"));
    assert_eq!(text_of(&b, "#operator").await, "ops");
    b.shoot("overview").await;

    // An account for a business system, and its OAuth client; each secret shown once.
    b.open(&format!("{base}/accounts")).await;
    b.fill("#new-account input[name=username]", "hall-system")
        .await;
    b.fill("#new-account input[name=department]", "市政务服务中心")
        .await;
    for role in ["search", "info", "download"] {
        b.click(&format!("#new-account input[name=roles][value={role}]"))
            .await;
    }
    b.submit("#create-account").await;
    let hall_password = text_of(&b, "#secret-value").await;
    assert_eq!(hall_password.len(), 24, "{}", b.text().await);
    b.fill("input[name=clientId]", "hall-client").await;
    b.submit("#add-client").await;
    let hall_secret = text_of(&b, "#secret-value").await;
    assert_eq!(hall_secret.len(), 24, "{}", b.text().await);
    let accounts = b.text().await;
    assert!(accounts.contains("hall-system") && accounts.contains("hall-client"));
    b.shoot("accounts").await;
    b.open(&format!("{base}/accounts")).await;
    assert!(
        !b.text().await.contains(&hall_password),
        "a secret is shown once"
    );

    // A license from the form of its cert type.
    b.open(&format!("{base}/licenses/new?type={ty}")).await;
    b.shoot("issue").await;
    let holder = citizen_id(4242);
    b.fill("input[name=certificateNumber]", "ZZ-2026-0001")
        .await;
    b.fill("input[name=certificateHolder]", "李四").await;
    b.fill("input[name=certificateHolderCode]", &holder).await;
    b.fill("input[name=issueDept]", "枣庄市行政审批服务局")
        .await;
    b.fill("input[name=issueDeptCode]", "11370000004504927A")
        .await;
    b.fill("input[name=faceName]", "name").await;
    b.fill("input[name=faceValue]", "李四").await;
    b.submit("#issue").await;
    let license_path = b.path().await;
    assert!(
        license_path.starts_with(&format!("{CONSOLE}/licenses/")),
        "{license_path}: {}",
        b.text().await
    );
    assert_eq!(text_of(&b, "#state").await, "正常有效");
    let identifier = url::Url::parse(&format!("http://x{license_path}"))
        .unwrap()
        .path_segments()
        .unwrap()
        .next_back()
        .unwrap()
        .to_owned();
    let identifier = percent_decode(&identifier);

    // The business system calls over REST with its new account and client.
    let grant = post_form(
        &served.http,
        TOKEN_PATH,
        None,
        &format!(
            "grant_type=password&client_id=hall-client&client_secret={hall_secret}&username=hall-system&password={hall_password}"
        ),
    );
    let hall = grant
        .field("access_token")
        .unwrap_or_else(|| panic!("{grant}"));
    let ctx = context("不动产登记系统", "不动产转移登记", "核验申请人身份");
    let answer = post_form(
        &served.http,
        &format!("{API}/ShareQueryCertInfoByHo"),
        Some(&hall),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode={ty}&interfaceType=1&{ctx}"
        ),
    );
    assert_eq!(answer.status_code(), "0", "{answer}");

    // The call is in the license's usage list, with its system, matter and reason.
    b.open(&format!("http://{}{license_path}", served.http))
        .await;
    let page = b.text().await;
    for seen in [
        "hall-system",
        "不动产登记系统",
        "不动产转移登记",
        "核验申请人身份",
        "ShareQueryCertInfoByHo",
        &holder,
    ] {
        assert!(page.contains(seen), "{seen} is not on the page: {page}");
    }
    b.shoot("license").await;

    // Revoked with a reason: the state shows it.
    b.find("#change")
        .await
        .select_by_value("revoke")
        .await
        .unwrap();
    b.fill("#state-reason", "证件遗失，申请人申请注销").await;
    b.submit("#change-state").await;
    assert_eq!(text_of(&b, "#state").await, "已废止");
    assert!(b.text().await.contains("证件遗失，申请人申请注销"));

    // The push of the new license was refused by the province (type not taken there): once
    // the province takes it, the operator retries and the outbox drains.
    b.open(&format!("{base}/outbox?state=failed")).await;
    let began = Instant::now();
    while !text_of(&b, "#outbox tbody").await.contains("13: ") {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "{}",
            b.text().await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.open(&format!("{base}/outbox?state=failed")).await;
    }
    b.shoot("outbox").await;
    publish(&province.http, &padmin, ty, true);
    // Both pushes of the license (its issue, then its revocation) were refused: each retried.
    while b
        .client
        .find(fantoccini::Locator::Css("button.retry"))
        .await
        .is_ok()
    {
        b.submit("button.retry").await;
        assert!(text_of(&b, "#flash").await.contains("重新排队"));
        b.open(&format!("{base}/outbox?state=failed")).await;
    }
    let began = Instant::now();
    loop {
        b.open(&format!("{base}/outbox")).await;
        let t = text_of(&b, "#outbox tbody").await;
        if !t.contains("待发送") && !t.contains("失败") && t.contains("已送达") {
            break;
        }
        assert!(began.elapsed() < Duration::from_secs(30), "{t}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Search, masked in the list.
    b.open(&format!("{base}/licenses?holderCode={holder}"))
        .await;
    let list = text_of(&b, "#licenses").await;
    assert!(
        list.contains("ZZ-2026-0001") && list.contains("李*"),
        "{list}"
    );
    assert!(
        !list.contains(&holder),
        "the holder code is masked in lists: {list}"
    );
    b.shoot("licenses").await;

    // Import: 1,200 good lines and a bad one, with progress as it goes and every rejected
    // line named.
    let file = city.dir.join("console-import.jsonl");
    let mut lines: String = (20_000..21_200)
        .map(|i| license_platform::sample::import_line(i) + "\n")
        .collect();
    lines.push_str("{\"certTypeCode\":\"nope\"}\n");
    std::fs::write(&file, lines).unwrap();
    b.open(&format!("{base}/licenses/import")).await;
    b.find("#import-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.submit("#import").await;
    let progress = text_of(&b, "#import-progress").await;
    assert!(progress.contains("已读取 1000 行"), "{progress}");
    let result = text_of(&b, "#import-result").await;
    assert!(
        result.contains("导入 1200 条") && result.contains("拒绝 1 行") && result.contains("1201"),
        "{result}"
    );
    b.shoot("import").await;

    // The other pages.
    for (page, name) in [
        ("/cert-types", "cert-types"),
        ("/keys", "keys"),
        ("/", "overview-after"),
    ] {
        b.open(&format!("{base}{page}")).await;
        b.shoot(name).await;
    }
    b.open(&format!("{base}/audit?account=hall-system")).await;
    assert!(b.text().await.contains("不动产转移登记"));
    b.shoot("audit").await;
    // Who changed this license: the operator's revocation, with its reason.
    b.open(&format!(
        "{base}/audit?license={}&interface=admin",
        enc(&identifier)
    ))
    .await;
    let changes = text_of(&b, "#audit").await;
    assert!(
        changes.contains("ops") && changes.contains("变更状态 revoke：证件遗失"),
        "{changes}"
    );
    let csv = b
        .find("#audit-csv")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(csv.starts_with(&format!("{CONSOLE}/audit.csv?")), "{csv}");

    // Every change made here is in the audit log under the operator's name.
    let ops = common::token(&served.http, "ops", "ops-client");
    let audit = get_json(
        &served.http,
        "/license-api-release/admin/audit?username=ops&interface=admin&size=200",
        &ops,
    );
    let matters: Vec<String> = audit["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["context"]["certificateEventCode"] == "admin-change")
        .map(|e| {
            e["context"]["certificateMatterName"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for change in [
        "新建账号 hall-system",
        "新建客户端 hall-client",
        "签发证照",
        "变更状态 revoke：证件遗失，申请人申请注销",
        "重试推送",
        "导入证照",
    ] {
        assert!(
            matters.iter().any(|m| m.starts_with(change)),
            "{change} is not audited under ops: {matters:#?}"
        );
    }

    // Signing out ends the session: the console asks to sign in again.
    let session = b
        .client
        .get_named_cookie("lp_console")
        .await
        .expect("the session cookie")
        .value()
        .to_owned();
    b.open(&format!("{base}/")).await;
    b.submit("#logout").await;
    assert_eq!(b.path().await, format!("{CONSOLE}/login"));
    let after = call(
        "GET",
        &served.http,
        &format!("{CONSOLE}/licenses"),
        &[("Cookie", &format!("lp_console={session}"))],
        None,
    );
    assert_eq!(after.status, 303, "{after}");
    assert!(
        after
            .header("location")
            .is_some_and(|l| l.contains("/login"))
    );
    b.client.clone().close().await.unwrap();
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The cookie a response sets, as `name=value`.
fn set_cookie(r: &Reply, name: &str) -> Option<(String, String)> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let pair = v.split(';').next().unwrap_or_default().to_owned();
            (pair, v.to_owned())
        })
}

/// The sign-in page's CSRF cookie and a sign-in with it; the answer.
fn sign_in(addr: &str, user: &str, password: &str) -> (String, Reply) {
    let page = call("GET", addr, &format!("{CONSOLE}/login"), &[], None);
    let (csrf_pair, _) = set_cookie(&page, "lp_csrf").expect("a CSRF cookie");
    let csrf = csrf_pair.split_once('=').unwrap().1.to_owned();
    let r = call(
        "POST",
        addr,
        &format!("{CONSOLE}/login"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &csrf_pair),
        ],
        Some(
            format!(
                "csrf={csrf}&username={}&password={}",
                enc(user),
                enc(password)
            )
            .as_bytes(),
        ),
    );
    (csrf_pair, r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_doors_hold() {
    let node = Node::sqlite("console-doors", "city");
    node.provision("ops", "ops-client", "admin");
    node.provision("hall", "hall-client", "search,info");
    let served = node.start();
    let addr = &served.http;

    // The login page: a strict policy, no script, a CSRF cookie with the right flags.
    let page = call("GET", addr, &format!("{CONSOLE}/login"), &[], None);
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(
        !page.text().contains("<script"),
        "no script on the console's pages"
    );
    let (_, csrf_cookie) = set_cookie(&page, "lp_csrf").unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/license-api-release/console",
    ] {
        assert!(csrf_cookie.contains(flag), "{csrf_cookie}");
    }
    assert!(
        !csrf_cookie.contains("Secure"),
        "no TLS here: {csrf_cookie}"
    );
    let css = call(
        "GET",
        addr,
        &format!("{CONSOLE}/assets/console.css"),
        &[],
        None,
    );
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));

    // A sign-in without the CSRF token is refused.
    let r = call(
        "POST",
        addr,
        &format!("{CONSOLE}/login"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(format!("username=ops&password={PASSWORD}").as_bytes()),
    );
    assert_eq!(r.status, 403, "{r}");

    // An account without the admin role does not get in, and is not told its password was
    // right.
    let (_, r) = sign_in(addr, "hall", PASSWORD);
    assert_eq!(r.status, 401, "{r}");
    assert!(r.text().contains("账号或密码错误"), "{r}");

    // The operator gets in: a session cookie with the right flags.
    let (csrf_pair, r) = sign_in(addr, "ops", PASSWORD);
    assert_eq!(r.status, 303, "{r}");
    let (session, flags) = set_cookie(&r, "lp_console").expect("a session cookie");
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/license-api-release/console",
    ] {
        assert!(flags.contains(flag), "{flags}");
    }
    let cookies = format!("{session}; {csrf_pair}");
    let overview = call(
        "GET",
        addr,
        &format!("{CONSOLE}/"),
        &[("Cookie", &cookies)],
        None,
    );
    assert_eq!(overview.status, 200, "{overview}");
    assert!(overview.text().contains("今日调用"));

    // A change without the session's CSRF token changes nothing.
    let r = call(
        "POST",
        addr,
        &format!("{CONSOLE}/accounts/hall/enabled"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookies),
        ],
        Some(b"enabled=false&csrf=0123456789abcdef0123456789abcdef"),
    );
    assert_eq!(r.status, 403, "{r}");
    let hall = token(addr, "hall", "hall-client");
    assert!(!hall.is_empty(), "the account is still enabled");

    // Lock-out as at the token endpoint: five wrong passwords, then the right one is refused.
    for _ in 0..5 {
        let (_, r) = sign_in(addr, "ops", "wrong-password");
        assert_eq!(r.status, 401, "{r}");
        assert!(r.text().contains("账号或密码错误"), "{r}");
    }
    let (_, r) = sign_in(addr, "ops", PASSWORD);
    assert_eq!(r.status, 401, "{r}");
    assert!(r.text().contains("锁定"), "{r}");

    // Behind a TLS-terminating balancer (a public URL on https://) the cookies are Secure.
    drop(served);
    let behind = node.serve(
        "127.0.0.1:0",
        &[(
            "LICENSED_PUBLIC_URL",
            "https://license.example.gov.cn".to_owned(),
        )],
    );
    let page = call("GET", &behind.http, &format!("{CONSOLE}/login"), &[], None);
    let (_, cookie) = set_cookie(&page, "lp_csrf").unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}
