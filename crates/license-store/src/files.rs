//! The local file store: license files and annotated copies under the data directory, written
//! atomically (temporary file, fsync, rename, fsync of the folder) so a crash never leaves a
//! half-written file under a key.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use license_core::ports::{FileStore, PortError, PortResult};

/// Files under a root directory, by key (`a/b/c.ofd`).
#[derive(Debug, Clone)]
pub struct LocalFileStore {
    root: PathBuf,
}

impl LocalFileStore {
    /// A store rooted at `root` (created if absent).
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(LocalFileStore { root })
    }

    fn path(&self, key: &str) -> PortResult<PathBuf> {
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
        Ok(self.root.join(key))
    }
}

fn io(e: std::io::Error) -> PortError {
    PortError::Unavailable(format!("file store: {e}"))
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().expect("keys have a folder");
    std::fs::create_dir_all(dir)?;
    // A name of its own per writer: two calls may store the same key at once (both making a
    // license's first file), and each must rename a whole file of its own.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    let mut f = std::fs::File::create_new(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[async_trait]
impl FileStore for LocalFileStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> PortResult<()> {
        let path = self.path(key)?;
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(|e| PortError::Unavailable(e.to_string()))?
            .map_err(io)
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, key: &str) -> PortResult<()> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_and_bad_keys() {
        let dir = std::env::temp_dir().join(format!("lfs-{}", std::process::id()));
        let s = LocalFileStore::new(&dir).unwrap();
        s.put("licenses/ab/x.ofd", b"abc").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap().unwrap(), b"abc");
        s.put("licenses/ab/x.ofd", b"def").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap().unwrap(), b"def");
        s.delete("licenses/ab/x.ofd").await.unwrap();
        assert_eq!(s.get("licenses/ab/x.ofd").await.unwrap(), None);
        s.delete("licenses/ab/x.ofd").await.unwrap();
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "", "a b"] {
            assert!(s.put(bad, b"x").await.is_err(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_of_one_key_each_leave_a_whole_file() {
        let dir = std::env::temp_dir().join(format!("lfs-race-{}", std::process::id()));
        let s = std::sync::Arc::new(LocalFileStore::new(&dir).unwrap());
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
