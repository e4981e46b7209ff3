//! The token life cycle (API.md §2).

use license_core::ReturnCode;
use license_core::service::*;

use crate::world::{CLIENT_ID, CLIENT_SECRET, PASSWORD};

use super::*;

impl Run<'_> {
    /// The token life cycle; the caller with the full account's token.
    pub(crate) async fn tokens(&mut self) -> Caller {
        let (svc, w, who, way) = (self.svc, self.world, self.who, self.way);
        let valid = w.valid.identifier.to_string();
        let r = self;
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

        caller(Some(&t))
    }
}
