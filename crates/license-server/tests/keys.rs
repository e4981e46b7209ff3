//! Keys and trust between platforms, on the real binary: `licensed key new` writes one key
//! for every node of a platform (`signing_key_file`), `licensed key show` prints the
//! certificate a node signs with, and `trust_files` makes a province trust its city's seal and
//! the other way round: an annotated copy made at one verifies `0` at the other, while a copy
//! signed by a key neither trusts answers `1` (签章校验失败).

mod common;

use common::{API, Node, copy, licenses, post_form, token, upstream_env, verify};
use license_platform::sample::import_line;
use serde_json::Value;

/// `licensed key show` of a node, twice the same; written to `file` for another node.
fn exchange(node: &Node, file: &std::path::Path) -> String {
    let pem = node.cli(&["key", "show"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(
        node.cli(&["key", "show"]),
        pem,
        "the same certificate each time"
    );
    std::fs::write(file, &pem).unwrap();
    pem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_made_at_one_platform_verifies_at_the_other_that_trusts_it() {
    let roles = "search,info,view,download,verify,sync,admin";
    let province = Node::sqlite("keys-province", "province");
    province.provision("zaozhuang", "zaozhuang-client", roles);
    let city = Node::sqlite("keys-city", "city");
    city.provision("hall", "hall-client", roles);
    city.import(&(import_line(0) + "\n"));
    // A third platform that neither trusts holds the same license.
    let stranger = Node::sqlite("keys-stranger", "city");
    stranger.provision("hall", "hall-client", roles);
    stranger.import(&(import_line(0) + "\n"));

    let city_pem = exchange(&city, &province.dir.join("city.pem"));
    let province_pem = exchange(&province, &city.dir.join("province.pem"));
    assert_ne!(city_pem, province_pem, "each platform has a key of its own");
    let trusting = |file: &std::path::Path| ("LICENSED_TRUST_FILES", file.display().to_string());

    let p = province.serve("127.0.0.1:0", &[trusting(&province.dir.join("city.pem"))]);
    let mut env = upstream_env(&format!("http://{}", p.http), "rest", 5_000);
    env.push(trusting(&city.dir.join("province.pem")));
    let c = city.serve("127.0.0.1:0", &env);
    let x = stranger.start();
    let (ct, pt, xt) = (
        token(&c.http, "hall", "hall-client"),
        token(&p.http, "zaozhuang", "zaozhuang-client"),
        token(&x.http, "hall", "hall-client"),
    );

    // The city pushes its license up: both libraries hold it.
    let held = &licenses(&c.http, &ct)[0];
    let file_number = held["fileNumber"].as_str().unwrap();
    let pushed = post_form(
        &c.http,
        &format!("{API}/insertToProvince"),
        Some(&ct),
        &format!("fileNumber={file_number}"),
    );
    assert_eq!(pushed.status_code(), "0", "{pushed}");
    let city_id = held["certIdentifier"].as_str().unwrap();
    let province_id = licenses(&p.http, &pt)[0]["certIdentifier"]
        .as_str()
        .unwrap()
        .to_owned();

    // A copy made at the city verifies at the province, and the other way round.
    let from_city = copy(&c.http, &ct, city_id);
    assert_eq!(verify(&c.http, &ct, &from_city), "0", "at home");
    assert_eq!(
        verify(&p.http, &pt, &from_city),
        "0",
        "the province trusts the city"
    );
    let from_province = copy(&p.http, &pt, &province_id);
    assert_eq!(
        verify(&c.http, &ct, &from_province),
        "0",
        "the city trusts the province"
    );
    // A copy signed by a key neither trusts: 签章校验失败.
    let x_id = licenses(&x.http, &xt)[0]["certIdentifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let from_stranger = copy(&x.http, &xt, &x_id);
    assert_eq!(verify(&x.http, &xt, &from_stranger), "0", "at home");
    assert_eq!(verify(&c.http, &ct, &from_stranger), "1");
    assert_eq!(verify(&p.http, &pt, &from_stranger), "1");

    // Without trust_files the province does not trust the city.
    drop(p);
    let p = province.start();
    let pt = token(&p.http, "zaozhuang", "zaozhuang-client");
    assert_eq!(verify(&p.http, &pt, &from_city), "1");
    for n in [&province, &city, &stranger] {
        let _ = std::fs::remove_dir_all(&n.dir);
    }
}

/// `licensed key new` writes a key with its certificate (mode 0600, never over a file); two
/// nodes given it as `signing_key_file` sign as one issuer, and a copy made on one verifies on
/// the other. A file without the certificate, or a trust file without one, stops the node
/// with the file named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_given_one_signing_key_sign_as_one_issuer() {
    let a = Node::sqlite("keys-a", "city");
    let b = Node::sqlite("keys-b", "city");
    let key = a.dir.join("platform-key.pem");
    a.cli(&["key", "new", "--out", key.to_str().unwrap()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = a.run(&["key", "new", "--out", key.to_str().unwrap()], "");
    assert!(!again.status.success(), "never over an existing file");
    let bundle = std::fs::read_to_string(&key).unwrap();
    let shared = ("LICENSED_SIGNING_KEY_FILE", key.display().to_string());
    let show = |n: &Node| {
        let out = n
            .command()
            .env(shared.0, &shared.1)
            .args(["key", "show"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let cert = show(&a);
    assert_eq!(show(&b), cert);
    assert!(bundle.ends_with(&cert), "the certificate of the file");

    // Both hold one license under one identifier: a copy a makes verifies at b, which signs
    // with the same key; with a key of its own b would answer 1.
    a.provision("hall", "hall-client", "search,info,download,verify,admin");
    b.provision("hall", "hall-client", "search,info,download,verify,admin");
    a.import(&(import_line(0) + "\n"));
    let sa = a.serve("127.0.0.1:0", std::slice::from_ref(&shared));
    let ta = token(&sa.http, "hall", "hall-client");
    let id = licenses(&sa.http, &ta)[0]["certIdentifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut line: Value = serde_json::from_str(&import_line(0)).unwrap();
    line["certIdentifier"] = Value::from(id.clone());
    b.import(&format!("{line}\n"));
    let from_a = copy(&sa.http, &ta, &id);
    for (env, expected) in [(vec![shared.clone()], "0"), (vec![], "1")] {
        let sb = b.serve("127.0.0.1:0", &env);
        let tb = token(&sb.http, "hall", "hall-client");
        assert_eq!(licenses(&sb.http, &tb)[0]["certIdentifier"], id.as_str());
        assert_eq!(verify(&sb.http, &tb, &from_a), expected, "{env:?}");
    }

    // A key file without its certificate, or a trust file with none, stops the start.
    let key_only = a.dir.join("key-only.pem");
    std::fs::write(
        &key_only,
        &bundle[..bundle.find("-----BEGIN CERTIFICATE-----").unwrap()],
    )
    .unwrap();
    let empty = a.dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    for (var, file, says) in [
        ("LICENSED_SIGNING_KEY_FILE", &key_only, "CERTIFICATE"),
        ("LICENSED_TRUST_FILES", &empty, "no PEM certificate"),
    ] {
        let out = a
            .command()
            .env(var, file)
            .env("LICENSED_HTTP_ADDR", "127.0.0.1:0")
            .env("LICENSED_GRPC_ADDR", "127.0.0.1:0")
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = common::Demo(out);
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.0.try_wait().unwrap() {
                break s;
            }
            assert!(started.elapsed().as_secs() < 30, "{var}: the node started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!status.success(), "{var}");
        assert!(
            err.contains(&file.display().to_string()) && err.contains(says),
            "{var}: {err}"
        );
    }
    for n in [&a, &b] {
        let _ = std::fs::remove_dir_all(&n.dir);
    }
}
