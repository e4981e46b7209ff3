//! Accounts and tokens, then the licenses in every state.

use chrono::Duration;
use license_core::service::*;
use license_core::{LicenseService, ReturnCode, Role};

use super::*;

/// Accounts and tokens, then the licenses in every state; the full and the info-only tokens
/// the later stages use.
pub(super) async fn tokens_and_licenses(f: &Fixture) -> (String, String, Issued) {
    let p = &f.platform;
    p.add_client("xxxx-oauth", "xxxx-mobile").await.unwrap();
    p.create_account(
        "hall",
        "hall-password",
        Role::ALL.to_vec(),
        vec![],
        Some("枣庄市行政审批服务局".into()),
    )
    .await
    .unwrap();
    p.create_account(
        "info-only",
        "info-password",
        vec![Role::Info],
        vec![TYPE_OTHER.into()],
        None,
    )
    .await
    .unwrap();

    // --- tokens -------------------------------------------------------------------------
    let grant = login(p, "hall", "hall-password").await.unwrap();
    assert_eq!(grant.scope, "read write");
    assert_eq!(grant.expires_in, 43_200);
    assert_eq!(grant.access_token.len(), 36, "a UUID");
    let e = login(p, "hall", "wrong").await.unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidGrant);
    let bad_client = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("no".into()),
                username: Some("hall".into()),
                password: Some("hall-password".into()),
                scope: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_client.kind, OAuthErrorKind::InvalidClient);
    let bad_scope = p
        .issue_token(
            &Caller::default(),
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("xxxx-mobile".into()),
                username: Some("hall".into()),
                password: Some("hall-password".into()),
                scope: Some("admin".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad_scope.kind, OAuthErrorKind::InvalidScope);
    // Lock-out: five failures lock even the right password out.
    for _ in 0..5 {
        let _ = login(p, "info-only", "nope").await;
    }
    let locked = login(p, "info-only", "info-password").await.unwrap_err();
    assert!(locked.description.contains("locked"), "{locked:?}");
    f.clock.advance(Duration::minutes(16));
    let info_token = login(p, "info-only", "info-password")
        .await
        .unwrap()
        .access_token;
    concurrent_lockout(f).await;
    shared_budget(f).await;

    // Refresh rotates both tokens.
    let refresh = || {
        let again = RefreshGrant {
            client_id: Some("xxxx-oauth".into()),
            client_secret: Some("xxxx-mobile".into()),
            scope: None,
            refresh_token: Some(grant.refresh_token.clone()),
        };
        async move { p.refresh_token(&Caller::default(), again).await }
    };
    let refreshed = refresh().await.unwrap();
    let again = refresh().await.unwrap_err();
    assert_eq!(again.kind, OAuthErrorKind::InvalidGrant);
    let token = refreshed.access_token;

    // --- licenses -----------------------------------------------------------------------
    let issue = |number: &str, from: &str, to: Option<&str>, state: &str| {
        let l = new_license(TYPE_ID, number, from, to, state);
        async move { p.issue_license(&l).await }
    };
    let valid = issue("V-1", "2024-01-01", None, "valid").await.unwrap();
    let expired = issue("E-1", "2020-01-01", Some("2025-12-31"), "valid")
        .await
        .unwrap();
    let revoked = issue("R-1", "2021-01-01", None, "revoked").await.unwrap();
    let suspended = issue("S-1", "2022-01-01", None, "suspended").await.unwrap();
    let pending = issue("P-1", "2023-01-01", None, "pending").await.unwrap();
    assert_eq!(
        valid.identifier.scheme(),
        license_core::CheckScheme::Standard
    );
    assert_eq!(valid.abstract_code.len(), 9);
    assert_eq!(valid.certificate_name, "中华人民共和国居民身份证");

    // Old token is gone after the refresh.
    assert_eq!(
        code(
            p.query_cert_info(
                &caller(&grant.access_token),
                query(valid.identifier.as_str())
            )
            .await
        ),
        ReturnCode::Unauthorized
    );

    (
        token,
        info_token,
        Issued {
            valid,
            expired,
            revoked,
            suspended,
            pending,
        },
    )
}
