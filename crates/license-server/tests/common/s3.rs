//! A real S3 server as a process of its own — s3s-fs, the binary `LICENSE_TEST_S3_SERVER` names
//! (`.ci/run` builds it once into a cache outside the clone) — on `127.0.0.1:0`, with
//! credentials checked (SigV4) and one bucket, for the suites whose nodes share an object store.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::Demo;

/// The variable naming the S3 server binary.
pub const S3_SERVER_VAR: &str = "LICENSE_TEST_S3_SERVER";
/// The bucket every node of a suite keeps its files in.
pub const BUCKET: &str = "licensed";
const ACCESS_KEY: &str = "licensed-test";
const SECRET_KEY: &str = "licensed-test-secret";

/// A serving S3 server (killed on drop) and the directory under it.
pub struct S3 {
    child: Demo,
    /// `http://127.0.0.1:port`.
    pub endpoint: String,
    /// The server's root directory: each bucket is a folder of it.
    pub dir: PathBuf,
}

impl S3 {
    /// Starts the S3 server `LICENSE_TEST_S3_SERVER` names; `None` when it is unset, unless
    /// `CI=true`, where its absence fails the test.
    pub fn start(name: &str) -> Option<S3> {
        let Some(bin) = std::env::var_os(S3_SERVER_VAR) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{S3_SERVER_VAR} is not set: CI runs these suites on a real S3 server"
            );
            eprintln!("no S3 server: {S3_SERVER_VAR} is not set; files go to a shared directory");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("s3-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(BUCKET)).unwrap();
        let mut child = Demo(
            Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", "0"])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(&dir)
                .env("RUST_LOG", "info")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{S3_SERVER_VAR}={}: {e}", bin.to_string_lossy())),
        );
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        // "server is running at http://127.0.0.1:PORT" (inside a multi-line log record).
        let endpoint = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("server is running at ")
                    .map(|(_, url)| url.trim().to_owned())
            })
            .expect("the S3 server printed where it listens");
        // Keep reading what it logs, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Some(S3 {
            child,
            endpoint,
            dir,
        })
    }

    /// Stops the server (SIGKILL): the store is unreachable from then on.
    pub fn stop(&mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
    }

    /// The environment that points a node at `s3://licensed/<prefix>` on this server.
    pub fn env(&self, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            (
                "LICENSED_OBJECT_STORE_URL",
                format!("s3://{BUCKET}/{prefix}"),
            ),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ]
    }

    /// The root of what is stored under `prefix`: each object a file at its key below it.
    pub fn root(&self, prefix: &str) -> PathBuf {
        self.dir.join(BUCKET).join(prefix)
    }
}

/// The files below `root`, as paths relative to it (hidden ones left out), sorted.
pub fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if !e.file_name().to_string_lossy().starts_with('.') {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
