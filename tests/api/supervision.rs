//! Deadline extensions and listed supervision: decisions recorded in the hazard's chain.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use safeloop::auth::Role;
use safeloop::db::schema::hazards;

backend_test!(async fn an_approved_extension_moves_the_deadline_as_an_event(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let hazard = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let id = hazard["id"].as_str().unwrap();
    let path = format!("/api/v1/hazards/{id}/extensions");

    let too_early = json!({"requested_deadline": Utc::now() + Duration::days(1), "reason": "设备到货延迟"});
    let refused = app.post_as(&manager.access, &path, &too_early).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "requested_deadline");
    let later = Utc::now() + Duration::days(30);
    let asked = app.post_as(&manager.access, &path, &json!({"requested_deadline": later, "reason": "设备到货延迟"})).await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let extension = asked.json()["id"].as_str().unwrap().to_owned();
    app.post_as(&manager.access, &path, &json!({"requested_deadline": later, "reason": "again"}))
        .await
        .problem(409, "extension_pending");
    app.post_as(&inspector.access, &path, &json!({"requested_deadline": later, "reason": "x"})).await.problem(403, "forbidden");

    let decision = format!("/api/v1/extensions/{extension}/decision");
    app.post_as(&inspector.access, &decision, &json!({"approve": true})).await.problem(403, "forbidden");
    let decided = app.post_as(&supervisor.access, &decision, &json!({"approve": true, "note": "同意"})).await;
    assert_eq!(decided.status, 200, "{}", decided.json());
    assert_eq!(decided.json()["decision"], "approved");
    assert_eq!(decided.json()["status"], "approved");
    app.post_as(&supervisor.access, &decision, &json!({"approve": false})).await.problem(409, "already_decided");

    let read = app.get_as(&inspector.access, &format!("/api/v1/hazards/{id}")).await.json();
    let deadline = chrono::DateTime::parse_from_rfc3339(read["deadline"].as_str().unwrap()).unwrap();
    assert!((deadline.with_timezone(&Utc) - later).num_seconds().abs() < 1, "{read}");
    assert_eq!(read["version"], 3);
    let events = app.get_as(&inspector.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "request_extension", "approve_extension"]);
    assert_eq!(events[2]["detail"]["decision"], "approved");
    assert_eq!(app.get_as(&inspector.access, &format!("/api/v1/hazards/{id}/events/verify")).await.json()["valid"], true);
});

backend_test!(async fn supervisors_list_major_hazards_for_supervision(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let mut body = hazard_body(&plant);
    body["level"] = json!("major");
    let hazard = report(&app, &inspector.access, &body).await;
    let id = hazard["id"].as_str().unwrap().to_owned();
    let listed = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            let page = app.get_as(&token, "/api/v1/hazards?listed=true").await.json();
            page["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(listed(&supervisor.access).await, 0);
    // Overdue, a major hazard is due for listed supervision by itself.
    diesel::update(hazards::table.find(&id))
        .set(hazards::deadline.eq(safeloop::db::stored_time(Utc::now() - Duration::days(1))))
        .execute(&mut *app.db())
        .unwrap();
    assert_eq!(listed(&supervisor.access).await, 1);

    let path = format!("/api/v1/hazards/{id}/listing");
    let set = app.post_as(&supervisor.access, &path, &json!({"level": "city", "note": "市级挂牌督办"})).await;
    assert_eq!(set.status, 200, "{}", set.json());
    assert_eq!(set.json()["listed_level"], "city");
    app.post_as(&inspector.access, &path, &json!({"level": "county", "note": "x"})).await.problem(403, "forbidden");
    app.post_as(&supervisor.access, &path, &json!({"level": "nation", "note": "x"})).await.problem(422, "validation_failed");
    let events = app.get_as(&supervisor.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    assert_eq!(events[1]["action"], "set_listing");
    assert_eq!(events[1]["detail"]["level"], "city");
});

backend_test!(async fn supervisors_find_pending_extensions_in_their_scope(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let other_plant = app.seed_enterprise("360704101", "fireworks", "江口烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let other_manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(other_plant.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let elsewhere = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("3608".into())).await;

    // Three requests on three hazards: two of one enterprise, one of another.
    let mut asked = Vec::new();
    for (token, enterprise) in [(&manager, &plant), (&manager, &plant), (&other_manager, &other_plant)] {
        let hazard = report(&app, &inspector.access, &hazard_body(enterprise)).await;
        let path = format!("/api/v1/hazards/{}/extensions", hazard["id"].as_str().unwrap());
        let body = json!({"requested_deadline": Utc::now() + Duration::days(30), "reason": "设备到货延迟"});
        let response = app.post_as(&token.access, &path, &body).await;
        assert_eq!(response.status, 201, "{}", response.json());
        asked.push(response.json()["id"].as_str().unwrap().to_owned());
    }
    let decision = format!("/api/v1/extensions/{}/decision", asked[0]);
    let denied = app.post_as(&supervisor.access, &decision, &json!({"approve": false, "note": "理由不足"})).await;
    assert_eq!(denied.status, 200, "{}", denied.json());

    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
    };
    // The queue: pending ones only, newest first.
    let queue = app.get_as(&supervisor.access, "/api/v1/extensions?status=pending").await.json();
    assert_eq!(ids(&queue), [asked[2].clone(), asked[1].clone()]);
    let decided = app.get_as(&supervisor.access, "/api/v1/extensions?status=denied").await.json();
    assert_eq!(ids(&decided), [asked[0].clone()]);
    assert_eq!(decided["items"][0]["decision_note"], "理由不足");
    // Pages follow the cursor without repeats or gaps.
    let first = app.get_as(&supervisor.access, "/api/v1/extensions?limit=2").await.json();
    assert_eq!(ids(&first), [asked[2].clone(), asked[1].clone()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.get_as(&supervisor.access, &format!("/api/v1/extensions?limit=2&cursor={cursor}")).await.json();
    assert_eq!(ids(&second), [asked[0].clone()]);
    assert!(second["next_cursor"].is_null());
    let filtered = app.get_as(&supervisor.access, &format!("/api/v1/extensions?enterprise_id={other_plant}")).await.json();
    assert_eq!(ids(&filtered), [asked[2].clone()]);

    // An enterprise sees its own; a supervisor elsewhere sees none and cannot open one.
    let own = app.get_as(&manager.access, "/api/v1/extensions").await.json();
    assert_eq!(ids(&own), [asked[1].clone(), asked[0].clone()]);
    assert!(ids(&app.get_as(&elsewhere.access, "/api/v1/extensions").await.json()).is_empty());
    let one = format!("/api/v1/extensions/{}", asked[2]);
    app.get_as(&elsewhere.access, &one).await.problem(404, "not_found");
    app.get_as(&manager.access, &one).await.problem(404, "not_found");
    let read = app.get_as(&other_manager.access, &one).await;
    assert_eq!(read.status, 200, "{}", read.json());
    assert!(read.json()["decision"].is_null());
    assert_eq!(read.json()["status"], "pending");

    // A request left pending on a hazard that was cancelled: no deadline to move, but a denial
    // takes it off the queue.
    let hazard_id = read.json()["hazard_id"].as_str().unwrap().to_owned();
    let cancelled = app.post_as(&supervisor.access, &format!("/api/v1/hazards/{hazard_id}/transitions"),
        &json!({"action": "cancel", "note": "重复登记"})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.json());
    let decision = format!("/api/v1/extensions/{}/decision", asked[2]);
    app.post_as(&supervisor.access, &decision, &json!({"approve": true})).await.problem(409, "extension_not_allowed");
    let denied = app.post_as(&supervisor.access, &decision, &json!({"approve": false, "note": "隐患已撤销"})).await;
    assert_eq!(denied.status, 200, "{}", denied.json());
    assert_eq!(ids(&app.get_as(&supervisor.access, "/api/v1/extensions?status=pending").await.json()), [asked[1].clone()]);

    app.get_as(&supervisor.access, "/api/v1/extensions?status=waiting").await.problem(400, "invalid_query");
    app.get_as(&supervisor.access, "/api/v1/extensions?limit=500").await.problem(422, "validation_failed");
    app.get_as(&supervisor.access, "/api/v1/extensions?cursor=nonsense").await.problem(422, "validation_failed");
});
