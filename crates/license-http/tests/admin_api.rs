//! The admin API over HTTP: issue, search, state changes, re-issue, import, accounts, clients,
//! cert types and "who used this license" from the audit log; the admin role is required.

mod common;

use serde_json::{Value, json};

struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    fn url(&self, path: &str) -> String {
        format!("{}/license-api-release/admin{path}", self.base)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }
}

fn license(number: &str) -> Value {
    json!({
        "certTypeCode": "11100000000013127D001",
        "certificateNumber": number,
        "certificateHolder": "李四",
        "certificateHolderCode": "11010519491231002X",
        "certificateHolderType": "111",
        "issueDept": "枣庄市公安局",
        "issueDeptCode": "11370000004504927A",
        "issueDate": "2025-03-04",
        "certificateValidateStart": "2025-03-04",
        "face": { "name": "李四" }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_over_http() {
    let n = common::node().await;
    let admin = Admin {
        http: reqwest::Client::new(),
        base: n.base.clone(),
        token: common::token(&n.base, "hall", "hall-password").await,
    };

    // Issue; a bad holder code is 14 with HTTP 400; a malformed body is 24.
    let (status, v) = admin.post("/licenses", license("A-1")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["head"]["status"], "0");
    let id = v["data"]["certIdentifier"].as_str().unwrap().to_owned();
    assert_eq!(v["data"]["state"], "valid");
    assert_eq!(v["data"]["certificateValidateEnd"], Value::Null);
    let mut bad = license("A-2");
    bad["certificateHolderCode"] = json!("110105194912310021");
    let (status, v) = admin.post("/licenses", bad).await;
    assert_eq!(
        (status, v["head"]["status"].as_str()),
        (400, Some("14")),
        "{v}"
    );
    let r = admin
        .http
        .post(admin.url("/licenses"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["head"]["status"], "24");

    // The token as the `access_token` query parameter, on a path with a query of its own as on
    // one without (API.md §1: the parameter or the bearer header).
    // The listings also read `accessToken`, the name their documentation once gave.
    let paths = ["/licenses?size=5", "/accounts", "/audit?size=5", "/outbox"];
    for (path, name) in paths.iter().map(|p| (p, "access_token")).chain(
        [
            ("/licenses?size=5", "accessToken"),
            ("/audit", "accessToken"),
        ]
        .iter()
        .map(|(p, n)| (p, *n)),
    ) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = admin
            .http
            .get(format!("{}{sep}{name}={}", admin.url(path), admin.token))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["head"]["status"], "0", "{path} {name}: {v}");
    }

    // Read back, search by holder and state.
    let (status, v) = admin.get(&format!("/licenses/{id}")).await;
    assert_eq!(
        (status, v["data"]["certificateNumber"].as_str()),
        (200, Some("A-1"))
    );
    let (_, v) = admin
        .get("/licenses?holderCode=11010519491231002X&state=valid&size=10")
        .await;
    assert_eq!(v["data"]["total"], 2, "{v}");
    let (status, v) = admin.get("/licenses?state=gone").await;
    assert_eq!((status, v["head"]["status"].as_str()), (400, Some("24")));
    let (status, _) = admin.get("/licenses/1.2.156.3005.2.nope").await;
    assert_eq!(status, 404);

    // State changes: suspend, then the share API refuses downloads with 23.
    let (status, v) = admin
        .post(
            &format!("/licenses/{id}/state"),
            json!({ "change": "suspend", "reason": "核查中" }),
        )
        .await;
    assert_eq!(
        (status, v["data"]["state"].as_str()),
        (200, Some("suspended")),
        "{v}"
    );
    let (status, v) = admin
        .post(
            &format!("/licenses/{id}/state"),
            json!({ "change": "suspend", "reason": "again" }),
        )
        .await;
    assert_eq!(
        (status, v["head"]["status"].as_str()),
        (400, Some("24")),
        "{v}"
    );
    let share: Value = admin
        .http
        .post(format!(
            "{}/license-api-release/m/v/license/external/api/ShareDownloadUrl",
            n.base
        ))
        .bearer_auth(&admin.token)
        .form(&[
            ("certificateID", id.as_str()),
            ("certificateSystemName", "测试系统"),
            ("certificateCallCategory", "0"),
            ("certificateMatterName", "测试事项"),
            ("certificateEventCode", "E1"),
            ("certificateCopyCause", "办理业务核验"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(share["head"]["status"], "23", "{share}");

    // Re-issue: version 2, the old one revoked.
    let (status, v) = admin
        .post(
            &format!("/licenses/{id}/reissue"),
            json!({ "certificateHolder": "李四四", "reason": "姓名更正" }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["version"], 2);
    assert!(
        v["data"]["certIdentifier"]
            .as_str()
            .unwrap()
            .contains(".002.")
    );
    let (_, old) = admin.get(&format!("/licenses/{id}")).await;
    assert_eq!(old["data"]["state"], "revoked");

    // Import: one good line, one bad.
    let jsonl = format!("{}\n{{\"certTypeCode\":\"x\"}}\n", license("B-1"));
    let v: Value = admin
        .http
        .post(admin.url("/licenses/import"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/x-ndjson")
        .body(jsonl)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["data"]["imported"], 1, "{v}");
    assert_eq!(v["data"]["rejected"][0]["line"], 2);

    // Accounts and clients; never a password hash.
    let (status, v) = admin
        .post(
            "/accounts",
            json!({ "username": "reader", "password": "reader-password", "roles": ["info"] }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = admin.get("/accounts").await;
    assert!(!v.to_string().contains("argon2"), "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let (status, v) = admin
        .post(
            "/accounts",
            json!({ "username": "x", "password": "long-enough", "roles": ["king"] }),
        )
        .await;
    assert_eq!((status, v["head"]["status"].as_str()), (400, Some("24")));
    let (status, _) = admin
        .post(
            "/clients",
            json!({ "clientId": "second", "secret": "s3cret" }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = admin.get("/clients").await;
    assert_eq!(v["data"], json!(["hall-client", "second"]));

    // A non-admin account gets 11 (HTTP 403) and the answer says what it may not use.
    let reader = Admin {
        http: reqwest::Client::new(),
        base: n.base.clone(),
        token: common::token(&n.base, "reader", "reader-password").await,
    };
    let (status, v) = reader.get("/accounts").await;
    assert_eq!(
        (status, v["head"]["status"].as_str()),
        (403, Some("11")),
        "{v}"
    );
    let (status, v) = Admin {
        token: "not-a-token".into(),
        ..reader
    }
    .get("/accounts")
    .await;
    assert_eq!((status, v["head"]["status"].as_str()), (403, Some("11")));

    // An administrator cannot lock themselves out.
    let (status, v) = admin
        .post("/accounts/hall/enabled", json!({ "enabled": false }))
        .await;
    assert_eq!(
        (status, v["head"]["status"].as_str()),
        (400, Some("24")),
        "{v}"
    );

    // Disable: its tokens stop working at once.
    let (status, _) = admin
        .post("/accounts/reader/enabled", json!({ "enabled": false }))
        .await;
    assert_eq!(status, 200);
    let (_, v) = admin.get("/accounts").await;
    let reader_row = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "reader")
        .unwrap()
        .clone();
    assert_eq!(reader_row["enabled"], false);

    // Cert types: withdraw one, issuing it is then 13.
    let (status, _) = admin
        .send(
            reqwest::Method::PUT,
            "/cert-types/11100000000013127D001",
            json!({ "published": false, "verifyFields": ["certificateNumber", "certificateHolder"] }),
        )
        .await;
    assert_eq!(status, 200);
    let (_, v) = admin.get("/cert-types").await;
    let row = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "11100000000013127D001")
        .unwrap()
        .clone();
    assert_eq!(row["published"], false);
    assert_eq!(
        row["verifyFields"],
        json!(["certificateNumber", "certificateHolder"])
    );
    let (status, v) = admin.post("/licenses", license("A-3")).await;
    assert_eq!(
        (status, v["head"]["status"].as_str()),
        (400, Some("13")),
        "{v}"
    );

    // Who used this license: the failed download is in the audit log, by license and holder.
    let (status, v) = admin.get(&format!("/audit?license={id}")).await;
    assert_eq!(status, 200, "{v}");
    let interfaces: Vec<&str> = v["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["interface"].as_str().unwrap())
        .collect();
    assert!(interfaces.contains(&"ShareDownloadUrl"), "{v}");
    assert!(interfaces.contains(&"admin"), "{v}");
    let download = v["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["interface"] == "ShareDownloadUrl")
        .unwrap();
    assert_eq!(download["code"], "23");
    assert_eq!(download["username"], "hall");
    assert_eq!(download["context"]["certificateCopyCause"], "办理业务核验");
    let (_, v) = admin
        .get("/audit?holderCode=11010519491231002X&interface=ShareDownloadUrl")
        .await;
    assert!(v["data"]["total"].as_u64().unwrap() >= 1, "{v}");
    let (status, _) = admin.get("/audit?from=yesterday").await;
    assert_eq!(status, 400);
}
