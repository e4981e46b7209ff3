//! Federation rules in one process: a city platform whose province upstream is a province
//! platform behind a switch (the link can be cut), each on its own SQLite database. The sync
//! interfaces, the outbox (queueing, order, refusals, retry), automatic sync and the
//! province's collection interfaces.

use std::sync::atomic::Ordering;

use license_core::ports::PushState;
use license_core::service::*;
use license_core::{LicenseService, LicenseState, ReturnCode, Role};
use license_platform::StateChange;

mod fixture;

use fixture::*;

#[tokio::test]
async fn pushes_reach_the_province_once_and_in_order() {
    let p = pair("push", false).await;
    let (city, hall) = (&p.city, &p.hall);
    let a = city
        .issue_license(&new_license(TYPE_ID, "A-1"))
        .await
        .unwrap();

    // insertToProvince: the province assigns its own identifier; asked again, the same one.
    let id = city
        .insert_to_province(hall, sync(&a.file_number, None))
        .await
        .unwrap();
    assert_ne!(id, a.identifier.to_string());
    assert_eq!(
        city.insert_to_province(hall, sync(&a.file_number, None))
            .await
            .unwrap(),
        id
    );
    let copy = province_copy(&p, &id).await;
    assert_eq!(
        (
            copy.holder.as_str(),
            copy.certificate_number.as_str(),
            copy.state
        ),
        ("张三", "A-1", LicenseState::Valid)
    );
    assert_eq!(copy.face.get("certno").map(String::as_str), Some(HOLDER));
    // The city keeps the link: the province identifier is a key of its license; the province
    // copy keeps the city's file number, so calls forwarded with it find the copy.
    assert_eq!(city.license(&id).await.unwrap().identifier, a.identifier);
    assert_eq!(copy.file_number, a.file_number);
    assert_eq!(
        province_copy(&p, &a.file_number)
            .await
            .identifier
            .to_string(),
        id
    );

    // updateToProvince carries the license as the city holds it now.
    city.change_state(&a.file_number, StateChange::Suspend, "核查中")
        .await
        .unwrap();
    city.update_to_province(hall, sync(&a.file_number, Some(&id)))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &id).await.state, LicenseState::Suspended);
    // deleteToProvince revokes the province's copy.
    city.delete_to_province(hall, sync(&a.file_number, None))
        .await
        .unwrap();
    let copy = province_copy(&p, &id).await;
    assert_eq!(copy.state, LicenseState::Revoked);
    assert!(copy.state_reason.unwrap().contains("hall"));

    // The link goes down: pushes answer 1 with "queued" and wait in the outbox, in order.
    let b = city
        .issue_license(&new_license(TYPE_ID, "B-1"))
        .await
        .unwrap();
    p.link.up.store(false, Ordering::SeqCst);
    let queued = city
        .insert_to_province(hall, sync(&b.file_number, None))
        .await
        .unwrap_err();
    assert_eq!(queued.code, ReturnCode::UpstreamUnreachable);
    assert!(queued.message().contains("queued"), "{}", queued.message());
    city.change_state(&b.file_number, StateChange::Suspend, "核查")
        .await
        .unwrap();
    // An update behind a queued create: accepted by the city's keys, queued after it.
    let e = city
        .update_to_province(hall, sync(&b.file_number, Some(b.identifier.as_str())))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UpstreamUnreachable);
    let pending = city.outbox(Some(PushState::Pending), 0, 10).await.unwrap();
    assert_eq!(pending.total, 2);
    // Newest first: the update waits behind the create, never attempted before it; the
    // create was attempted by the insert and again by the update's call.
    let seen: Vec<_> = pending
        .items
        .iter()
        .map(|p| (p.push.operation, p.attempts))
        .collect();
    assert_eq!(
        seen,
        [(CollectOperation::Update, 0), (CollectOperation::Create, 2)]
    );
    assert!(
        pending.items[1]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("1: ")
    );
    // Asked again while queued: the same push, not a second one.
    assert_eq!(
        code(
            city.insert_to_province(hall, sync(&b.file_number, None))
                .await
        ),
        ReturnCode::UpstreamUnreachable
    );
    assert_eq!(
        city.outbox(Some(PushState::Pending), 0, 10)
            .await
            .unwrap()
            .total,
        2
    );

    // The link comes back: the background round delivers both, create first.
    p.link.up.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (delivered, _) = city.deliver_due().await.unwrap();
    assert_eq!(delivered, 2);
    let bid = city
        .insert_to_province(hall, sync(&b.file_number, None))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &bid).await.state, LicenseState::Suspended);
    assert_eq!(
        city.outbox(Some(PushState::Pending), 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        city.outbox(Some(PushState::Delivered), 0, 10)
            .await
            .unwrap()
            .total,
        5,
        "a: create, update, revoke; b: create, update"
    );

    // The province's library holds each pushed license once.
    let collected = p
        .province
        .search_licenses(&license_core::ports::LicenseFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(collected.total, 2);
}

#[tokio::test]
async fn refusals_fail_the_push_and_an_admin_can_retry_it() {
    let p = pair("refuse", false).await;
    let (city, hall) = (&p.city, &p.hall);
    p.province
        .set_cert_type(TYPE_OTHER, false, vec!["certificateNumber".into()])
        .await
        .unwrap();
    let l = city
        .issue_license(&new_license(TYPE_OTHER, "O-1"))
        .await
        .unwrap();
    // The province's own answer comes back: the type is not published there.
    let e = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap_err();
    assert_eq!(e.code, ReturnCode::UnknownCertType, "{}", e.message());
    let failed = city.outbox(Some(PushState::Failed), 0, 10).await.unwrap();
    assert_eq!(failed.total, 1);
    assert!(
        failed.items[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("13: ")
    );
    // Published at the province, the push is retried by an administrator and delivered.
    p.province
        .set_cert_type(TYPE_OTHER, true, vec!["certificateNumber".into()])
        .await
        .unwrap();
    city.retry_push(failed.items[0].sequence).await.unwrap();
    assert_eq!(
        city.retry_push(failed.items[0].sequence)
            .await
            .unwrap_err()
            .code,
        ReturnCode::NotFound
    );
    assert_eq!(city.deliver_due().await.unwrap().0, 1);
    let id = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap();
    assert_eq!(province_copy(&p, &id).await.certificate_number, "O-1");
}

#[tokio::test]
async fn the_sync_interfaces_check_their_input() {
    let p = pair("input", false).await;
    let (city, hall) = (&p.city, &p.hall);
    let l = city
        .issue_license(&new_license(TYPE_ID, "I-1"))
        .await
        .unwrap();
    let blank = SyncRequest::default();
    assert_eq!(
        code(city.insert_to_province(hall, blank.clone()).await),
        ReturnCode::MissingParameter
    );
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::MissingParameter
    );
    assert_eq!(
        code(city.insert_to_province(hall, sync("nope", None)).await),
        ReturnCode::NotFound
    );
    // Never pushed: nothing to update or revoke at the province.
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, Some(&l.file_number)))
                .await
        ),
        ReturnCode::NotFound
    );
    assert_eq!(
        code(
            city.delete_to_province(hall, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::NotFound
    );
    let id = city
        .insert_to_province(hall, sync(&l.file_number, None))
        .await
        .unwrap();
    // certIdentifier must name this license.
    assert_eq!(
        code(
            city.update_to_province(hall, sync(&l.file_number, Some("1.2.156.other")))
                .await
        ),
        ReturnCode::NotFound
    );
    city.update_to_province(hall, sync(&l.file_number, Some(&id)))
        .await
        .unwrap();
    // No token, no sync role.
    assert_eq!(
        code(
            city.insert_to_province(&Caller::default(), sync(&l.file_number, None))
                .await
        ),
        ReturnCode::Unauthorized
    );
    city.create_account("reader", "password-123", vec![Role::Info], vec![], None)
        .await
        .unwrap();
    let reader = token(city, "reader").await;
    assert_eq!(
        code(
            city.insert_to_province(&reader, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::Unauthorized
    );

    // A province offers no sync interface; a city collects nothing.
    p.province
        .create_account(
            "prov-admin",
            "password-123",
            Role::ALL.to_vec(),
            vec![],
            None,
        )
        .await
        .unwrap();
    let padmin = token(&p.province, "prov-admin").await;
    assert_eq!(
        code(
            p.province
                .insert_to_province(&padmin, sync(&l.file_number, None))
                .await
        ),
        ReturnCode::NotProvided
    );
    let push = CollectRequest {
        operation: CollectOperation::Create,
        operation_id: "op-1".into(),
        sequence: 1,
        city_file_number: "F-1".into(),
        license: Some(new_license(TYPE_ID, "C-1")),
        reason: None,
    };
    assert_eq!(
        code(city.collect(hall, push.clone()).await),
        ReturnCode::NotProvided
    );

    // The province applies a push once; a stale one changes nothing.
    let id = p.province.collect(&padmin, push.clone()).await.unwrap();
    assert_eq!(p.province.collect(&padmin, push.clone()).await.unwrap(), id);
    let mut revoke = CollectRequest {
        operation: CollectOperation::Revoke,
        operation_id: "op-3".into(),
        sequence: 3,
        license: None,
        reason: Some("作废".into()),
        ..push.clone()
    };
    p.province.collect(&padmin, revoke.clone()).await.unwrap();
    let update = CollectRequest {
        operation: CollectOperation::Update,
        operation_id: "op-2".into(),
        sequence: 2,
        ..push.clone()
    };
    assert_eq!(p.province.collect(&padmin, update).await.unwrap(), id);
    assert_eq!(
        province_copy(&p, &id).await.state,
        LicenseState::Revoked,
        "the late update is stale"
    );
    // Another city pushing the same file number: the province copy keeps file numbers, which
    // are unique in its library — refused (24), nothing stored.
    p.province
        .create_account("other-city", "password-123", vec![Role::Sync], vec![], None)
        .await
        .unwrap();
    let other = token(&p.province, "other-city").await;
    let clash = p.province.collect(&other, push.clone()).await.unwrap_err();
    assert_eq!(clash.code, ReturnCode::Unparseable, "{}", clash.message());
    assert_eq!(province_copy(&p, "F-1").await.identifier.to_string(), id);
    // Update or revoke of a license never collected: 10; a create without a license: 12.
    revoke.city_file_number = "F-unknown".into();
    assert_eq!(
        code(p.province.collect(&padmin, revoke).await),
        ReturnCode::NotFound
    );
    let bare = CollectRequest {
        city_file_number: "F-2".into(),
        license: None,
        ..push
    };
    assert_eq!(
        code(p.province.collect(&padmin, bare).await),
        ReturnCode::MissingParameter
    );
}

#[tokio::test]
async fn automatic_sync_pushes_what_the_city_issues_and_changes() {
    let p = pair("auto", true).await;
    let city = &p.city;
    let l = city
        .issue_license(&new_license(TYPE_ID, "S-1"))
        .await
        .unwrap();
    let pending = city.outbox(Some(PushState::Pending), 0, 10).await.unwrap();
    assert_eq!(pending.total, 1, "recorded with the license");
    assert_eq!(city.deliver_due().await.unwrap().0, 1);
    let id = city
        .license(&l.file_number)
        .await
        .unwrap()
        .province_identifier
        .unwrap();
    city.change_state(&l.file_number, StateChange::Suspend, "核查")
        .await
        .unwrap();
    // A re-issue revokes the old version and creates the new one, both pushed.
    let next = city
        .reissue(
            &l.file_number,
            &license_core::admin::Correction {
                certificate_number: Some("S-2".into()),
                reason: "更正编号".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(city.deliver_due().await.unwrap().0, 3);
    assert_eq!(province_copy(&p, &id).await.state, LicenseState::Revoked);
    let next_id = city
        .license(next.identifier.as_str())
        .await
        .unwrap()
        .province_identifier
        .unwrap();
    assert_eq!(province_copy(&p, &next_id).await.certificate_number, "S-2");
    assert_eq!(city.outbox(None, 0, 10).await.unwrap().total, 4);
}
