//! Lock-out and the shared budget under concurrency.

use chrono::Duration;
use license_core::service::*;
use license_core::{LicenseService, ReturnCode, Role};
use license_platform::Platform;

use super::*;

/// 40 concurrent wrong passwords: at most `max_failures` reach the hash, the rest answer
/// "locked", and the right password is refused until the lock ends. Names that are no account
/// lock alike, without a row. One address past its budget is slowed down before any check.
pub(super) async fn concurrent_lockout(f: &Fixture) {
    let p = &f.platform;
    p.create_account("racer", "racer-password", vec![Role::Info], vec![], None)
        .await
        .unwrap();
    let max = p.config().lockout.max_failures as usize;
    let attempts = (0..40).map(|_| login(p, "racer", "wrong-password"));
    let answers = futures_util::future::join_all(attempts).await;
    let checked = answers
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|e| e.description.contains("bad username"))
        })
        .count();
    let locked = answers
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.description.contains("locked")))
        .count();
    assert_eq!((checked, locked), (max, 40 - max), "{answers:?}");
    let stored = p.ports().logins.get("racer").await.unwrap().unwrap();
    assert_eq!(stored.count as usize, max);
    let refused = login(p, "racer", "racer-password").await.unwrap_err();
    assert!(refused.description.contains("locked"), "{refused:?}");

    for _ in 0..max {
        let e = login(p, "no-such-user", "guess").await.unwrap_err();
        assert!(e.description.contains("bad username"), "{e:?}");
    }
    let e = login(p, "no-such-user", "guess").await.unwrap_err();
    assert!(
        e.description.contains("locked"),
        "an unknown name locks too: {e:?}"
    );
    assert_eq!(p.ports().logins.get("no-such-user").await.unwrap(), None);

    let from = Caller {
        client_addr: Some("198.51.100.7".into()),
        ..Caller::default()
    };
    let budget = p.config().token_requests_per_address_per_minute as usize;
    let mut slowed = 0;
    for i in 0..budget + 3 {
        let r = p
            .issue_token(
                &from,
                PasswordGrant {
                    client_id: Some("xxxx-oauth".into()),
                    client_secret: Some("wrong-secret".into()),
                    scope: None,
                    username: Some(format!("u{i}")),
                    password: Some("x".into()),
                },
            )
            .await
            .unwrap_err();
        if r.kind == OAuthErrorKind::SlowDown {
            slowed += 1;
        }
    }
    assert_eq!(slowed, 3, "past {budget} a minute from one address");
    f.clock.advance(Duration::minutes(1));
    let e = p
        .issue_token(
            &from,
            PasswordGrant {
                client_id: Some("xxxx-oauth".into()),
                client_secret: Some("wrong-secret".into()),
                ..PasswordGrant::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, OAuthErrorKind::InvalidClient, "a new minute");
}

/// One budget per account over every interface of personal data, counted in the database:
/// a second platform on the same store (a second node) draws on the same budget.
pub(super) async fn shared_budget(f: &Fixture) {
    let p = &f.platform;
    let mut account = p
        .create_account(
            "scraper",
            "scraper-password",
            Role::ALL.to_vec(),
            vec![],
            None,
        )
        .await
        .unwrap();
    account.rate_limit_per_minute = Some(40);
    p.update_account(&account).await.unwrap();
    let (other, _task) = Platform::new(p.ports().clone(), p.config().clone());
    let token = login(p, "scraper", "scraper-password")
        .await
        .unwrap()
        .access_token;
    let mut answers = Vec::new();
    for i in 0..60 {
        let node = if i % 2 == 0 { p } else { &other };
        // Queries and verifications alike draw on the one budget.
        let r = if i % 3 == 0 {
            node.query_by_holder(&caller(&token), holder_req(TYPE_ID))
                .await
                .map(drop)
        } else {
            node.query_cert_info(&caller(&token), query("nothing-by-this-key"))
                .await
                .map(drop)
        };
        answers.push(r);
    }
    let limited: Vec<_> = answers
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.code == ReturnCode::Other)
        .collect();
    assert_eq!(limited.len(), 20, "40 of 60 calls within the budget");
    let e = limited[0];
    assert!(e.detail.as_ref().unwrap().contains("rate limit exceeded"));
    assert!(e.retry_after_secs.is_some_and(|s| s <= 60));
    // A new minute, a new budget.
    f.clock.advance(Duration::minutes(1));
    assert_ne!(
        code(
            other
                .query_cert_info(&caller(&token), query("nothing-by-this-key"))
                .await
        ),
        ReturnCode::Other
    );
}
