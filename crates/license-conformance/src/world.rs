//! What the suite runs against: licenses in every state and the accounts of one run.

use std::collections::BTreeMap;

use license_core::admin::NewLicense;
use license_core::{License, Role};
use license_platform::Platform;
use license_platform::sample::citizen_id;

/// The identity card type: holder code type `111`, license type with face fields.
pub const ID_CARD: &str = "11100000000013127D001";
/// A second type, for cert-type limits.
pub const OTHER_TYPE: &str = "11100000000013338W006";
/// A code that is no cert type at all.
pub const NO_SUCH_TYPE: &str = "11100000000099999X001";
/// The OAuth client every run uses.
pub const CLIENT_ID: &str = "conformance-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "conformance-secret";
/// Every account's password.
pub const PASSWORD: &str = "conformance-password";

/// The licenses the scenarios use, as issued.
#[derive(Debug, Clone)]
pub struct World {
    /// The node's public base URL (download links start with it).
    pub base_url: String,
    /// Valid (正常有效), ID card type, holder [`World::holder`].
    pub valid: License,
    /// Two more valid ID-card licenses of the same holder (paging).
    pub siblings: Vec<License>,
    /// Not yet active (未激活).
    pub pending: License,
    /// Suspended (暂时失效).
    pub suspended: License,
    /// Revoked (已废止).
    pub revoked: License,
    /// Expired (已过期): its end date has passed.
    pub expired: License,
    /// Valid, of [`OTHER_TYPE`].
    pub other_type: License,
    /// The holder of `valid` and `siblings` (GB 11643).
    pub holder: String,
}

fn new_license(
    holder: &str,
    n: u64,
    cert_type: &str,
    end: &str,
    state: Option<&str>,
) -> NewLicense {
    let mut face = BTreeMap::new();
    face.insert("name".to_owned(), "张三".to_owned());
    face.insert("certno".to_owned(), holder.to_owned());
    NewLicense {
        cert_type_code: cert_type.to_owned(),
        certificate_name: None,
        certificate_number: format!("C{n:012}"),
        certificate_holder: "张三".into(),
        certificate_holder_code: holder.to_owned(),
        certificate_holder_type: "111".into(),
        issue_dept: "枣庄市公安局".into(),
        issue_dept_code: "11370000004504927A".into(),
        issue_date: "2020-01-02".into(),
        certificate_validate_start: "2020-01-02".into(),
        certificate_validate_end: Some(end.to_owned()),
        state: state.map(str::to_owned),
        face,
        cert_identifier: None,
        file_number: None,
        abstract_code: None,
    }
}

/// Issues the world on a node. `seed` picks the holders (distinct per run: databases are
/// shared between runs in CI).
pub async fn seed(p: &Platform, base_url: &str, seed: u64) -> World {
    let holder = citizen_id(seed % 14_000_000);
    let other = citizen_id((seed + 1) % 14_000_000);
    let n = seed * 100;
    let issue = |new: NewLicense| async move {
        p.issue_license(&new)
            .await
            .unwrap_or_else(|e| panic!("seeding {}: {e}", new.certificate_number))
    };
    // Databases are shared with other suites: the types' settings are this suite's own.
    for code in [ID_CARD, OTHER_TYPE] {
        p.set_cert_type(
            code,
            true,
            vec![license_core::params::CERTIFICATE_NUMBER.to_owned()],
        )
        .await
        .unwrap_or_else(|e| panic!("publishing {code}: {e}"));
    }
    // Databases are shared between runs: the client may exist already.
    if !p.clients().await.unwrap().iter().any(|c| c == CLIENT_ID) {
        p.add_client(CLIENT_ID, CLIENT_SECRET).await.unwrap();
    }
    let far = "2099-12-31";
    World {
        base_url: base_url.trim_end_matches('/').to_owned(),
        valid: issue(new_license(&holder, n, ID_CARD, far, None)).await,
        siblings: vec![
            issue(new_license(&holder, n + 1, ID_CARD, far, None)).await,
            issue(new_license(&holder, n + 2, ID_CARD, far, None)).await,
        ],
        pending: issue(new_license(&other, n + 3, ID_CARD, far, Some("pending"))).await,
        suspended: issue(new_license(&other, n + 4, ID_CARD, far, Some("suspended"))).await,
        revoked: issue(new_license(&other, n + 5, ID_CARD, far, Some("revoked"))).await,
        expired: issue(new_license(&other, n + 6, ID_CARD, "2021-01-01", None)).await,
        other_type: issue(new_license(&holder, n + 7, OTHER_TYPE, far, None)).await,
        holder,
    }
}

/// The accounts of one run (all with [`PASSWORD`]).
#[derive(Debug, Clone)]
pub struct Principals {
    /// What account names start with (reduced to `<run>` in transcripts).
    pub prefix: String,
    /// Every share role.
    pub full: String,
    /// Only `info`: may query, may not download.
    pub info_only: String,
    /// Every share role, limited to [`ID_CARD`].
    pub id_cards_only: String,
    /// Every share role, two holder searches a minute.
    pub throttled: String,
    /// Locked out by the scenarios' failed logins.
    pub locked: String,
}

/// Creates the accounts of one run on the node.
pub async fn principals(p: &Platform, run: &str) -> Principals {
    let prefix = format!("{run}-");
    let name = |n: &str| format!("{prefix}{n}");
    let share: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Admin)
        .collect();
    let accounts = [
        (name("full"), share.clone(), vec![]),
        (name("info"), vec![Role::Info], vec![]),
        (name("idcards"), share.clone(), vec![ID_CARD.to_owned()]),
        (name("throttled"), share.clone(), vec![]),
        (name("locked"), share, vec![]),
    ];
    for (user, roles, types) in accounts {
        let mut a = p
            .create_account(&user, PASSWORD, roles, types, None)
            .await
            .unwrap_or_else(|e| panic!("account {user}: {e}"));
        if user.ends_with("throttled") {
            a.holder_search_per_minute = Some(2);
            p.update_account(&a).await.unwrap();
        }
    }
    Principals {
        full: name("full"),
        info_only: name("info"),
        id_cards_only: name("idcards"),
        throttled: name("throttled"),
        locked: name("locked"),
        prefix,
    }
}
