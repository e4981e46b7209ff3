//! Real `licensed` nodes for federation tests: a data directory, a role, optionally a database
//! of its own on PostgreSQL or MariaDB, provisioned through the operators' CLI.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{Demo, enc, field, http, post_form};

const BIN: &str = env!("CARGO_BIN_EXE_licensed");
/// Where the share interfaces live.
pub const API: &str = "/license-api-release/m/v/license/external/api";
/// The password of every test account.
pub const PASSWORD: &str = "federation-password";
/// The secret of every test client.
pub const SECRET: &str = "federation-secret";

/// A node's home: data directory, role, database.
pub struct Node {
    /// Data directory (SQLite, files, key).
    pub dir: PathBuf,
    /// `city` or `province`.
    pub role: &'static str,
    /// An external database, when not SQLite.
    pub database_url: Option<String>,
}

/// A serving node: its process (killed on drop), HTTP `host:port` and gRPC URL.
pub struct Served {
    /// The process.
    pub child: Demo,
    /// HTTP `host:port`.
    pub http: String,
    /// gRPC URL.
    pub grpc: String,
}

impl Node {
    /// A fresh node: an empty data directory and, when given, an emptied database.
    pub async fn fresh(name: &str, role: &'static str, database_url: Option<String>) -> Node {
        let dir = std::env::temp_dir().join(format!("node-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(url) = &database_url {
            let store = license_store::SeaStore::connect(url, 2)
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            store.reset().await.unwrap();
        }
        Node {
            dir,
            role,
            database_url,
        }
    }

    /// `licensed` for this node, with its environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env("LICENSED_DATA_DIR", &self.dir)
            .env("LICENSED_ROLE", self.role)
            .env("LICENSED_LOG", "warn")
            .env_remove("LICENSED_DATABASE_URL");
        if let Some(url) = &self.database_url {
            c.env("LICENSED_DATABASE_URL", url);
        }
        c
    }

    /// An account with these roles and an OAuth client, through the CLI.
    pub fn provision(&self, user: &str, client: &str, roles: &str) {
        let mut add = self
            .command()
            .args(["account", "add", user, "--roles", roles, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        add.stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        assert!(add.wait().unwrap().success());
        let ok = self
            .command()
            .args(["client", "add", client, "--secret", SECRET])
            .output()
            .unwrap();
        assert!(ok.status.success(), "{ok:?}");
    }

    /// Imports JSON Lines through the CLI.
    pub fn import(&self, lines: &str) {
        let file = self.dir.join("import.jsonl");
        std::fs::write(&file, lines).unwrap();
        let out = self
            .command()
            .args(["license", "import"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    /// Serves the node on `http_addr` with extra environment.
    pub fn serve(&self, http_addr: &str, env: &[(&str, String)]) -> Served {
        let (child, lines) = self.spawn(http_addr, env, 2);
        // `licensed listening on http://host:port` (or https://).
        let http = lines[0]
            .strip_prefix("licensed listening on ")
            .and_then(|u| u.split_once("://"))
            .unwrap_or_else(|| panic!("{}", lines[0]))
            .1
            .to_owned();
        let grpc = lines[1]
            .strip_prefix("licensed gRPC on ")
            .unwrap_or_else(|| panic!("{}", lines[1]))
            .to_owned();
        Served { child, http, grpc }
    }

    /// Starts `licensed serve` on `http_addr` with extra environment; the first `lines` lines
    /// it prints (where it listens).
    pub fn spawn(
        &self,
        http_addr: &str,
        env: &[(&str, String)],
        lines: usize,
    ) -> (Demo, Vec<String>) {
        let mut cmd = self.command();
        cmd.arg("serve")
            .env("LICENSED_HTTP_ADDR", http_addr)
            .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
            // Loads of one account (a city's at its province) from one address: the budgets
            // are off unless a test sets them (`env` below wins).
            .env("LICENSED_RATE_LIMIT_PER_MINUTE", "0")
            .env("LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", "0")
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("NODE_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = Demo(cmd.spawn().unwrap());
        let out = BufReader::new(child.0.stdout.take().unwrap())
            .lines()
            .take(lines)
            .map(|l| l.unwrap())
            .collect::<Vec<_>>();
        assert_eq!(out.len(), lines, "the node printed {out:?}");
        (child, out)
    }
}

/// The city side of a `[province]` table, as environment.
pub fn upstream_env(url: &str, transport: &str, timeout_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("LICENSED_PROVINCE_URL", url.to_owned()),
        ("LICENSED_PROVINCE_TRANSPORT", transport.to_owned()),
        ("LICENSED_PROVINCE_CLIENT_ID", "zaozhuang-client".to_owned()),
        ("LICENSED_PROVINCE_CLIENT_SECRET", SECRET.to_owned()),
        ("LICENSED_PROVINCE_USERNAME", "zaozhuang".to_owned()),
        ("LICENSED_PROVINCE_PASSWORD", PASSWORD.to_owned()),
        ("LICENSED_PROVINCE_TIMEOUT_MS", timeout_ms.to_string()),
    ]
}

/// A password-grant access token.
pub fn token(addr: &str, user: &str, client: &str) -> String {
    let r = post_form(
        addr,
        "/license-api-release/oauth/token",
        None,
        &format!(
            "grant_type=password&client_id={client}&client_secret={SECRET}&username={user}&password={PASSWORD}"
        ),
    );
    field(&r, "access_token").unwrap_or_else(|| panic!("{r}"))
}

/// The JSON body of a response.
pub fn body(response: &str) -> Value {
    let (_, b) = response.split_once("\r\n\r\n").unwrap_or(("", response));
    serde_json::from_str(b).unwrap_or_else(|e| panic!("{e}: {response}"))
}

/// An authenticated GET; the JSON body.
pub fn get_json(addr: &str, path: &str, token: &str) -> Value {
    body(&http(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
        ),
    ))
}

/// A holder-code call (4.3.7 parameters) on a share interface.
pub fn holder_call(
    addr: &str,
    name: &str,
    token: &str,
    holder: &str,
    cert_type: &str,
    interface_type: &str,
) -> String {
    let ctx = format!(
        "certificateSystemName={}&certificateCallCategory=0&certificateMatterName={}&certificateEventCode=E1&certificateCopyCause={}",
        enc("市级办事大厅"),
        enc("跨库查询"),
        enc("联调测试")
    );
    post_form(
        addr,
        &format!("{API}/{name}"),
        Some(token),
        &format!(
            "certificateHolderCode={holder}&certificateHolderCodeType=111&certTypeCode={cert_type}&interfaceType={interface_type}&{ctx}"
        ),
    )
}

/// Every license of a node (admin API), as JSON objects.
pub fn licenses(addr: &str, admin_token: &str) -> Vec<Value> {
    let v = get_json(
        addr,
        "/license-api-release/admin/licenses?size=500",
        admin_token,
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
    v["data"]["items"].as_array().unwrap().clone()
}

/// How many pushes of a city's outbox are in a state.
pub fn outbox_count(addr: &str, admin_token: &str, state: &str) -> u64 {
    let v = get_json(
        addr,
        &format!("/license-api-release/admin/outbox?state={state}&size=1"),
        admin_token,
    );
    assert_eq!(v["head"]["status"], "0", "{v}");
    v["data"]["total"].as_u64().unwrap()
}

/// A database of its own for a node, beside the one a test URL names (created when missing):
/// `…/test` → `…/test_<suffix>`.
pub async fn own_database(url: &str, suffix: &str) -> String {
    use sea_orm::ConnectionTrait;
    let (base, name) = url.rsplit_once('/').unwrap();
    let name = name.split('?').next().unwrap();
    let db = format!("{name}_{}", suffix.replace('-', "_"));
    let store = license_store::SeaStore::connect(url, 1)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let sql = if url.starts_with("postgres") {
        format!("CREATE DATABASE {db}")
    } else {
        format!("CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    };
    // PostgreSQL has no IF NOT EXISTS for databases: "already exists" is fine.
    if let Err(e) = store.connection().execute_unprepared(&sql).await
        && !e.to_string().contains("already exists")
    {
        panic!("{sql}: {e}");
    }
    format!("{base}/{db}")
}
