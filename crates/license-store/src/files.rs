//! The file store: license files and annotated copies by key, on the `object_store` crate — a
//! local directory (`file:///path`) or an S3-compatible bucket (`s3://bucket/prefix`). On both an
//! object is whole or absent: the directory is written through a temporary file, fsync, rename
//! and fsync of the folder, so a crash never leaves a half-written file under a key; an S3 PUT is
//! atomic by itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use license_core::ports::{FileStore, PortError, PortResult};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

/// Files by key (`licenses/ab/x.ofd`) in a directory or a bucket.
#[derive(Debug, Clone)]
pub struct ObjectFileStore {
    store: Arc<dyn ObjectStore>,
    location: String,
}

impl ObjectFileStore {
    /// A store in the directory `root` (created if absent), written durably.
    pub fn local(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root: PathBuf = root.into();
        std::fs::create_dir_all(&root)?;
        let root = std::fs::canonicalize(&root)?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(std::io::Error::other)?
            .with_fsync(true);
        Ok(ObjectFileStore {
            store: Arc::new(store),
            location: format!("file://{}", root.display()),
        })
    }

    /// The store a URL names: `file:///absolute/path` or `s3://bucket[/prefix]`. For S3 the
    /// endpoint, region and credentials come from the standard `AWS_*` variables
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint); requests are path-style unless
    /// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true`. Nothing is contacted here.
    pub fn open(url: &str) -> Result<Self, FileStoreError> {
        let bad = |why: &str| FileStoreError::Url(format!("{url:?}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected file:///path or s3://bucket/prefix"))?;
        match scheme {
            "file" => {
                if !rest.starts_with('/') {
                    return Err(bad("a file URL names an absolute path (file:///…)"));
                }
                Self::local(Path::new(rest)).map_err(|e| FileStoreError::Open(e.to_string()))
            }
            "s3" => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(bad("no bucket"));
                }
                if bucket.contains(['@', ':']) {
                    // Credentials never go in the URL (it is logged): AWS_* variables do.
                    return Err(FileStoreError::Url(
                        "an s3:// URL names a bucket and a prefix only; credentials go in the AWS_* variables".into(),
                    ));
                }
                // A call waiting on the store fails within seconds rather than the crate's
                // default three minutes of retries: a caller is waiting.
                let retry = RetryConfig {
                    max_retries: 3,
                    retry_timeout: std::time::Duration::from_secs(15),
                    ..RetryConfig::default()
                };
                let s3 = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| FileStoreError::Open(e.to_string()))?;
                let prefix = prefix.trim_matches('/');
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    let prefix = Key::parse(prefix).map_err(|e| bad(&e.to_string()))?;
                    Arc::new(PrefixStore::new(s3, prefix))
                };
                Ok(ObjectFileStore {
                    store,
                    location: format!("s3://{bucket}/{prefix}"),
                })
            }
            _ => Err(bad("the scheme is file or s3")),
        }
    }

    /// Where the files are (a URL without credentials), for logs and `licensed status`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Whether the files are in a local directory (one machine's disk) rather than a bucket.
    pub fn is_local(&self) -> bool {
        self.location.starts_with("file:")
    }

    /// Every key the store holds (a backup copies them all).
    pub async fn keys(&self) -> PortResult<Vec<String>> {
        use futures_util::TryStreamExt;
        self.store
            .list(None)
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
            .map_err(unavailable)
    }
}

/// Why a file store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum FileStoreError {
    /// The URL is not one this store understands.
    #[error("object_store_url {0}")]
    Url(String),
    /// The directory or the client could not be set up.
    #[error("file store: {0}")]
    Open(String),
}

/// A key as the object store spells it, after the checks every store applies: short, ASCII
/// letters, digits and `._-`, folders separated by `/`, no empty, `.` or `..` parts.
fn key(key: &str) -> PortResult<Key> {
    let ok = !key.is_empty()
        && key.len() <= 255
        && key
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    if !ok {
        return Err(PortError::Invalid(format!("bad file key {key:?}")));
    }
    Key::parse(key).map_err(|e| PortError::Invalid(format!("bad file key {key:?}: {e}")))
}

fn unavailable(e: object_store::Error) -> PortError {
    PortError::Unavailable(format!("file store: {e}"))
}

#[async_trait]
impl FileStore for ObjectFileStore {
    async fn put(&self, k: &str, bytes: &[u8]) -> PortResult<()> {
        let k = key(k)?;
        let payload = PutPayload::from(bytes.to_vec());
        self.store.put(&k, payload).await.map_err(unavailable)?;
        Ok(())
    }

    async fn get(&self, k: &str) -> PortResult<Option<Vec<u8>>> {
        let k = key(k)?;
        match self.store.get(&k).await {
            Ok(got) => Ok(Some(got.bytes().await.map_err(unavailable)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn delete(&self, k: &str) -> PortResult<()> {
        let k = key(k)?;
        match self.store.delete(&k).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ofs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[tokio::test]
    async fn put_get_delete_and_bad_keys() {
        let d = dir("basic");
        let s = ObjectFileStore::local(&d).unwrap();
        s.put("licenses/ab/x.ofd", b"abc").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap().unwrap(), b"abc");
        assert!(
            d.join("licenses/ab/x.ofd").is_file(),
            "files lie at their key"
        );
        s.put("licenses/ab/x.ofd", b"def").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap().unwrap(), b"def");
        s.delete("licenses/ab/x.ofd").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap(), None);
        s.delete("licenses/ab/x.ofd").await.unwrap();
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "", "a b", "a/"] {
            assert!(s.put(bad, b"x").await.is_err(), "{bad}");
            assert!(s.get(bad).await.is_err(), "{bad}");
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_of_one_key_each_leave_a_whole_file() {
        let d = dir("race");
        let s = Arc::new(ObjectFileStore::local(&d).unwrap());
        let writers: Vec<_> = (0..16u8)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.put("licenses/ab/same.ofd", &[i; 4096]).await })
            })
            .collect();
        for w in writers {
            w.await.unwrap().expect("every writer succeeds");
        }
        let got = s.get("licenses/ab/same.ofd").await.unwrap().unwrap();
        assert_eq!(got.len(), 4096);
        assert!(
            got.iter().all(|b| *b == got[0]),
            "one writer's bytes, whole"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn urls() {
        let d = dir("url");
        let s = ObjectFileStore::open(&format!("file://{}", d.display())).unwrap();
        assert!(s.is_local() && d.is_dir());
        std::fs::remove_dir_all(&d).unwrap();
        let s = ObjectFileStore::open("s3://bucket/some/prefix/").unwrap();
        assert_eq!(s.location(), "s3://bucket/some/prefix");
        assert!(!s.is_local());
        for bad in [
            "files",
            "file://relative/path",
            "s3://",
            "gs://bucket",
            "s3://b/a//b",
            "s3://KEY:SECRET@bucket/prefix",
        ] {
            assert!(ObjectFileStore::open(bad).is_err(), "{bad}");
        }
    }
}
