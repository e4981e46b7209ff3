//! Console sessions: an administrator's password (no OAuth client) under the token endpoint's
//! lock-out, the `admin` role, a session that ends after the idle time unless renewed, and
//! sign-out; the overview's tally of today's calls.

use chrono::Duration;
use license_core::admin::AdminService;
use license_core::service::*;
use license_core::{Interface, ReturnCode, Role};

use super::*;

pub(super) async fn console(f: &Fixture) {
    let p = &f.platform;
    p.create_account(
        "operator",
        "operator-password",
        vec![Role::Admin],
        vec![],
        None,
    )
    .await
    .unwrap();
    let here = Caller {
        client_addr: Some("127.0.0.1".into()),
        ..Caller::default()
    };

    // Only an administrator signs in; the pair is the console's, not an OAuth client's.
    let e = p
        .console_sign_in(&here, "info-only", "info-password")
        .await
        .unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidGrant);
    assert!(e.description.contains("admin role"), "{e}");
    let g = p
        .console_sign_in(&here, "operator", "operator-password")
        .await
        .unwrap();
    assert_eq!(g.expires_in, 30 * 60, "the idle time");
    let o = AdminService::overview(p, &caller(&g.access_token))
        .await
        .unwrap();
    assert!(o.database_ready);
    assert!(
        o.calls
            .iter()
            .any(|c| c.interface == Interface::Token && c.code == ReturnCode::Success),
        "the sign-in is counted among today's calls: {:?}",
        o.calls
    );

    // Kept alive within the idle time; ended once idle past it, and not revived.
    let session = caller(&g.access_token);
    f.clock.advance(Duration::minutes(20));
    assert!(p.console_touch(&session).await.unwrap());
    f.clock.advance(Duration::minutes(25));
    assert_eq!(
        code(AdminService::overview(p, &session).await),
        ReturnCode::Success,
        "45 minutes after sign-in, 25 after the last page"
    );
    f.clock.advance(Duration::minutes(31));
    assert_eq!(
        code(AdminService::overview(p, &session).await),
        ReturnCode::Unauthorized
    );
    assert!(!p.console_touch(&session).await.unwrap());
    // Only the console's own pairs are extended.
    let oauth = login(p, "hall", "hall-password").await.unwrap();
    assert!(!p.console_touch(&caller(&oauth.access_token)).await.unwrap());

    // Sign-out ends a session at once.
    let g = p
        .console_sign_in(&here, "operator", "operator-password")
        .await
        .unwrap();
    p.console_sign_out(&caller(&g.access_token)).await;
    assert_eq!(
        code(AdminService::overview(p, &caller(&g.access_token)).await),
        ReturnCode::Unauthorized
    );

    // The console's client id is no OAuth client's to take.
    assert_eq!(
        code(
            AdminService::add_client(
                p,
                &caller(
                    &p.console_sign_in(&here, "operator", "operator-password")
                        .await
                        .unwrap()
                        .access_token
                ),
                CONSOLE_CLIENT.into(),
                "secret".into()
            )
            .await
        ),
        ReturnCode::Unparseable
    );

    // The lock-out holds for the console as at the token endpoint.
    for _ in 0..5 {
        let e = p
            .console_sign_in(&here, "operator", "wrong")
            .await
            .unwrap_err();
        assert_eq!(e.kind, OAuthErrorKind::InvalidGrant);
    }
    let e = p
        .console_sign_in(&here, "operator", "operator-password")
        .await
        .unwrap_err();
    assert!(e.description.contains("locked"), "{e}");
}
