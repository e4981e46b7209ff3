//! Bad input over the wire: malformed bodies, wrong content types, huge bodies, non-UTF-8 bytes,
//! unknown paths, wrong methods, SQL and script fragments in every parameter, over-long values,
//! invalid base64. Each gets its documented status and a clear message in the envelope; the
//! node keeps serving and stores nothing.

mod common;

use license_core::ports::LicenseFilter;
use serde_json::Value;

const SHARE: &str = "/license-api-release/m/v/license/external/api/";

/// Status, `head.status` and the whole body of an answer (which must be JSON).
async fn answer(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    assert!(
        r.headers().contains_key("x-request-id"),
        "every answer has a request id"
    );
    let text = r.text().await.unwrap();
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("HTTP {status}: not JSON: {text:?}"));
    let code = v["head"]["status"].as_str().unwrap_or("").to_owned();
    assert!(
        !v["head"]["message"].as_str().unwrap_or("").is_empty(),
        "a clear message: {v}"
    );
    (status, code, v)
}

fn ctx() -> Vec<(&'static str, String)> {
    vec![
        ("certificateSystemName", "测试系统".into()),
        ("certificateCallCategory", "0".into()),
        ("certificateMatterName", "测试事项".into()),
        ("certificateEventCode", "E1".into()),
        ("certificateCopyCause", "办理业务核验".into()),
        ("interfaceType", "1".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_answers_and_stores_nothing() {
    let n = common::node().await;
    let http = reqwest::Client::new();
    let t = common::token(&n.base, "hall", "hall-password").await;
    let url = |name: &str| format!("{}{SHARE}{name}", n.base);
    let before = n
        .platform
        .search_licenses(&LicenseFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .total;

    // Malformed JSON, malformed form, non-UTF-8 bytes: 400 with status 24.
    for (ct, body) in [
        ("application/json", b"{\"certificateID\": ".to_vec()),
        ("application/json", b"[1, 2, 3]".to_vec()),
        (
            "application/x-www-form-urlencoded",
            vec![b'a', b'=', 0xff, 0xfe],
        ),
        (
            "application/json",
            vec![b'{', b'"', 0xff, b'"', b':', b'1', b'}'],
        ),
    ] {
        let r = http
            .post(url("ShareQueryCertInfo"))
            .bearer_auth(&t)
            .header("content-type", ct)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, code, v) = answer(r).await;
        assert_eq!((status, code.as_str()), (400, "24"), "{ct} {body:?}: {v}");
    }

    // A content type we do not read: 415.
    let r = http
        .post(url("ShareQueryCertInfo"))
        .bearer_auth(&t)
        .header("content-type", "text/xml")
        .body("<certificateID>1</certificateID>")
        .send()
        .await
        .unwrap();
    let (status, code, _) = answer(r).await;
    assert_eq!((status, code.as_str()), (415, "24"));

    // A body over the limit: 413, on share, token and admin paths alike; 1 MiB where no file
    // arrives, the file limit on file verification and import only.
    let post = |path: String, size: usize| {
        http.post(format!("{}{path}", n.base))
            .bearer_auth(&t)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; size])
            .send()
    };
    let files = [
        format!("{SHARE}ShareVerifyCertInfo"),
        "/license-api-release/admin/licenses/import".to_owned(),
    ];
    let others = [
        format!("{SHARE}ShareQueryCertInfo"),
        format!("{SHARE}ShareQueryCertInfoByHo"),
        "/license-api-release/oauth/token".to_owned(),
        "/license-api-release/admin/licenses".to_owned(),
        "/license-api-release/m/v/license/province/api/collect/create".to_owned(),
    ];
    for path in &files {
        let r = post(path.clone(), license_http::DEFAULT_FILE_BODY_LIMIT + 1024)
            .await
            .unwrap();
        let (status, code, v) = answer(r).await;
        assert_eq!((status, code.as_str()), (413, "24"), "{path}: {v}");
    }
    let over_small = license_http::DEFAULT_BODY_LIMIT + 1024;
    for path in &others {
        let r = post(path.clone(), over_small).await.unwrap();
        let (status, code, v) = answer(r).await;
        assert_eq!((status, code.as_str()), (413, "24"), "{path}: {v}");
    }
    for path in &files {
        let r = post(path.clone(), over_small).await.unwrap();
        assert_ne!(r.status().as_u16(), 413, "{path} takes files");
    }
    // A token outside the body that is not live (in the header or the query) holds the
    // caller to the small limit before the body is read; a small body is answered as usual,
    // and a token that comes only in the body cannot be checked before it is read.
    for path in &files {
        let dead = |size: usize, in_query: bool| {
            let query = if in_query {
                "?access_token=no-such-token"
            } else {
                ""
            };
            let r = http
                .post(format!("{}{path}{query}", n.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![b'a'; size]);
            if in_query {
                r.send()
            } else {
                r.bearer_auth("no-such-token").send()
            }
        };
        for in_query in [false, true] {
            let (status, code, v) = answer(dead(over_small, in_query).await.unwrap()).await;
            assert_eq!((status, code.as_str()), (413, "24"), "{path}: {v}");
            let (status, code, v) = answer(dead(1024, in_query).await.unwrap()).await;
            assert_ne!(status, 413, "{path}: {v}");
            assert_eq!(code, "11", "{path}: refused for its token: {v}");
        }
        let r = http
            .post(format!("{}{path}", n.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; over_small])
            .send()
            .await
            .unwrap();
        let (status, code, v) = answer(r).await;
        assert_ne!(status, 413, "{path}: {v}");
        assert_eq!(code, "11", "{path}: {v}");
    }

    // Unknown paths: 404 with status 10; wrong methods: 405.
    let r = http
        .get(format!("{}/license-api-release/nope", n.base))
        .send()
        .await
        .unwrap();
    let (status, code, _) = answer(r).await;
    assert_eq!((status, code.as_str()), (404, "10"));
    let r = http
        .post(url("NoSuchInterface"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await.0, 404);
    for (method, path) in [
        (reqwest::Method::PUT, format!("{SHARE}ShareQueryCertInfo")),
        (
            reqwest::Method::DELETE,
            format!("{SHARE}ShareQueryCertInfo"),
        ),
        (
            reqwest::Method::GET,
            "/license-api-release/oauth/token".to_owned(),
        ),
    ] {
        let r = http
            .request(method.clone(), format!("{}{path}", n.base))
            .send()
            .await
            .unwrap();
        let (status, _, v) = answer(r).await;
        assert_eq!(status, 405, "{method} {path}: {v}");
    }

    // SQL and script fragments, and over-long values, in every parameter of every share
    // interface: business answers (HTTP 200), never a fault.
    let hostile = [
        "' OR '1'='1",
        "1; DROP TABLE licenses; --",
        "<script>alert(1)</script>",
        "${jndi:ldap://x}",
        "\u{0}\u{1}",
        &"长".repeat(5_000),
        &"9".repeat(50_000),
    ];
    let names = [
        "ShareDownloadUrl",
        "ShareQueryCertInfo",
        "ShareVerifyCertInfo",
        "ShareQueryCertInfoByQRcode",
        "ShareQueryCertInfoByHo",
        "ShareDownloadUrlsByHolderCode",
        "ShareDownloadFile",
        "shengShiStateInfo",
        "downloadPdfFile",
        "insertToProvince",
    ];
    let params = [
        "certificateID",
        "certificateIdentifier",
        "certificateHolderCode",
        "certificateHolderCodeType",
        "certTypeCode",
        "certificateData",
        "useFor",
        "qrValue",
        "abstractCode",
        "fileNumber",
        "expiryTime",
        "Page",
        "Size",
        "fileType",
        "certificateCopyCause",
        "certificateSystemName",
        "callDistrict",
    ];
    for name in names {
        for value in hostile {
            let mut form: Vec<(&str, String)> = ctx();
            for p in params {
                form.retain(|(k, _)| k != &p);
                form.push((p, value.to_owned()));
            }
            let r = http
                .post(url(name))
                .bearer_auth(&t)
                .form(&form)
                .send()
                .await
                .unwrap();
            let (status, code, v) = answer(r).await;
            assert_eq!(status, 200, "{name}: {v}");
            assert_ne!(code, "0", "{name} accepted {value:?}: {v}");
            assert_ne!(code, "99", "{name} faulted on {value:?}: {v}");
            assert!(
                !v.to_string().to_lowercase().contains("sql"),
                "no internals leak: {v}"
            );
        }
    }

    // Invalid base64 (and base64 of something that is not an OFD) for file verification: 24.
    for content in ["not base64 at all!!", "aGVsbG8gd29ybGQ="] {
        let r = http
            .post(url("ShareVerifyCertInfo"))
            .bearer_auth(&t)
            .form(&[
                ("certTypeCode", "11100000000013127D001"),
                ("contentType", "base64"),
                ("content", content),
                ("useCause", "办理业务核验"),
                ("interfaceType", "1"),
            ])
            .send()
            .await
            .unwrap();
        let (status, code, v) = answer(r).await;
        assert_eq!((status, code.as_str()), (200, "24"), "{v}");
    }

    // Still serving, and nothing was stored.
    let r = http
        .post(url("ShareQueryCertInfo"))
        .bearer_auth(&t)
        .form(&[ctx(), vec![("certificateID", n.identifier.clone())]].concat())
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await.1, "0");
    let after = n
        .platform
        .search_licenses(&LicenseFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .total;
    assert_eq!(before, after);
}
