//! The closed loop driven by the three people who run it, and what it refuses.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{
    fireworks_checklist, hazard_body, inspector_pair, report, routine_inspection,
};
use crate::harness::{SignedIn, TestApp, TestResponse};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;

async fn act(
    app: &TestApp,
    who: &SignedIn,
    hazard: &str,
    body: Value,
    version: Option<i64>,
) -> TestResponse {
    let mut request = TestRequest::post()
        .uri(&format!("/api/v1/hazards/{hazard}/transitions"))
        .set_json(body);
    if let Some(version) = version {
        request = request.insert_header(("if-match", format!("\"{version}\"")));
    }
    app.send_as(&who.access, request).await
}

async fn photo(app: &TestApp, who: &SignedIn, seed: u8, purpose: &str) -> String {
    let uploaded = upload(app, &who.access, &phone_jpeg(seed), purpose).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.json());
    uploaded.json()["id"].as_str().unwrap().to_owned()
}

/// A plant in 赣县区 with its safety manager, an inspector pair and a supervisor over them.
struct Cast {
    plant: String,
    manager: SignedIn,
    lead: SignedIn,
    partner: SignedIn,
    supervisor: SignedIn,
}

async fn cast(app: &TestApp) -> Cast {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app
        .signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone()))
        .await;
    let (lead, partner) = inspector_pair(app, "360704").await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    Cast {
        plant,
        manager,
        lead,
        partner,
        supervisor,
    }
}

async fn open_hazard(app: &TestApp, cast: &Cast) -> String {
    let evidence = photo(app, &cast.lead, 20, "hazard").await;
    let mut body = hazard_body(&cast.plant);
    body["photo_ids"] = json!([evidence]);
    report(app, &cast.lead.access, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

backend_test!(async fn the_loop_walked_by_its_three_people(app) {
    let cast = cast(&app).await;
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let inspection = routine_inspection(&app, &cast.lead, &cast.partner, &cast.plant, Some(&checklist)).await;

    // The inspector finds a major hazard, with a photo.
    let evidence = photo(&app, &cast.lead, 30, "hazard").await;
    let mut body = hazard_body(&cast.plant);
    body["inspection_id"] = inspection["id"].clone();
    body["checklist_item_code"] = json!("YH-2");
    body["photo_ids"] = json!([evidence]);
    let hazard = report(&app, &cast.lead.access, &body).await;
    assert_eq!((hazard["level"].as_str(), hazard["status"].as_str()), (Some("major"), Some("open")));
    let id = hazard["id"].as_str().unwrap().to_owned();

    // The enterprise submits proof.
    let proof = photo(&app, &cast.manager, 31, "rectification").await;
    let submitted = act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "已清理药物总库，超量部分转运至合规仓库", "photo_ids": [proof]}), Some(1)).await;
    assert_eq!(submitted.status, 200, "{}", submitted.json());
    assert_eq!(submitted.header("etag"), Some("\"2\""));
    assert_eq!(submitted.json()["status"], "submitted");

    // The inspector fails the re-check.
    let failed = act(&app, &cast.partner, &id, json!({"action": "verify_fail", "note": "复查发现仍超量储存"}), Some(2)).await;
    assert_eq!(failed.json()["status"], "open");

    // The enterprise resubmits; the inspector passes it.
    let proof = photo(&app, &cast.manager, 32, "rectification").await;
    act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "超量药物全部转运", "photo_ids": [proof]}), None).await;
    let check = photo(&app, &cast.lead, 33, "verification").await;
    let verified = act(&app, &cast.lead, &id, json!({"action": "verify_pass", "note": "复查合格", "photo_ids": [check]}), None).await;
    let verified = verified.json();
    assert_eq!(verified["status"], "verified");
    assert!(verified["rectified_at"].is_string());

    // The supervisor closes it.
    let closed = act(&app, &cast.supervisor, &id, json!({"action": "approve_closure"}), Some(5)).await;
    assert_eq!(closed.status, 200, "{}", closed.json());
    let closed = closed.json();
    assert_eq!(closed["status"], "closed");
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["photos"].as_array().unwrap().len(), 4, "hazard, two proofs, the re-check photo");

    let events = app.get_as(&cast.supervisor.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "submit_rectification", "verify_fail", "submit_rectification", "verify_pass", "approve_closure"]);
    assert_eq!(events[0]["detail"]["level"], "major");
    assert_eq!(events[2]["note"], "复查发现仍超量储存");
    let verify = app.get_as(&cast.manager.access, &format!("/api/v1/hazards/{id}/events/verify")).await.json();
    assert_eq!(verify, json!({"valid": true, "events": 6, "first_bad_sequence": null}));

    // Closed is final: every action by every role is refused, naming that nothing is allowed.
    for who in [&cast.manager, &cast.lead, &cast.supervisor, &admin] {
        for action in ["submit_rectification", "verify_pass", "verify_fail", "approve_closure", "reject_closure", "cancel"] {
            let refused = act(&app, who, &id, json!({"action": action, "note": "x"}), None).await.problem(409, "transition_not_allowed");
            assert_eq!(refused["allowed_actions"], json!([]), "{action}");
        }
    }
});

backend_test!(async fn each_step_must_carry_what_it_needs(app) {
    let cast = cast(&app).await;
    let id = open_hazard(&app, &cast).await;
    let no_photo = act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "done"}), None).await;
    assert_eq!(no_photo.problem(422, "validation_failed")["errors"][0]["field"], "photo_ids");
    let wrong_kind = photo(&app, &cast.manager, 40, "site").await;
    let refused = act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "done", "photo_ids": [wrong_kind]}), None).await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "photo_ids[0]");
    let proof = photo(&app, &cast.manager, 41, "rectification").await;
    let no_note = act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "photo_ids": [proof]}), None).await;
    assert_eq!(no_note.problem(422, "validation_failed")["errors"][0]["field"], "note");
    let events = app.get_as(&cast.lead.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    assert_eq!(events.as_array().unwrap().len(), 1, "refusals leave no event");

    // On-the-spot rectification (现场整改) recorded by the inspector.
    let spot = photo(&app, &cast.lead, 42, "rectification").await;
    let done = act(&app, &cast.lead, &id, json!({"action": "submit_rectification", "note": "现场整改：已清理通道", "photo_ids": [spot]}), None).await;
    assert_eq!(done.json()["status"], "submitted");
    let no_reason = act(&app, &cast.partner, &id, json!({"action": "verify_fail"}), None).await;
    assert_eq!(no_reason.problem(422, "validation_failed")["errors"][0]["field"], "note");
    let refused = act(&app, &cast.manager, &id, json!({"action": "verify_pass", "note": "self-approval"}), None).await.problem(409, "transition_not_allowed");
    assert_eq!(refused["allowed_actions"], json!([]));
    let refused = act(&app, &cast.supervisor, &id, json!({"action": "approve_closure"}), None).await.problem(409, "transition_not_allowed");
    assert_eq!(refused["allowed_actions"], json!(["cancel"]));
    act(&app, &cast.lead, &id, json!({"action": "finish"}), None).await.problem(422, "validation_failed");
});

backend_test!(async fn other_enterprises_cannot_touch_a_hazard(app) {
    let cast = cast(&app).await;
    let id = open_hazard(&app, &cast).await;
    let neighbour = app.signed_in(Role::Enterprise).await;
    let proof = photo(&app, &neighbour, 50, "rectification").await;
    act(&app, &neighbour, &id, json!({"action": "submit_rectification", "note": "not ours", "photo_ids": [proof]}), None)
        .await
        .problem(404, "not_found");
    app.get_as(&neighbour.access, &format!("/api/v1/hazards/{id}/events")).await.problem(404, "not_found");
    // And the manager may not pass off someone else's upload as its proof.
    let stolen = act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "x", "photo_ids": [proof]}), None).await;
    assert_eq!(stolen.problem(422, "validation_failed")["errors"][0]["field"], "photo_ids[0]");
});

backend_test!(async fn stale_versions_and_simultaneous_approvals(app) {
    let cast = cast(&app).await;
    let id = open_hazard(&app, &cast).await;
    let proof = photo(&app, &cast.manager, 60, "rectification").await;
    act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "done", "photo_ids": [proof]}), Some(1)).await;
    act(&app, &cast.lead, &id, json!({"action": "verify_pass", "note": "ok"}), Some(1)).await.problem(412, "version_mismatch");
    act(&app, &cast.lead, &id, json!({"action": "verify_pass", "note": "ok"}), Some(2)).await;

    let second_supervisor = app.signed_in(Role::Supervisor).await;
    let (a, b) = futures_util::join!(
        act(&app, &cast.supervisor, &id, json!({"action": "approve_closure"}), None),
        act(&app, &second_supervisor, &id, json!({"action": "reject_closure", "note": "照片不清晰"}), None),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "exactly one decision wins");
    let events = app.get_as(&cast.lead.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    assert_eq!(events.as_array().unwrap().len(), 4, "one event for the one decision");
    let verify = app.get_as(&cast.lead.access, &format!("/api/v1/hazards/{id}/events/verify")).await.json();
    assert_eq!(verify["valid"], true);
});

backend_test!(async fn whoever_passed_the_recheck_may_not_close_it(app) {
    let cast = cast(&app).await;
    let id = open_hazard(&app, &cast).await;
    let proof = photo(&app, &cast.manager, 70, "rectification").await;
    act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "done", "photo_ids": [proof]}), None).await;
    act(&app, &cast.lead, &id, json!({"action": "verify_pass", "note": "ok"}), None).await;
    // The inspector is promoted; the token now says supervisor, the record says they verified.
    let lead_id = cast.lead.id.clone();
    diesel::update(safeloop::db::schema::users::table.find(&lead_id))
        .set((safeloop::db::schema::users::role.eq("supervisor"), safeloop::db::schema::users::certificate_no.eq(None::<String>)))
        .execute(&mut *app.db())
        .unwrap();
    let promoted = app.login(&cast.lead.username, crate::harness::PASSWORD).await;
    let promoted = SignedIn { access: promoted["access_token"].as_str().unwrap().to_owned(), ..cast.lead };
    let refused = act(&app, &promoted, &id, json!({"action": "approve_closure"}), None).await.problem(409, "transition_not_allowed");
    assert!(refused["detail"].as_str().unwrap().contains("re-check"), "{refused}");
    assert_eq!(act(&app, &cast.supervisor, &id, json!({"action": "approve_closure"}), None).await.status, 200);
});

backend_test!(async fn a_rewritten_record_is_caught_by_verify(app) {
    use safeloop::db::schema::{hazard_events, photos};
    let cast = cast(&app).await;
    let id = open_hazard(&app, &cast).await;
    let proof = photo(&app, &cast.manager, 80, "rectification").await;
    act(&app, &cast.manager, &id, json!({"action": "submit_rectification", "note": "已整改", "photo_ids": [proof]}), None).await;
    act(&app, &cast.lead, &id, json!({"action": "verify_fail", "note": "未整改到位"}), None).await;
    let path = format!("/api/v1/hazards/{id}/events/verify");
    assert_eq!(app.get_as(&cast.lead.access, &path).await.json()["valid"], true);

    // Someone with database access softens the failed re-check.
    diesel::update(hazard_events::table.find((&id, 3)))
        .set(hazard_events::note.eq("复查合格"))
        .execute(&mut *app.db())
        .unwrap();
    let check = app.get_as(&cast.lead.access, &path).await.json();
    assert_eq!(check, json!({"valid": false, "events": 3, "first_bad_sequence": 3}));
    diesel::update(hazard_events::table.find((&id, 3)))
        .set(hazard_events::note.eq("未整改到位"))
        .execute(&mut *app.db())
        .unwrap();
    assert_eq!(app.get_as(&cast.lead.access, &path).await.json()["valid"], true);

    // Or swaps the rectification photo for another.
    diesel::update(photos::table.find(&proof))
        .set(photos::sha256.eq("0".repeat(64)))
        .execute(&mut *app.db())
        .unwrap();
    let check = app.get_as(&cast.lead.access, &path).await.json();
    assert_eq!(check["first_bad_sequence"], 2);
});
