//! Migrations with several nodes: nodes opening one empty database together all start, the
//! schema built once (PostgreSQL and MariaDB take a database lock; SQLite one write
//! transaction); a store opened without migrating refuses a schema behind the build and
//! changes nothing. On SQLite always, on PostgreSQL and MariaDB when `LICENSE_TEST_POSTGRES_URL`
//! / `LICENSE_TEST_MYSQL_URL` are set (a database of their own, made empty first).

use license_store::{Schema, SeaStore, StoreError};
use sea_orm::ConnectionTrait;

/// An empty database beside the one `url` names: `…/test` → `…/test_migrate_race`.
async fn empty_database(url: &str) -> String {
    let (base, name) = url.rsplit_once('/').unwrap();
    let db = format!("{}_migrate_race", name.split('?').next().unwrap());
    let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
    opts.max_connections(1).sqlx_logging(false);
    let admin = sea_orm::Database::connect(opts).await.unwrap();
    let (drop, create) = if url.starts_with("postgres") {
        (
            format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            format!("CREATE DATABASE {db}"),
        )
    } else {
        (
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        )
    };
    admin.execute_unprepared(&drop).await.unwrap();
    admin.execute_unprepared(&create).await.unwrap();
    admin.close().await.unwrap();
    format!("{base}/{db}")
}

async fn nodes_start_together(url: &str) {
    // Not migrated: a node that must not migrate refuses to open it, naming what is pending.
    match SeaStore::open(url, 2, Schema::Require).await {
        Err(StoreError::Outdated(pending)) => assert!(!pending.is_empty()),
        other => panic!("{url}: an empty database opened without migrating: {other:?}"),
    }
    let status = SeaStore::migration_status(url).await.unwrap();
    assert!(
        status.known.iter().all(|(_, applied)| !applied),
        "{status:?}"
    );
    // Three nodes at once.
    let opened = futures_util::future::join_all((0..3).map(|_| SeaStore::connect(url, 2))).await;
    for (i, s) in opened.into_iter().enumerate() {
        let s = s.unwrap_or_else(|e| panic!("{url}: node {i} failed to start: {e}"));
        s.close().await.unwrap();
    }
    let status = SeaStore::migration_status(url).await.unwrap();
    assert!(
        !status.known.is_empty() && status.known.iter().all(|(_, applied)| *applied),
        "{status:?}"
    );
    assert!(status.unknown.is_empty());
    // Now current: a node that must not migrate opens it.
    let s = SeaStore::open(url, 2, Schema::Require).await.unwrap();
    // A newer build migrated further (a rolling upgrade): this build still opens it, and
    // lists what it does not know.
    s.connection()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_newer', 0)",
        )
        .await
        .unwrap();
    s.close().await.unwrap();
    let s = SeaStore::open(url, 2, Schema::Require).await.unwrap();
    s.close().await.unwrap();
    let status = SeaStore::migration_status(url).await.unwrap();
    assert_eq!(status.unknown, ["m20991231_000001_newer"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("migrate-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = SeaStore::sqlite_url(&dir).unwrap();
    nodes_start_together(&url).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn external(var: &str) {
    let Ok(url) = std::env::var(var) else {
        eprintln!("skipping: {var} is not set");
        return;
    };
    nodes_start_together(&empty_database(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres() {
    external("LICENSE_TEST_POSTGRES_URL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql() {
    external("LICENSE_TEST_MYSQL_URL").await;
}
