//! Accounts, clients, tokens, the login guard, budgets, download grants and cert types.

use license_core::Role;
use license_core::ports::*;
use license_store::SeaStore;

use super::*;

pub(super) async fn accounts_clients_tokens(s: &SeaStore) {
    let acct = Account {
        username: "办事大厅".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        roles: vec![Role::Info, Role::Search],
        cert_types: vec![],
        enabled: true,
        department: Some("枣庄市行政审批服务局".into()),
        holder_search_per_minute: Some(60),
        rate_limit_per_minute: Some(1_000),
    };
    AccountRepository::insert(s, &acct).await.unwrap();
    assert!(matches!(
        AccountRepository::insert(s, &acct).await,
        Err(PortError::Conflict(_))
    ));
    assert_eq!(
        AccountRepository::find(s, "办事大厅")
            .await
            .unwrap()
            .unwrap(),
        acct
    );
    let mut more = acct.clone();
    more.roles.push(Role::Admin);
    more.cert_types = vec!["11100000000013127D001".into()];
    assert!(AccountRepository::update(s, &more).await.unwrap());
    assert!(s.set_enabled("办事大厅", false).await.unwrap());
    let got = AccountRepository::find(s, "办事大厅")
        .await
        .unwrap()
        .unwrap();
    assert!(!got.enabled && got.roles.contains(&Role::Admin) && got.cert_types.len() == 1);
    assert!(!s.set_enabled("nobody", false).await.unwrap());
    assert_eq!(AccountRepository::list(s).await.unwrap().len(), 1);

    let client = OAuthClient {
        client_id: "xxxx-oauth".into(),
        secret_hash: "h".into(),
    };
    ClientRepository::insert(s, &client).await.unwrap();
    assert!(ClientRepository::insert(s, &client).await.is_err());
    assert_eq!(
        ClientRepository::find(s, "xxxx-oauth").await.unwrap(),
        Some(client.clone())
    );
    assert_eq!(ClientRepository::list(s).await.unwrap(), [client]);
    assert!(ClientRepository::delete(s, "xxxx-oauth").await.unwrap());
    assert!(!ClientRepository::delete(s, "xxxx-oauth").await.unwrap());

    let tok = StoredToken {
        access_digest: "a".repeat(64),
        refresh_digest: "r".repeat(64),
        username: "办事大厅".into(),
        client_id: "xxxx-oauth".into(),
        scope: "read write".into(),
        access_expires_at: t(100),
        refresh_expires_at: t(200),
    };
    TokenRepository::insert(s, &tok).await.unwrap();
    assert_eq!(
        s.find_by_access(&"a".repeat(64)).await.unwrap(),
        Some(tok.clone())
    );
    assert_eq!(
        s.take_by_refresh(&"r".repeat(64)).await.unwrap(),
        Some(tok.clone())
    );
    assert_eq!(
        s.take_by_refresh(&"r".repeat(64)).await.unwrap(),
        None,
        "a refresh token works once"
    );
    assert_eq!(s.find_by_access(&"a".repeat(64)).await.unwrap(), None);
    TokenRepository::insert(s, &tok).await.unwrap();
    assert_eq!(s.revoke_account("办事大厅").await.unwrap(), 1);
    TokenRepository::insert(s, &tok).await.unwrap();
    assert_eq!(s.revoke_client("another-client").await.unwrap(), 0);
    assert_eq!(s.revoke_client("xxxx-oauth").await.unwrap(), 1);
    assert_eq!(s.find_by_access(&"a".repeat(64)).await.unwrap(), None);

    login_lockout(s).await;
}

/// Lock-out: the count is raised atomically with the lock checked, on every backend, also
/// under concurrent attempts (as from several nodes sharing the database).
pub(super) async fn login_lockout(s: &SeaStore) {
    let policy = Lockout {
        max_failures: 3,
        window: chrono::Duration::minutes(10),
        lock_for: chrono::Duration::minutes(5),
    };
    assert_eq!(LoginGuard::get(s, "u").await.unwrap(), None);
    for _ in 0..2 {
        assert_eq!(
            s.attempt("u", t(0), &policy).await.unwrap(),
            LoginAttempt::Allowed
        );
    }
    assert_eq!(LoginGuard::get(s, "u").await.unwrap().unwrap().count, 2);
    assert_eq!(
        s.attempt("u", t(1), &policy).await.unwrap(),
        LoginAttempt::Allowed,
        "the third attempt is checked, and locks"
    );
    assert_eq!(
        s.attempt("u", t(2), &policy).await.unwrap(),
        LoginAttempt::Locked(t(301))
    );
    // The lock ends: a new count.
    assert_eq!(
        s.attempt("u", t(301), &policy).await.unwrap(),
        LoginAttempt::Allowed
    );
    let f = LoginGuard::get(s, "u").await.unwrap().unwrap();
    assert_eq!((f.count, f.locked_until), (1, None));
    // The window ends: a new count.
    s.attempt("u", t(302), &policy).await.unwrap();
    s.attempt("u", t(301 + 601), &policy).await.unwrap();
    assert_eq!(LoginGuard::get(s, "u").await.unwrap().unwrap().count, 1);
    LoginGuard::clear(s, "u").await.unwrap();
    assert_eq!(LoginGuard::get(s, "u").await.unwrap(), None);

    // 40 concurrent attempts on a fresh name: exactly `max_failures` are allowed.
    let attempts = (0..40).map(|_| s.attempt("racer", t(10), &policy));
    let results = futures_util::future::join_all(attempts).await;
    let allowed = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginAttempt::Allowed)))
        .count();
    let locked = results
        .iter()
        .filter(|r| matches!(r, Ok(LoginAttempt::Locked(_))))
        .count();
    assert_eq!((allowed, locked), (3, 37), "{results:?}");
    LoginGuard::clear(s, "racer").await.unwrap();
}

/// Per-account budgets: concurrent claims (as from several nodes) never grant more than the
/// limit, a short claim takes what is left, and opening a minute forgets the account's
/// earlier ones.
pub(super) async fn rate_budget(s: &SeaStore) {
    let claims = (0..20).map(|_| s.claim("scraper", 100, 7, 50));
    let granted: u32 = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(granted, 50, "20 claims of 7 against a limit of 50");
    // Many concurrent claims on a minute nobody opened yet, far from the limit: each gets
    // what it asked for — none takes the rest of the budget, none is refused.
    let claims = (0..40).map(|_| s.claim("crowd", 100, 10, 100_000));
    let grants: Vec<u32> = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(grants.iter().all(|&g| g == 10), "{grants:?}");
    assert_eq!(s.claim("scraper", 100, 7, 50).await.unwrap(), 0);
    assert_eq!(
        s.claim("other", 100, 7, 50).await.unwrap(),
        7,
        "its own budget"
    );
    assert_eq!(
        s.claim("other", 100, 50, 50).await.unwrap(),
        43,
        "what is left"
    );
    let windows = |account: &'static str| async move {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        license_store::entity::rate_window::Entity::find()
            .filter(license_store::entity::rate_window::Column::Account.eq(account))
            .count(s.connection())
            .await
            .unwrap()
    };
    assert_eq!(windows("scraper").await, 1);
    assert_eq!(
        s.claim("scraper", 101, 7, 50).await.unwrap(),
        7,
        "a new minute"
    );
    assert_eq!(
        windows("scraper").await,
        2,
        "the last minute stays: a node whose clock lags may still claim in it"
    );
    assert_eq!(s.claim("scraper", 102, 7, 50).await.unwrap(), 7);
    assert_eq!(
        windows("scraper").await,
        2,
        "minutes before the last are forgotten"
    );
    assert_eq!(
        windows("other").await,
        0,
        "another key's minutes before the last go too: no client address is kept longer"
    );
    assert_eq!(s.claim("other", 102, 7, 50).await.unwrap(), 7);
    assert_eq!(windows("other").await, 1, "the current minute is kept");
}

pub(super) async fn grants_and_types(s: &SeaStore) {
    let g = DownloadGrant {
        digest: "g".repeat(64),
        identifier: "id".into(),
        copy_key: "copies/x.ofd".into(),
        format: "ofd".into(),
        file_name: "证照.ofd".into(),
        expires_at: t(600),
        single_use: true,
        downloads: 0,
    };
    GrantRepository::insert(s, &g).await.unwrap();
    assert_eq!(s.redeem(&g.digest, t(700)).await.unwrap(), None, "expired");
    let got = s.redeem(&g.digest, t(10)).await.unwrap().unwrap();
    assert_eq!(got.downloads, 1);
    assert_eq!(
        s.redeem(&g.digest, t(11)).await.unwrap(),
        None,
        "single use"
    );
    let multi = DownloadGrant {
        digest: "m".repeat(64),
        single_use: false,
        ..g.clone()
    };
    GrantRepository::insert(s, &multi).await.unwrap();
    s.redeem(&multi.digest, t(1)).await.unwrap().unwrap();
    assert_eq!(
        s.redeem(&multi.digest, t(2))
            .await
            .unwrap()
            .unwrap()
            .downloads,
        2
    );
    assert_eq!(s.redeem("unknown", t(2)).await.unwrap(), None);

    let ct = CertTypeSettings {
        code: "11100000000013127D001".into(),
        published: false,
        verify_fields: vec![],
    };
    CertTypeRepository::put(s, &ct).await.unwrap();
    let ct2 = CertTypeSettings {
        published: true,
        verify_fields: vec!["certificateNumber".into(), "name".into()],
        ..ct.clone()
    };
    CertTypeRepository::put(s, &ct2).await.unwrap();
    assert_eq!(
        CertTypeRepository::get(s, &ct.code).await.unwrap(),
        Some(ct2.clone())
    );
    assert_eq!(CertTypeRepository::list(s).await.unwrap(), [ct2]);
}
