//! Enforcement documents: the penalty procedure, 自查不罚, unique numbers, scope, the record.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{hazard_body, inspector_pair, report};
use crate::harness::{SignedIn, TestApp};
use safeloop::auth::Role;

const BODY: &str = "赣县区应急管理局";

fn penalty(enterprise: &str, number: u32) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(), "kind": "penalty_decision", "issuing_body": BODY,
        "document_no": format!("（赣）应急罚〔2026〕{number}号"), "enterprise_id": enterprise,
        "fine_fen": 2_365_000, "notified_at": Utc::now() - Duration::days(8),
        "hearing_requested": false, "summary": "未按规定对重大危险源进行检测",
    })
}

async fn actions(app: &TestApp, who: &SignedIn, query: &str) -> Vec<Value> {
    let listed = app
        .get_as(&who.access, &format!("/api/v1/enforcement-actions{query}"))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.json());
    listed.json()["items"].as_array().unwrap().clone()
}

backend_test!(async fn a_penalty_follows_its_notice_and_enters_the_hazards_record(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, _) = inspector_pair(&app, "360704").await;
    let hazard = report(&app, &lead.access, &hazard_body(&plant)).await;
    let hazard_id = hazard["id"].as_str().unwrap();

    let mut body = penalty(&plant, 12);
    body["hazard_ids"] = json!([hazard_id]);
    body["hearing_requested"] = json!(true);
    let heard_at = Utc::now() - Duration::days(3);
    body["hearing_held_at"] = json!(heard_at);
    let created = app.post_as(&lead.access, "/api/v1/enforcement-actions", &body).await;
    assert_eq!(created.status, 201, "{}", created.json());
    let action = created.json();
    assert_eq!(action["fine_fen"], 2_365_000);
    assert_eq!(action["issued_year"], safeloop::calendar::year_of(Utc::now()));
    assert_eq!(action["hazard_ids"], json!([hazard_id]));
    assert_eq!(action["sector"], "fireworks");
    let held = chrono::DateTime::parse_from_rfc3339(action["hearing_held_at"].as_str().unwrap()).unwrap();
    assert!((held.with_timezone(&Utc) - heard_at).num_milliseconds().abs() < 1, "{action}");

    // A retry returns the stored document; the same id with another body is refused.
    let again = app.post_as(&lead.access, "/api/v1/enforcement-actions", &body).await;
    assert_eq!((again.status.as_u16(), again.json()["id"].clone()), (200, action["id"].clone()));
    let mut changed = body.clone();
    changed["fine_fen"] = json!(100);
    app.post_as(&lead.access, "/api/v1/enforcement-actions", &changed).await.problem(409, "id_conflict");

    // The hazard's record shows the decision, and still verifies.
    let events = app.get_as(&lead.access, &format!("/api/v1/hazards/{hazard_id}/events")).await.json();
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "enforcement_action");
    assert_eq!(last["detail"]["document_no"], "（赣）应急罚〔2026〕12号");
    assert_eq!((last["from_status"].as_str(), last["to_status"].as_str()), (Some("open"), Some("open")));
    let verified = app.get_as(&lead.access, &format!("/api/v1/hazards/{hazard_id}/events/verify")).await.json();
    assert_eq!(verified["valid"], true);
    let hazard = app.get_as(&lead.access, &format!("/api/v1/hazards/{hazard_id}")).await.json();
    assert_eq!(hazard["version"], 2);

    let read = app.get_as(&lead.access, &format!("/api/v1/enforcement-actions/{}", action["id"].as_str().unwrap())).await;
    assert_eq!(read.json()["document_no"], action["document_no"]);
    let by_hazard = actions(&app, &lead, &format!("?hazard_id={hazard_id}")).await;
    assert_eq!(by_hazard.len(), 1);
});

backend_test!(async fn document_numbers_are_unique_per_body_and_year(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let post = |body: Value| {
        let app = &app;
        let token = inspector.access.clone();
        async move { app.post_as(&token, "/api/v1/enforcement-actions", &body).await }
    };
    assert_eq!(post(penalty(&plant, 7)).await.status, 201);
    let taken = post(penalty(&plant, 7)).await.problem(409, "document_number_taken");
    assert!(taken["detail"].as_str().unwrap().contains("（赣）应急罚〔2026〕7号"), "{taken}");
    // Another body may use the number, and so may the same body in another year.
    let mut other_body = penalty(&plant, 7);
    other_body["issuing_body"] = json!("赣州市应急管理局");
    assert_eq!(post(other_body).await.status, 201);
    let mut last_year = penalty(&plant, 7);
    last_year["issued_at"] = json!(Utc::now() - Duration::days(400));
    last_year["notified_at"] = json!(Utc::now() - Duration::days(410));
    let created = post(last_year).await;
    assert_eq!(created.status, 201, "{}", created.json());
    assert_eq!(actions(&app, &inspector, "").await.len(), 3);
});

backend_test!(async fn a_penalty_without_its_procedure_is_refused_and_nothing_is_kept(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let post = |body: Value| {
        let app = &app;
        let token = inspector.access.clone();
        async move { app.post_as(&token, "/api/v1/enforcement-actions", &body).await }
    };
    let mut unnotified = penalty(&plant, 1);
    unnotified.as_object_mut().unwrap().remove("notified_at");
    let refused = post(unnotified).await.problem(422, "prior_notice_required");
    assert_eq!(refused["errors"][0]["field"], "notified_at");
    assert!(refused["detail"].as_str().unwrap().contains("art. 44"), "{refused}");

    let mut no_hearing_answer = penalty(&plant, 2);
    no_hearing_answer.as_object_mut().unwrap().remove("hearing_requested");
    post(no_hearing_answer).await.problem(422, "prior_notice_required");

    let mut notice_after = penalty(&plant, 3);
    notice_after["notified_at"] = json!(Utc::now() + Duration::minutes(1));
    notice_after["issued_at"] = json!(Utc::now() - Duration::days(1));
    let refused = post(notice_after).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "notified_at");

    let mut no_fine = penalty(&plant, 4);
    no_fine.as_object_mut().unwrap().remove("fine_fen");
    post(no_fine).await.problem(422, "validation_failed");

    let mut fined_order = penalty(&plant, 5);
    fined_order["kind"] = json!("suspension");
    let refused = post(fined_order).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "fine_fen");

    let mut yuan_as_float = penalty(&plant, 6);
    yuan_as_float["fine_fen"] = json!(23650.5);
    let refused = post(yuan_as_float).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "fine_fen");

    // A party that asked for a hearing is heard first (art. 65), after the notice.
    let mut unheard = penalty(&plant, 11);
    unheard["hearing_requested"] = json!(true);
    let refused = post(unheard.clone()).await.problem(422, "hearing_required");
    assert_eq!(refused["errors"][0]["field"], "hearing_held_at");
    assert!(refused["detail"].as_str().unwrap().contains("art. 65"), "{refused}");
    unheard["hearing_held_at"] = json!(Utc::now() - Duration::days(9));
    let refused = post(unheard.clone()).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "hearing_held_at");
    let mut never_asked = penalty(&plant, 12);
    never_asked["hearing_held_at"] = json!(Utc::now() - Duration::days(2));
    post(never_asked).await.problem(422, "validation_failed");

    let mut unknown_kind = penalty(&plant, 8);
    unknown_kind["kind"] = json!("fine");
    let refused = post(unknown_kind).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "kind");

    assert!(actions(&app, &inspector, "").await.is_empty());
});

backend_test!(async fn no_penalty_rests_on_a_self_inspection(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let self_found = report(&app, &manager.access, &hazard_body(&plant)).await;
    assert_eq!(self_found["source"], "self_inspection");

    let mut body = penalty(&plant, 9);
    body["hazard_ids"] = json!([self_found["id"]]);
    let refused = app.post_as(&inspector.access, "/api/v1/enforcement-actions", &body).await
        .problem(422, "self_inspection_not_penalised");
    assert_eq!(refused["errors"][0]["field"], "hazard_ids[0]");
    assert!(refused["detail"].as_str().unwrap().contains("自查不罚"));
    let events = app.get_as(&inspector.access, &format!("/api/v1/hazards/{}/events", self_found["id"].as_str().unwrap())).await.json();
    assert_eq!(events.as_array().unwrap().len(), 1, "the refused penalty left no event");

    // A self-inspection itself cannot carry a penalty either.
    let inspection = app.post_as(&manager.access, "/api/v1/inspections", &json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": plant, "kind": "self", "officer_ids": [],
        "started_at": Utc::now() - Duration::hours(1),
    })).await.json();
    let mut body = penalty(&plant, 10);
    body["inspection_id"] = inspection["id"].clone();
    app.post_as(&inspector.access, "/api/v1/enforcement-actions", &body).await
        .problem(422, "self_inspection_not_penalised");

    // An order to rectify it is fine.
    let order = json!({
        "id": uuid::Uuid::new_v4(), "kind": "rectification_notice", "issuing_body": BODY,
        "document_no": "（赣）应急责改〔2026〕3号", "enterprise_id": plant,
        "hazard_ids": [self_found["id"]],
    });
    let created = app.post_as(&inspector.access, "/api/v1/enforcement-actions", &order).await;
    assert_eq!(created.status, 201, "{}", created.json());
});

backend_test!(async fn documents_stay_inside_their_scope(app) {
    let near = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let far = app.seed_enterprise("530524101", "fireworks", "昌宁烟花");
    let near_manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(near.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let far_inspector = app.signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into())).await;

    app.post_as(&inspector.access, "/api/v1/enforcement-actions", &penalty(&far, 1)).await
        .problem(422, "validation_failed");
    let near_hazard = report(&app, &inspector.access, &hazard_body(&near)).await;
    let mut crossed = penalty(&far, 2);
    crossed["hazard_ids"] = json!([near_hazard["id"]]);
    app.post_as(&far_inspector.access, "/api/v1/enforcement-actions", &crossed).await
        .problem(422, "validation_failed");

    let mine = app.post_as(&inspector.access, "/api/v1/enforcement-actions", &penalty(&near, 3)).await.json();
    let theirs = app.post_as(&far_inspector.access, "/api/v1/enforcement-actions", &penalty(&far, 4)).await.json();
    let seen: Vec<Value> = actions(&app, &near_manager, "").await.iter().map(|a| a["id"].clone()).collect();
    assert_eq!(seen, [mine["id"].clone()]);
    let path = format!("/api/v1/enforcement-actions/{}", theirs["id"].as_str().unwrap());
    app.get_as(&near_manager.access, &path).await.problem(404, "not_found");
    app.get_as(&inspector.access, &path).await.problem(404, "not_found");
    assert_eq!(actions(&app, &inspector, "?kind=penalty_decision").await.len(), 1);
    assert!(actions(&app, &inspector, "?kind=shutdown").await.is_empty());
    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(actions(&app, &admin, "?region=5305").await.len(), 1);
});
