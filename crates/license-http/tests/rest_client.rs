//! The REST client against the REST front of a real platform (SQLite, real document engine):
//! every interface answers through the wire exactly as the platform answers in process; the
//! client logs in and re-logs in by itself; a node that does not answer is return code 1.

mod common;

use std::time::{Duration, Instant};

use common::{HOLDER, Node, caller, ctx, node};
use license_core::service::*;
use license_core::upstream::Credentials;
use license_core::{LicenseService, ReturnCode};
use license_http::{RestClient, RestClientConfig};

fn client(base: &str, timeout: Duration, own_account: bool) -> RestClient {
    RestClient::new(RestClientConfig {
        base_url: base.to_owned(),
        credentials: Credentials {
            client_id: "hall-client".into(),
            client_secret: "hall-secret".into(),
            username: if own_account { "hall" } else { "" }.into(),
            password: "hall-password".into(),
        },
        timeout,
        ca_pem: None,
    })
    .unwrap()
}

/// What a run of every interface answered, with the parts that differ per call by design
/// (tokens, link ids, timings, signed copies' bytes) reduced to their kind.
async fn transcript(svc: &dyn LicenseService, n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let grant = |password: &str| PasswordGrant {
        client_id: Some("hall-client".into()),
        client_secret: Some("hall-secret".into()),
        scope: Some("read write".into()),
        username: Some("hall".into()),
        password: Some(password.into()),
    };
    out.push(format!(
        "{:?}",
        svc.issue_token(&caller(None), grant("wrong-password"))
            .await
    ));
    let g = svc
        .issue_token(&caller(None), grant("hall-password"))
        .await
        .unwrap();
    out.push(format!("scope {} expires {}", g.scope, g.expires_in));
    let refreshed = svc
        .refresh_token(
            &caller(None),
            RefreshGrant {
                client_id: Some("hall-client".into()),
                client_secret: Some("hall-secret".into()),
                scope: None,
                refresh_token: Some(g.refresh_token.clone()),
            },
        )
        .await
        .unwrap();
    let t = Some(refreshed.access_token.as_str());
    out.push(format!(
        "old token after refresh: {:?}",
        svc.query_cert_info(
            &caller(Some(&g.access_token)),
            QueryCertInfoRequest {
                certificate_id: Some(n.identifier.clone()),
                interface_type: Some("1".into()),
                context: ctx(),
            }
        )
        .await
        .map(|_| ())
    ));
    for (id, it) in [
        (Some(n.identifier.clone()), Some("1")),
        (None, Some("1")),
        (Some("1.2.156.3005.2.nope".into()), Some("1")),
        (Some(n.identifier.clone()), Some("7")),
        (Some(n.identifier.clone()), None),
    ] {
        out.push(format!(
            "{:?}",
            svc.query_cert_info(
                &caller(t),
                QueryCertInfoRequest {
                    certificate_id: id,
                    interface_type: it.map(str::to_owned),
                    context: ctx(),
                }
            )
            .await
        ));
    }
    out.push(format!(
        "no token: {:?}",
        svc.query_cert_info(&caller(None).clone(), QueryCertInfoRequest::default())
            .await
            .map(|_| ())
            .map_err(|e| e.code)
    ));
    let holder = HolderQueryRequest {
        holder_code: Some(HOLDER.into()),
        holder_code_type: Some("111".into()),
        cert_type_code: Some("11100000000013127D001".into()),
        interface_type: Some("1".into()),
        context: ctx(),
        ..Default::default()
    };
    out.push(format!(
        "{:?}",
        svc.query_by_holder(&caller(t), holder.clone()).await
    ));
    out.push(format!(
        "{:?}",
        svc.sheng_shi_state(&caller(t), holder.clone()).await
    ));
    let links = svc
        .download_urls_by_holder(&caller(t), holder.clone())
        .await
        .unwrap();
    match &links.data {
        Shaped::City(p) => out.push(format!(
            "links {} {:?}",
            p.total,
            p.items
                .iter()
                .map(|l| (
                    l.certificate_number.clone(),
                    l.file_url.starts_with(&n.base)
                ))
                .collect::<Vec<_>>()
        )),
        Shaped::Province(_) => out.push("province links".into()),
    }
    let link = svc
        .share_download_url(
            &caller(t),
            DownloadUrlRequest {
                certificate_id: Some(n.identifier.clone()),
                expiry_time: None,
                context: ctx(),
            },
        )
        .await
        .map(|a| a.library);
    out.push(format!("link {link:?}"));
    out.push(format!(
        "{:?}",
        svc.verify_cert_info(
            &caller(t),
            VerifyInfoRequest {
                cert_type_code: Some("11100000000013127D001".into()),
                certificate_data: Some(r#"{"certificateNumber":"370402199001011234"}"#.into()),
                use_for: Some("办理业务核验".into()),
                holder_code: Some(HOLDER.into()),
                interface_type: Some("1".into()),
                context: ctx(),
            }
        )
        .await
    ));
    let file = svc
        .download_file(
            &caller(t),
            DownloadFileRequest {
                certificate_identifier: Some(n.identifier.clone()),
                copy_expiring_time: None,
                interface_type: Some("1".into()),
                file_type: Some("ofd".into()),
                context: ctx(),
            },
        )
        .await
        .unwrap();
    let FileContent::Ofd(ofd) = &file.data.content else {
        panic!("an OFD")
    };
    out.push(format!(
        "file {} {}",
        file.data.cert_identifier,
        ofd.len() > 1000
    ));
    use base64::Engine;
    out.push(format!(
        "{:?}",
        svc.verify_cert_file(
            &caller(t),
            VerifyFileRequest {
                cert_type_code: Some("11100000000013127D001".into()),
                content_type: Some("base64".into()),
                content: Some(base64::engine::general_purpose::STANDARD.encode(ofd)),
                use_cause: Some("办理业务核验".into()),
                interface_type: Some("1".into()),
                context: ctx(),
            }
        )
        .await
    ));
    let png = svc
        .download_file(
            &caller(t),
            DownloadFileRequest {
                certificate_identifier: Some(n.identifier.clone()),
                copy_expiring_time: None,
                interface_type: Some("1".into()),
                file_type: Some("png".into()),
                context: ctx(),
            },
        )
        .await
        .map(|a| match a.data.content {
            FileContent::PageImages(p) => format!("{} pages", p.len()),
            FileContent::Ofd(_) => "ofd".into(),
        });
    out.push(format!("{png:?}"));
    let qr = svc
        .query_by_qr_code(
            &caller(t),
            QrQueryRequest {
                qr_value: Some(n.qr.clone()),
                interface_type: Some("1".into()),
                context: ctx(),
                operator: Default::default(),
            },
        )
        .await
        .map(|mut a| {
            if let Shaped::City(r) = &mut a.data {
                r.elapsed_ms = 0;
            }
            a
        });
    out.push(format!("{qr:?}"));
    let pdf = svc
        .download_pdf(
            &caller(t),
            PdfRequest {
                abstract_code: Some(n.abstract_code.clone()),
            },
        )
        .await
        .map(|b| b.starts_with(b"%PDF"));
    out.push(format!("pdf {pdf:?}"));
    out.push(format!(
        "{:?}",
        svc.download_pdf(
            &caller(t),
            PdfRequest {
                abstract_code: None
            }
        )
        .await
    ));
    let sync = SyncRequest {
        file_number: Some(n.identifier.clone()),
        cert_identifier: None,
    };
    out.push(format!(
        "{:?}",
        svc.insert_to_province(&caller(t), sync.clone()).await
    ));
    out.push(format!(
        "{:?}",
        svc.update_to_province(&caller(t), sync.clone()).await
    ));
    out.push(format!(
        "{:?}",
        svc.delete_to_province(&caller(t), sync).await
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_client_answers_as_the_platform_does() {
    let n = node().await;
    let local = transcript(n.platform.as_ref(), &n).await;
    let remote = transcript(&client(&n.base, Duration::from_secs(30), false), &n).await;
    for (i, (a, b)) in local.iter().zip(&remote).enumerate() {
        assert_eq!(a, b, "step {i} differs");
    }
    assert_eq!(local.len(), remote.len());
    assert!(local[3].contains("Ok(Answer"), "{}", local[3]);
    assert!(
        local
            .iter()
            .any(|l| l.contains("Ok(Answer { library: City, data: Passed })")),
        "the downloaded copy verifies: {local:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_client_uses_its_own_account_and_logs_in_again() {
    let n = node().await;
    let c = client(&n.base, Duration::from_secs(30), true);
    let q = || QueryCertInfoRequest {
        certificate_id: Some(n.identifier.clone()),
        interface_type: Some("1".into()),
        context: ctx(),
    };
    assert!(c.query_cert_info(&caller(None), q()).await.is_ok());
    // The node forgets every token of the account (disable + enable): the client logs in
    // again by itself.
    n.platform.set_account_enabled("hall", false).await.unwrap();
    n.platform.set_account_enabled("hall", true).await.unwrap();
    assert!(c.query_cert_info(&caller(None), q()).await.is_ok());
    // Disabled for good: the node's answer comes through.
    n.platform.set_account_enabled("hall", false).await.unwrap();
    let e = c.query_cert_info(&caller(None), q()).await.unwrap_err();
    assert_eq!(e.code, ReturnCode::Unauthorized, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_answer_is_code_1_promptly() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let c = client(&base, Duration::from_millis(300), false);
    let started = Instant::now();
    let e = c
        .query_cert_info(&caller(Some("t")), QueryCertInfoRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable, "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Nothing listening at all.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let e = client(&closed, Duration::from_millis(300), true)
        .query_cert_info(&caller(None), QueryCertInfoRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable, "{e:?}");
}
