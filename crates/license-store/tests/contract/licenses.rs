//! Licenses: inserts, look-ups by every key, holder searches, updates, files.

use license_core::ports::*;
use license_core::{License, LicenseState};
use license_store::SeaStore;

use super::*;

pub(super) async fn licenses(s: &SeaStore) {
    let a = license("A1", "11010519491231002X", "2020-01-01");
    LicenseRepository::insert(s, &a).await.unwrap();
    assert!(matches!(
        LicenseRepository::insert(s, &a).await,
        Err(PortError::Conflict(_))
    ));
    let got = s.find_by_key(a.identifier.as_str()).await.unwrap().unwrap();
    assert_eq!(got, a, "Chinese text and every column round-trip");
    assert_eq!(
        s.find_by_key(&a.identifier.as_str().to_ascii_lowercase())
            .await
            .unwrap()
            .unwrap(),
        a
    );
    assert_eq!(s.find_by_qr_token("qr-A1").await.unwrap().unwrap(), a);
    assert_eq!(
        s.find_by_abstract_code(&a.abstract_code)
            .await
            .unwrap()
            .unwrap(),
        a
    );
    assert_eq!(s.find_by_key("nope").await.unwrap(), None);

    let mut legacy = license("B2", "11010519491231002X", "2021-06-01");
    legacy.file_number = "02-12370400F49201558F-51-370481198304040037-00-A000102935".into();
    legacy.province_identifier = Some("1.2.156.3005.2.PROVINCE.1".into());
    let dup = license("A1", "x", "2020-01-01");
    let c = license("C3", "11010519491231002X", "2022-03-01");
    let results = s
        .insert_many(&[legacy.clone(), dup, c.clone()])
        .await
        .unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(matches!(results[1], Err(PortError::Conflict(_))));
    assert_eq!(
        s.find_by_key(&legacy.file_number).await.unwrap().unwrap(),
        legacy
    );
    assert_eq!(
        s.find_by_key("1.2.156.3005.2.PROVINCE.1")
            .await
            .unwrap()
            .unwrap(),
        legacy
    );
    assert_eq!(LicenseRepository::count(s).await.unwrap(), 3);

    // Many look-ups at once are grouped into shared queries: each still gets its own answer,
    // by any of the three keys, in any case for identifiers, padded, or none.
    let asks: Vec<(String, Option<&License>)> = (0..200)
        .map(|i| match i % 5 {
            0 => (a.identifier.as_str().to_owned(), Some(&a)),
            1 => (c.identifier.as_str().to_ascii_lowercase(), Some(&c)),
            2 => (format!(" {} ", legacy.file_number), Some(&legacy)),
            3 => ("1.2.156.3005.2.PROVINCE.1".to_owned(), Some(&legacy)),
            _ => (format!("missing-{i}"), None),
        })
        .collect();
    let answers = futures_util::future::join_all(asks.iter().map(|(k, _)| s.find_by_key(k))).await;
    for ((key, want), got) in asks.iter().zip(answers) {
        assert_eq!(got.unwrap().as_ref(), *want, "{key}");
    }

    let page = s
        .search_by_holder(&HolderSearch {
            holder_code: "11010519491231002X".into(),
            cert_type_code: "11100000000013127D001".into(),
            certificate_number: None,
            offset: 0,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items
            .iter()
            .map(|l| l.certificate_number.as_str())
            .collect::<Vec<_>>(),
        ["NOC3", "NOB2"]
    );
    let page = s
        .search_by_holder(&HolderSearch {
            holder_code: "11010519491231002X".into(),
            cert_type_code: "11100000000013127D001".into(),
            certificate_number: Some("NOA1".into()),
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1));

    let mut changed = c.clone();
    changed.state = LicenseState::Revoked;
    changed.state_reason = Some("作废".into());
    changed.state_changed_at = Some(t(5));
    assert!(LicenseRepository::update(s, &changed).await.unwrap());
    assert_eq!(
        s.find_by_key(c.identifier.as_str()).await.unwrap().unwrap(),
        changed
    );
    let revoked = s
        .search(&LicenseFilter {
            state: Some(LicenseState::Revoked),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(revoked.total, 1);
    let beyond = s
        .search(&LicenseFilter {
            offset: u64::MAX,
            limit: u64::MAX,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        beyond.items.is_empty(),
        "offsets past i64 are just past the end"
    );

    let f = StoredFile {
        key: "licenses/a1.ofd".into(),
        format: "ofd".into(),
        sm3: "ab".repeat(32),
        size: 10,
    };
    assert_eq!(s.file(a.identifier.as_str(), "ofd").await.unwrap(), None);
    s.set_file(a.identifier.as_str(), &f).await.unwrap();
    assert_eq!(
        s.file(a.identifier.as_str(), "ofd").await.unwrap(),
        Some(f.clone())
    );
    assert!(
        s.set_file(a.identifier.as_str(), &f).await.is_err(),
        "one file per format"
    );
}
