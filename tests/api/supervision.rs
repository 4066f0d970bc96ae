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
