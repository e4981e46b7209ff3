//! `licensed demo`: a province node and a city node in one process, each with its own SQLite
//! database in a fresh directory, the city's upstream pointing at the province; seeded so that
//! some licenses are in both libraries and some in one only; credentials and ready-to-paste
//! commands that exercise both libraries.

use std::collections::BTreeMap;

use license_core::identifier::complete_authority_code;
use license_core::service::{Caller, PasswordGrant, SyncRequest};
use license_core::{License, LicenseService, Role};
use license_platform::{NewLicense, Platform, StateChange};

use crate::Settings;
use crate::node;
use crate::settings::ProvinceSettings;

/// Demo OAuth client.
pub const CLIENT_ID: &str = "demo-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "demo-secret";
/// Demo account (every role).
pub const USERNAME: &str = "demo";
/// Its password.
pub const PASSWORD: &str = "demo-password";
/// The city's account (and OAuth client) at the province.
pub const CITY_AT_PROVINCE: &str = "zaozhuang-city";
/// Its password and client secret.
pub const CITY_AT_PROVINCE_SECRET: &str = "zaozhuang-city-secret";
/// City seeds pushed to the province while seeding: in both libraries.
const PUSHED: [usize; 3] = [0, 2, 7];

fn citizen_id(region: &str, birth: &str, seq: u32) -> String {
    let body = format!("{region}{birth}{seq:03}");
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(w)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

struct Seed {
    ctype: &'static str,
    holder: String,
    holder_code: String,
    holder_type: &'static str,
    number: String,
    dept: &'static str,
    dept_body: &'static str,
    issued: &'static str,
    end: Option<&'static str>,
    state: &'static str,
    face: Vec<(&'static str, String)>,
}

/// The city's seeds, and the province's own (licenses the city library does not hold).
fn seeds() -> (Vec<Seed>, Vec<Seed>) {
    let zhang = citizen_id("370402", "19850314", 21);
    let li = citizen_id("370403", "19900708", 35);
    let wang = citizen_id("370481", "19780112", 7);
    let food = complete_authority_code("91370400MA3C8QK2X").unwrap_or_default();
    let pharmacy = complete_authority_code("91370402MA3M4B7Y1").unwrap_or_default();
    let lab = complete_authority_code("91370400MA3D6J9P2").unwrap_or_default();
    let tech = complete_authority_code("91370481MA3F2C5N8").unwrap_or_default();
    let person =
        |ctype, code: &String, name: &str, number: &str, dept, dept_body, issued, end, state| {
            Seed {
                ctype,
                holder: name.into(),
                holder_code: code.clone(),
                holder_type: "111",
                number: number.into(),
                dept,
                dept_body,
                issued,
                end,
                state,
                face: vec![("name", name.into()), ("certno", code.clone())],
            }
        };
    let company =
        |ctype, code: &String, name: &str, number: &str, dept, dept_body, issued, end, state| {
            Seed {
                ctype,
                holder: name.into(),
                holder_code: code.clone(),
                holder_type: "001",
                number: number.into(),
                dept,
                dept_body,
                issued,
                end,
                state,
                face: vec![
                    ("企业名称", name.into()),
                    ("统一社会信用代码", code.clone()),
                ],
            }
        };
    let city = vec![
        person(
            "11100000000013127D001",
            &zhang,
            "张三",
            &zhang,
            "枣庄市公安局市中分局",
            "11370400004504927",
            "2019-03-14",
            Some("2039-03-14"),
            "valid",
        ),
        person(
            "111000000000131433001",
            &zhang,
            "张三",
            "J370402-2015-001234",
            "枣庄市市中区民政局",
            "11370402MB2851426",
            "2015-05-20",
            None,
            "valid",
        ),
        person(
            "111000007178369727008",
            &li,
            "李四",
            "110370400012345",
            "枣庄市卫生健康委员会",
            "11370400MB2854907",
            "2018-07-01",
            None,
            "valid",
        ),
        person(
            "131000000000180402003",
            &wang,
            "王五",
            "37048119780112000742",
            "枣庄市残疾人联合会",
            "51370400MJ4381246",
            "2016-02-10",
            Some("2026-02-09"),
            "valid",
        ),
        person(
            "11100000MB03271699001",
            &li,
            "李四",
            "鲁(2021)枣庄市不动产权第0012345号",
            "枣庄市自然资源和规划局",
            "11370400MB2856582",
            "2021-09-30",
            None,
            "valid",
        ),
        person(
            "111000000000136028001",
            &li,
            "李四",
            "20183704022000123",
            "枣庄市教育局",
            "11370400004505321",
            "2018-06-30",
            None,
            "suspended",
        ),
        person(
            "11100000000013151X009",
            &wang,
            "王五",
            "13704201010123456",
            "枣庄市司法局",
            "11370400004505215",
            "2010-04-01",
            None,
            "revoked",
        ),
        company(
            "11100000MB0143028R025",
            &food,
            "枣庄市鲁南食品有限公司",
            "SC10637040200123",
            "枣庄市市场监督管理局",
            "11370400MB2858131",
            "2022-01-15",
            Some("2027-01-14"),
            "valid",
        ),
        company(
            "11100000MB0341032Y002",
            &pharmacy,
            "枣庄市仁和大药房有限公司",
            "鲁DA6320001",
            "枣庄市市场监督管理局",
            "11370400MB2858131",
            "2019-11-01",
            Some("2024-10-31"),
            "valid",
        ),
        company(
            "11100000000013338W006",
            &lab,
            "枣庄市建设工程质量检测中心有限公司",
            "鲁建检字第0123号",
            "山东省住房和城乡建设厅",
            "11370000004504693",
            "2023-03-01",
            Some("2028-02-28"),
            "valid",
        ),
        company(
            "11100000000013063F006",
            &tech,
            "滕州市智造科技有限公司",
            "GR202337001234",
            "山东省科学技术厅",
            "11370000004504618",
            "2023-12-07",
            Some("2026-12-06"),
            "pending",
        ),
    ];
    let province_only = vec![
        person(
            "111000000000136028001",
            &zhang,
            "张三",
            "20073704021000456",
            "山东省教育厅",
            "11370000004504765",
            "2007-07-01",
            None,
            "valid",
        ),
        company(
            "11100000MB0143028R025",
            &tech,
            "滕州市智造科技有限公司",
            "SC10637048100987",
            "滕州市市场监督管理局",
            "11370481MB2859417",
            "2024-04-01",
            Some("2029-03-31"),
            "valid",
        ),
    ];
    (city, province_only)
}

/// The demo's client and account on a node, and the given seeds issued there.
async fn seed(p: &Platform, seeds: Vec<Seed>) -> Result<Vec<License>, String> {
    p.add_client(CLIENT_ID, CLIENT_SECRET)
        .await
        .map_err(|e| e.message())?;
    p.create_account(
        USERNAME,
        PASSWORD,
        Role::ALL.to_vec(),
        vec![],
        Some("演示业务系统".into()),
    )
    .await
    .map_err(|e| e.message())?;
    let mut out = Vec::new();
    for s in seeds {
        let dept_code = complete_authority_code(s.dept_body).ok_or("bad demo department code")?;
        let face: BTreeMap<String, String> =
            s.face.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let new = NewLicense {
            cert_type_code: s.ctype.into(),
            certificate_number: s.number,
            certificate_holder: s.holder,
            certificate_holder_code: s.holder_code,
            certificate_holder_type: s.holder_type.into(),
            issue_dept: s.dept.into(),
            issue_dept_code: dept_code,
            issue_date: s.issued.into(),
            certificate_validate_start: s.issued.into(),
            certificate_validate_end: s.end.map(str::to_owned),
            state: Some(s.state.into()),
            face,
            ..NewLicense::default()
        };
        out.push(p.issue_license(&new).await.map_err(|e| e.message())?);
    }
    Ok(out)
}

/// The province: its own licenses, and the city's account and client with the sync role.
async fn seed_province(p: &Platform, seeds: Vec<Seed>) -> Result<Vec<License>, String> {
    let out = seed(p, seeds).await?;
    p.add_client(CITY_AT_PROVINCE, CITY_AT_PROVINCE_SECRET)
        .await
        .map_err(|e| e.message())?;
    p.create_account(
        CITY_AT_PROVINCE,
        CITY_AT_PROVINCE_SECRET,
        vec![
            Role::Search,
            Role::Info,
            Role::View,
            Role::Download,
            Role::Verify,
            Role::Sync,
        ],
        vec![],
        Some("枣庄市电子证照共享服务平台".into()),
    )
    .await
    .map_err(|e| e.message())?;
    Ok(out)
}

/// The city: its licenses, one suspended and reinstated through the state machine, and the
/// `PUSHED` ones pushed up to the province (insertToProvince, through the real upstream).
async fn seed_city(p: &Platform, seeds: Vec<Seed>) -> Result<Vec<License>, String> {
    let mut out = seed(p, seeds).await?;
    if let Some(l) = out.get(1) {
        let _ = p
            .change_state(
                l.identifier.as_str(),
                StateChange::Suspend,
                "演示：核查期间暂停使用",
            )
            .await;
        let _ = p
            .change_state(
                l.identifier.as_str(),
                StateChange::Reinstate,
                "演示：核查完毕",
            )
            .await;
    }
    let grant = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some(CLIENT_ID.into()),
                client_secret: Some(CLIENT_SECRET.into()),
                scope: None,
                username: Some(USERNAME.into()),
                password: Some(PASSWORD.into()),
            },
        )
        .await
        .map_err(|e| e.description)?;
    let caller = Caller {
        token: Some(grant.access_token),
        ..Caller::default()
    };
    for i in PUSHED {
        let l = &mut out[i];
        let id = p
            .insert_to_province(
                &caller,
                SyncRequest {
                    file_number: Some(l.file_number.clone()),
                    cert_identifier: None,
                },
            )
            .await
            .map_err(|e| format!("pushing the demo licenses: {}", e.message()))?;
        l.province_identifier = Some(id);
    }
    Ok(out)
}

/// `licensed demo`.
pub async fn run(opts: Settings) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "licensed-demo-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    ));
    let (city_seeds, province_seeds) = seeds();
    // The demo runs on this machine alone: plain HTTP, operations on the HTTP listener.
    let mut opts = opts;
    opts.tls_cert_file = None;
    opts.tls_key_file = None;
    opts.admin_addr = String::new();

    // The province: its own directory and database, on a free local port.
    let mut popts = opts.clone();
    popts.data_dir = dir.join("province");
    popts.database_url = None;
    popts.role = "province".into();
    popts.http_addr = "127.0.0.1:0".into();
    popts.grpc_addr = String::new();
    popts.public_url = None;
    popts.province = None;
    let plisteners = node::Listeners::bind(&popts, true).await?;
    let paddr = plisteners
        .http_addr()
        .ok_or("cannot read the province's address")?;
    let province = node::build(&popts, &node::public_url(&popts, Some(paddr))).await?;
    let province_own = seed_province(&province.platform, province_seeds).await?;
    let province_task = tokio::spawn(node::serve_on(plisteners, province));

    // The city, its upstream the province, logged in with the city's own account.
    opts.data_dir = dir.join("city");
    opts.database_url = None;
    opts.role = "city".into();
    opts.province = Some(ProvinceSettings {
        url: format!("http://{paddr}"),
        transport: "rest".into(),
        client_id: CITY_AT_PROVINCE.into(),
        client_secret: CITY_AT_PROVINCE_SECRET.into(),
        username: CITY_AT_PROVINCE.into(),
        password: CITY_AT_PROVINCE_SECRET.into(),
        timeout_ms: 5_000,
        auto_sync: false,
        retry_base_ms: 500,
        retry_max_ms: 60_000,
        ca_file: None,
    });
    let listeners = node::Listeners::bind(&opts, true).await?;
    let addr = listeners
        .http_addr()
        .ok_or("cannot read the listening address")?;
    let public = node::public_url(&opts, Some(addr));
    let node = node::build(&opts, &public).await?;
    let licenses = seed_city(&node.platform, city_seeds).await?;

    let base = format!("{public}/license-api-release");
    let api = format!("{base}/m/v/license/external/api");
    let first = &licenses[0];
    let city_only = &licenses[1];
    let province_only = &province_own[0];
    let ctx = "--data-urlencode 'certificateSystemName=演示系统' --data-urlencode 'certificateCallCategory=0' --data-urlencode 'certificateMatterName=演示事项' --data-urlencode 'certificateEventCode=DEMO0001' --data-urlencode 'certificateCopyCause=演示调用'";
    let auth = "-H \"Authorization: Bearer $TOKEN\"";
    println!(
        "licensed demo — a city node with {} sample licenses and its province node with {} \
         (the city pushed {} of its licenses up; {} are the province's own)",
        licenses.len(),
        province_own.len() + PUSHED.len(),
        PUSHED.len(),
        province_own.len()
    );
    println!("  data directory: {}", dir.display());
    println!("  listening on:   http://{addr}");
    if let Some(g) = listeners.grpc_addr() {
        println!("  gRPC on:        http://{g} (reflection enabled)");
    }
    println!("  province on:    http://{paddr} (the city's upstream)");
    println!("  OAuth client:   {CLIENT_ID} / {CLIENT_SECRET} (on both nodes)");
    println!("  account:        {USERNAME} / {PASSWORD} (every role, on both nodes)");
    println!(
        "  console:        http://{addr}{}/ (sign in with the account)\n",
        license_http::console::path("")
    );
    println!("# 1. a token");
    println!(
        "TOKEN=$(curl -s -X POST '{base}/oauth/token' -d 'grant_type=password&scope=read write&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&username={USERNAME}&password={PASSWORD}' | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')\n"
    );
    println!("# 2. query a license of the city library (interfaceType=1: city shape)");
    println!(
        "curl -s '{api}/ShareQueryCertInfo' {auth} --data-urlencode 'certificateID={}' --data-urlencode 'interfaceType=1' {ctx}\n",
        first.identifier
    );
    println!(
        "# 3. the same license from the province library (interfaceType=0, the default: the city \
         forwards to its province; province shape with cert_identifier {})",
        first.province_identifier.as_deref().unwrap_or_default()
    );
    println!(
        "curl -s '{api}/ShareQueryCertInfo' {auth} --data-urlencode 'certificateID={}' --data-urlencode 'interfaceType=0' {ctx}\n",
        first.file_number
    );
    println!("# 4. both libraries at once: in both, in the province only, in the city only");
    for (l, what) in [
        (first, "both"),
        (province_only, "province only"),
        (city_only, "city only"),
    ] {
        println!(
            "curl -s '{api}/shengShiStateInfo' {auth} --data-urlencode 'certificateHolderCode={}' --data-urlencode 'certificateHolderCodeType=111' --data-urlencode 'certTypeCode={}' {ctx}   # {what}",
            l.holder_code, l.cert_type_code
        );
    }
    println!();
    println!(
        "# 5. push a city license up to the province (answers the province's identifier; again, the same)"
    );
    println!(
        "curl -s '{api}/insertToProvince' {auth} --data-urlencode 'fileNumber={}'",
        city_only.file_number
    );
    println!(
        "curl -s '{base}/admin/outbox' {auth}   # the city's outbox: pending, delivered, failed\n"
    );
    println!("# 6. a download link (an annotated copy, valid 10 minutes), then the file");
    println!(
        "URL=$(curl -s '{api}/ShareDownloadUrl' {auth} --data-urlencode 'certificateID={}' {ctx} | sed -E 's/.*\"fileUrl\":\"([^\"]+)\".*/\\1/')",
        first.identifier
    );
    println!("curl -s -o license.ofd \"$URL\"\n");
    println!("# 7. verify the downloaded file");
    println!(
        "curl -s '{api}/ShareVerifyCertInfo' {auth} --data-urlencode 'certTypeCode={}' --data-urlencode 'contentType=base64' --data-urlencode \"content=$(base64 -w0 license.ofd)\" --data-urlencode 'useCause=演示核验' --data-urlencode 'interfaceType=1'\n",
        first.cert_type_code
    );
    println!("# 8. the public verification page behind the license's QR code");
    println!("{base}/verify/{}\n", first.qr_token);
    println!("Press Ctrl-C to stop.");
    let city = node::serve_on(listeners, node).await;
    let province = province_task
        .await
        .map_err(|e| format!("the province node failed: {e}"))?;
    city.and(province)
}
