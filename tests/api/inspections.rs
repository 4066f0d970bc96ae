//! Inspections: who files them, the two-officer rule, checklist results, drafts and submission,
//! and creates that are safe to retry.

use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{fireworks_checklist, inspector_pair, routine_inspection};
use crate::harness::TestApp;
use safeloop::auth::Role;

fn inspection(enterprise_id: &str, kind: &str, officers: &[&str]) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": enterprise_id, "kind": kind,
        "officer_ids": officers, "started_at": Utc::now() - Duration::minutes(40),
        "latitude": 25.85, "longitude": 115.02, "summary": "检查记录",
    })
}

async fn count(app: &TestApp, token: &str, query: &str) -> usize {
    let page = app
        .get_as(token, &format!("/api/v1/inspections?limit=200{query}"))
        .await
        .json();
    page["items"].as_array().unwrap().len()
}

backend_test!(async fn enforcement_needs_two_certified_officers(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let uncertified = app.signed_in_with(Role::Inspector, |u| u.certificate_no = None).await;

    let alone = app.post_as(&lead.access, "/api/v1/inspections", &inspection(&plant, "routine", &[&lead.id])).await;
    let alone = alone.problem(422, "validation_failed");
    assert_eq!(alone["errors"][0]["field"], "officer_ids");
    assert!(alone["detail"].as_str().unwrap().contains("第四十二条"), "{alone}");
    let twice = inspection(&plant, "covert", &[&lead.id, &lead.id]);
    app.post_as(&lead.access, "/api/v1/inspections", &twice).await.problem(422, "validation_failed");
    let uncertified_pair = inspection(&plant, "joint", &[&lead.id, &uncertified.id]);
    let refused = app.post_as(&lead.access, "/api/v1/inspections", &uncertified_pair).await.problem(422, "validation_failed");
    assert!(refused["detail"].as_str().unwrap().contains("certificate"), "{refused}");
    let without_me = inspection(&plant, "random", &[&partner.id, &uncertified.id]);
    app.post_as(&lead.access, "/api/v1/inspections", &without_me).await.problem(422, "validation_failed");
    assert_eq!(count(&app, &lead.access, "").await, 0, "nothing half-written");

    let created = app.post_as(&lead.access, "/api/v1/inspections", &inspection(&plant, "special", &[&lead.id, &partner.id])).await;
    assert_eq!(created.status, 201, "{}", created.json());
    let body = created.json();
    assert_eq!(body["status"], "draft");
    assert_eq!(body["officer_ids"].as_array().unwrap().len(), 2);
    let follow_up = app.post_as(&uncertified.access, "/api/v1/inspections", &inspection(&plant, "follow_up", &[&uncertified.id])).await;
    assert_eq!(follow_up.status, 201, "a follow-up re-check needs one officer: {}", follow_up.json());
});

backend_test!(async fn enterprises_file_only_their_own_self_inspections(app) {
    let own = app.seed_enterprise("360704102", "metallurgy", "韩坊钢铁");
    let other = app.seed_enterprise("360704102", "metallurgy", "韩坊铸造");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(own.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;

    let created = app.post_as(&manager.access, "/api/v1/inspections", &inspection(&own, "self", &[])).await;
    assert_eq!(created.status, 201, "{}", created.json());
    assert_eq!(created.json()["kind"], "self");
    app.post_as(&manager.access, "/api/v1/inspections", &inspection(&own, "routine", &[])).await.problem(403, "forbidden");
    let elsewhere = app.post_as(&manager.access, "/api/v1/inspections", &inspection(&other, "self", &[])).await;
    assert_eq!(elsewhere.problem(422, "validation_failed")["errors"][0]["field"], "enterprise_id");
    app.post_as(&inspector.access, "/api/v1/inspections", &inspection(&own, "self", &[])).await.problem(403, "forbidden");
    let supervisor = app.signed_in(Role::Supervisor).await;
    app.post_as(&supervisor.access, "/api/v1/inspections", &inspection(&own, "self", &[])).await.problem(403, "forbidden");
});

backend_test!(async fn retried_creates_return_the_first_and_clashes_are_refused(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let body = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    let first = app.post_as(&lead.access, "/api/v1/inspections", &body).await;
    assert_eq!(first.status, 201);
    let again = app.post_as(&lead.access, "/api/v1/inspections", &body).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), first.json());
    let mut changed = body.clone();
    changed["summary"] = json!("another inspection under a reused id");
    app.post_as(&lead.access, "/api/v1/inspections", &changed).await.problem(409, "id_conflict");
    // The partner sending the same create is not the same request: a different body hash is
    // not needed for that, but it must not be able to hijack the id either.
    let stranger = app.signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into())).await;
    app.post_as(&stranger.access, "/api/v1/inspections", &body).await.problem(409, "id_conflict");
});

backend_test!(async fn a_retry_storm_leaves_exactly_one_inspection(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let body = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    let answers = futures_util::future::join_all(
        (0..20).map(|_| app.post_as(&lead.access, "/api/v1/inspections", &body)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200), "{statuses:?}");
    assert_eq!(count(&app, &lead.access, "").await, 1);
});

backend_test!(async fn drafts_take_results_and_submitted_inspections_are_read_only(app) {
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;

    let mut with_unknown_item = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    with_unknown_item["checklist_id"] = json!(checklist);
    with_unknown_item["results"] = json!([{"item_code": "ZZ-9", "outcome": "fail"}]);
    let refused = app.post_as(&lead.access, "/api/v1/inspections", &with_unknown_item).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "results[0].item_code");

    let draft = routine_inspection(&app, &lead, &partner, &plant, Some(&checklist)).await;
    let path = format!("/api/v1/inspections/{}", draft["id"].as_str().unwrap());
    let amended = app
        .patch_as(&partner.access, &path, &json!({
            "results": [{"item_code": "YH-1", "outcome": "pass"}, {"item_code": "YH-2", "outcome": "fail", "note": "超量约2吨"}],
            "summary": "药物总库超量储存",
        }))
        .await;
    assert_eq!(amended.status, 200, "{}", amended.json());
    let amended = amended.json();
    assert_eq!(amended["results"].as_array().unwrap().len(), 2);
    assert_eq!(amended["version"], 2);

    let stale = app
        .send_as(&lead.access, TestRequest::patch().uri(&path).insert_header(("if-match", "\"1\"")).set_json(json!({"summary": "x"})))
        .await;
    stale.problem(412, "version_mismatch");

    let submitted = app.send_as(&lead.access, TestRequest::post().uri(&format!("{path}/submit"))).await;
    assert_eq!(submitted.status, 200);
    let submitted = submitted.json();
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["submitted_at"].is_string() && submitted["finished_at"].is_string());

    app.patch_as(&lead.access, &path, &json!({"summary": "after the fact"})).await.problem(409, "inspection_submitted");
    app.send_as(&lead.access, TestRequest::post().uri(&format!("{path}/submit")))
        .await
        .problem(409, "inspection_submitted");
    assert_eq!(count(&app, &lead.access, "&status=submitted").await, 1);
    assert_eq!(count(&app, &lead.access, "&status=draft").await, 0);
});

backend_test!(async fn bad_inspection_input_names_the_field(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let mut future = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    future["started_at"] = json!(Utc::now() + Duration::days(1));
    assert_eq!(app.post_as(&lead.access, "/api/v1/inspections", &future).await.problem(422, "validation_failed")["errors"][0]["field"], "started_at");
    let mut unknown_kind = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    unknown_kind["kind"] = json!("surprise");
    assert_eq!(app.post_as(&lead.access, "/api/v1/inspections", &unknown_kind).await.problem(422, "validation_failed")["errors"][0]["field"], "kind");
    let mut results_without_checklist = inspection(&plant, "routine", &[&lead.id, &partner.id]);
    results_without_checklist["results"] = json!([{"item_code": "YH-1", "outcome": "pass"}]);
    assert_eq!(app.post_as(&lead.access, "/api/v1/inspections", &results_without_checklist).await.problem(422, "validation_failed")["errors"][0]["field"], "results");
    assert_eq!(count(&app, &lead.access, "").await, 0);
});
