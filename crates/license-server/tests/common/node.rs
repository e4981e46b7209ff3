//! A real `licensed` node: a data directory, a role, optionally a database of its own on
//! PostgreSQL or MariaDB; provisioned through the operators' CLI and served on `127.0.0.1:0`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use super::{PASSWORD, SECRET};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_licensed");

/// A child process killed on drop.
pub struct Demo(pub Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node's home: data directory, role, database.
pub struct Node {
    /// Data directory (SQLite, files, key).
    pub dir: PathBuf,
    /// `city` or `province`.
    pub role: &'static str,
    /// An external database, when not SQLite.
    pub database_url: Option<String>,
    /// Whether the per-account and per-address budgets are off when it serves (the default:
    /// the suites load one account from one address) unless the serving environment sets them.
    pub budgets_off: bool,
    /// More environment for every command (an object store, say).
    pub env: Vec<(&'static str, String)>,
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
    /// A node on SQLite in an empty data directory.
    pub fn sqlite(name: &str, role: &'static str) -> Node {
        let dir = std::env::temp_dir().join(format!("node-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Node {
            dir,
            role,
            database_url: None,
            budgets_off: true,
            env: Vec::new(),
        }
    }

    /// A fresh node: an empty data directory and, when given, an emptied database.
    pub async fn fresh(name: &str, role: &'static str, database_url: Option<String>) -> Node {
        let node = Node {
            database_url,
            ..Node::sqlite(name, role)
        };
        if let Some(url) = &node.database_url {
            let store = license_store::SeaStore::connect(url, 2)
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            store.reset().await.unwrap();
        }
        node
    }

    /// `licensed` for this node, with its environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env("LICENSED_DATA_DIR", &self.dir)
            .env("LICENSED_ROLE", self.role)
            .env("LICENSED_LOG", "warn")
            .env_remove("LICENSED_DATABASE_URL")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(url) = &self.database_url {
            c.env("LICENSED_DATABASE_URL", url);
        }
        c
    }

    /// Runs a `licensed` command for this node with `stdin` as its input; its output.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a `licensed` command for this node that must succeed; its standard output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.run(args, "");
        assert!(out.status.success(), "licensed {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// An account with these roles and an OAuth client, through the CLI.
    pub fn provision(&self, user: &str, client: &str, roles: &str) {
        let args = ["account", "add", user, "--roles", roles, "--password-stdin"];
        let out = self.run(&args, &format!("{PASSWORD}\n"));
        assert!(out.status.success(), "{out:?}");
        self.cli(&["client", "add", client, "--secret", SECRET]);
    }

    /// Imports JSON Lines through the CLI.
    pub fn import(&self, lines: &str) {
        let file = self.dir.join("import.jsonl");
        std::fs::write(&file, lines).unwrap();
        self.cli(&["license", "import", file.to_str().unwrap()]);
    }

    /// Serves the node on a free port.
    pub fn start(&self) -> Served {
        self.serve("127.0.0.1:0", &[])
    }

    /// Serves the node on `http_addr` with extra environment; returns once it listens.
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
            .env("LICENSED_GRPC_ADDR", "127.0.0.1:0");
        if self.budgets_off {
            // `env` below wins.
            cmd.env("LICENSED_RATE_LIMIT_PER_MINUTE", "0")
                .env("LICENSED_TOKEN_REQUESTS_PER_ADDRESS_PER_MINUTE", "0");
        }
        cmd.stdout(Stdio::piped())
            .stderr(if std::env::var_os("NODE_LOGS").is_some() {
                Stdio::inherit()
            } else {
                // The node's log, for a test that fails.
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join("server.log"))
                    .map_or_else(|_| Stdio::null(), Stdio::from)
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

impl Served {
    /// Kills the process without warning (SIGKILL) and waits for it.
    pub fn kill(mut self) {
        self.child.0.kill().unwrap();
        self.child.0.wait().unwrap();
    }
}
