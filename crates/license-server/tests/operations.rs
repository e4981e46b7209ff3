//! Years of operation through the real binary, on SQLite, PostgreSQL and MariaDB: the
//! streaming import (JSON Lines and CSV in UTF-8 with a mark and in GB18030, rejected lines
//! named, the exit status), `licensed audit export`, and `licensed backup` while calls run,
//! restored with `licensed restore` into a new node — the same licenses and audit events, and
//! every file verifies — which refuses a second restore over its data.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Node, copy, licenses, own_database, token, verify};
use license_platform::sample::{SAMPLE_TYPES, import_line};
use serde_json::Value;

const ROLES: &str = "search,info,view,download,verify,sync,admin";

/// Sample licenses `range` as CSV: the import format's fields as columns, the face as
/// `face.<name>`.
fn csv_of(range: std::ops::Range<u64>) -> String {
    let records: Vec<serde_json::Map<String, Value>> = range
        .map(|i| serde_json::from_str(&import_line(i)).unwrap())
        .collect();
    let mut header: Vec<String> = records[0]
        .keys()
        .filter(|k| *k != "face")
        .cloned()
        .collect();
    header.extend(["face.name".to_owned(), "face.certno".to_owned()]);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for r in &records {
        out.write_record(header.iter().map(|h| {
            let v = match h.strip_prefix("face.") {
                Some(f) => &r["face"][f],
                None => &r[h.as_str()],
            };
            v.as_str().unwrap_or_default().to_owned()
        }))
        .unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

/// Today in Beijing, as `licensed audit export` reads its days.
fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string()
}

/// Today's audit records of a node, by `licensed audit export` with `filter`.
fn audit_export(node: &Node, filter: &[&str]) -> Vec<Value> {
    let day = today();
    let mut args = vec!["audit", "export", "--since", &day, "--until", &day];
    args.extend(filter);
    node.cli(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// An audit record without what differs between a node and its restored copy: nothing.
fn key_of(e: &Value) -> String {
    format!("{}|{}", e["requestId"], e["at"])
}

async fn operations(label: &str, database: Option<String>) {
    let (src, dst) = match &database {
        Some(url) => (
            Some(own_database(url, &format!("ops_src_{label}")).await),
            Some(own_database(url, &format!("ops_dst_{label}")).await),
        ),
        None => (None, None),
    };
    let a = Node::fresh(&format!("ops-a-{label}"), "city", src).await;
    a.provision("hall", "hall-client", ROLES);

    // JSON Lines with a line that is no record: the others are imported, the line is named,
    // and the exit status says not everything was.
    let mut lines: Vec<String> = (0..6).map(import_line).collect();
    lines.insert(2, "{not a record".into());
    let file = a.dir.join("some-bad.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = a.run(&["license", "import", file.to_str().unwrap()], "");
    let (said, errs) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{label}: {said}{errs}");
    assert!(said.contains("imported 6, rejected 1"), "{label}: {said}");
    assert!(
        errs.contains("line 3: not a license record"),
        "{label}: {errs}"
    );
    assert!(errs.contains("1 lines not imported: 3"), "{label}: {errs}");

    // CSV as spreadsheet software writes it: UTF-8 with a byte-order mark, and GB18030.
    let bom = a.dir.join("bom.csv");
    std::fs::write(
        &bom,
        [b"\xEF\xBB\xBF".as_slice(), csv_of(6..9).as_bytes()].concat(),
    )
    .unwrap();
    let said = a.cli(&["license", "import", bom.to_str().unwrap()]);
    assert!(said.contains("imported 3, rejected 0"), "{label}: {said}");
    let gb = a.dir.join("gb18030.csv");
    let text = csv_of(9..12);
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is not UTF-8"
    );
    std::fs::write(&gb, &bytes).unwrap();
    let said = a.cli(&["license", "import", gb.to_str().unwrap()]);
    assert!(said.contains("imported 3, rejected 0"), "{label}: {said}");
    let exported = a.cli(&["license", "export"]);
    assert_eq!(exported.lines().count(), 12, "{label}: {exported}");
    assert_eq!(
        exported.matches("\"name\":\"张三\"").count(),
        12,
        "{label}: the faces read right from every encoding: {exported}"
    );
    // A CSV column the format does not have stops the import before any row.
    let odd = a.dir.join("odd.csv");
    std::fs::write(&odd, "certTypeCode,colour\nX,red\n").unwrap();
    let out = a.run(&["license", "import", odd.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"colour\""));

    // Serve, make a copy, then back up while four callers download and query.
    let served = a.start();
    let t = token(&served.http, "hall", "hall-client");
    let held = licenses(&served.http, &t);
    let ids: Vec<String> = held
        .iter()
        .map(|l| l["certIdentifier"].as_str().unwrap().to_owned())
        .collect();
    // `verify` checks files of the first sample type.
    let first_type: Vec<String> = held
        .iter()
        .filter(|l| l["certTypeCode"] == SAMPLE_TYPES[0])
        .map(|l| l["certIdentifier"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first_type.len(), 2, "{label}: samples 0 and 10");
    let before_backup = copy(&served.http, &t, &first_type[0]);
    let backup = a.dir.join("backup.zip");
    let stop = AtomicBool::new(false);
    let mut backup_began = chrono::Utc::now();
    let answered = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for c in 0..4 {
            let (addr, t, ids, stop, answered) = (&served.http, &t, &ids, &stop, &answered);
            s.spawn(move || {
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    copy(addr, t, &ids[i % ids.len()]);
                    answered.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        while answered.load(Ordering::Relaxed) < 8 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        backup_began = chrono::Utc::now();
        let said = a.cli(&["backup", "--to", backup.to_str().unwrap()]);
        assert!(said.starts_with("backup written to"), "{label}: {said}");
        stop.store(true, Ordering::Relaxed);
    });
    assert!(answered.load(Ordering::Relaxed) >= 8);
    let out = a.run(&["backup", "--to", backup.to_str().unwrap()], "");
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exists"),
        "{label}: a backup is never written over a file: {out:?}"
    );

    // Audit export: today's events, filtered by account; CSV with its header.
    let hall = audit_export(&a, &["--account", "hall"]);
    assert!(hall.len() >= 8, "{label}: {}", hall.len());
    assert!(hall.iter().all(|e| e["username"] == "hall"));
    let by_license = audit_export(&a, &["--license", &ids[0]]);
    assert!(
        !by_license.is_empty()
            && by_license.iter().all(|e| e["licenses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == &ids[0])),
        "{label}: {by_license:?}"
    );
    let day = today();
    let csv = a.cli(&[
        "audit", "export", "--since", &day, "--until", &day, "--format", "csv",
    ]);
    assert!(
        csv.starts_with("at,requestId,interface,username,clientAddr,code,licenses,holderCode,"),
        "{label}: {csv}"
    );
    let source_events = audit_export(&a, &[]);
    drop(served);

    // Restore into a new node: the same licenses, the events the backup held, keys and files.
    let b = Node::fresh(&format!("ops-b-{label}"), "city", dst).await;
    let said = b.cli(&["restore", "--from", backup.to_str().unwrap()]);
    assert!(said.starts_with("restored from"), "{label}: {said}");
    assert_eq!(
        b.cli(&["license", "export"]),
        exported,
        "{label}: the same licenses"
    );
    let restored = audit_export(&b, &[]);
    let source: std::collections::HashSet<String> = source_events.iter().map(key_of).collect();
    let foreign: Vec<&Value> = restored
        .iter()
        .filter(|e| !source.contains(&key_of(e)))
        .collect();
    assert!(
        foreign.iter().all(|e| e["username"]
            .as_str()
            .is_some_and(|u| u.starts_with("cli:"))),
        "{label}: only the restored node's own commands are new: {foreign:?}"
    );
    assert!(
        foreign.iter().any(|e| e["context"]["certificateMatterName"]
            .as_str()
            .is_some_and(|m| m.starts_with("restore --from"))),
        "{label}: the restore is audited: {foreign:?}"
    );
    // Every event answered well before the backup began is in it.
    let held: std::collections::HashSet<String> = restored.iter().map(key_of).collect();
    let settled = backup_began - chrono::Duration::seconds(2);
    let missing: Vec<&Value> = source_events
        .iter()
        .filter(|e| {
            e["at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t < settled)
        })
        .filter(|e| !held.contains(&key_of(e)))
        .collect();
    assert!(missing.is_empty(), "{label}: {missing:?}");
    assert!(
        restored.len() > hall.len() / 2,
        "{label}: the events of the load are there"
    );
    let served = b.start();
    let t = token(&served.http, "hall", "hall-client");
    assert_eq!(
        verify(&served.http, &t, &before_backup),
        "0",
        "{label}: a copy made before the backup verifies at the restored node (the same key)"
    );
    for id in &first_type {
        let c = copy(&served.http, &t, id);
        assert_eq!(verify(&served.http, &t, &c), "0", "{label}: {id}");
    }
    drop(served);

    // A second restore finds data and changes nothing.
    let out = b.run(&["restore", "--from", backup.to_str().unwrap()], "");
    assert!(!out.status.success(), "{label}: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already holds data"),
        "{label}: {out:?}"
    );
    assert_eq!(b.cli(&["license", "export"]), exported, "{label}");
    for n in [a, b] {
        let _ = std::fs::remove_dir_all(&n.dir);
    }
}

on_every_database!(operations, "sqlite", "postgres", "mysql");
