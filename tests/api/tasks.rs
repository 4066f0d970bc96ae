//! `GET /api/v1/me/tasks`: each person's turn, in scope, oldest first, paged, with counts.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{SignedIn, TestApp};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;
use safeloop::db::schema::hazards;

async fn tasks(app: &TestApp, who: &SignedIn) -> Value {
    let answer = app.get_as(&who.access, "/api/v1/me/tasks").await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    answer.json()
}

fn kinds_and_hazards(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_owned(),
                t["hazard_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

backend_test!(async fn everyone_sees_what_waits_for_them(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let other = app.seed_enterprise("360704102", "fireworks", "沙地烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let checker = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let elsewhere = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("530524".into())).await;
    let admin = app.signed_in(Role::Admin).await;

    let mut ids = Vec::new();
    for (days, level) in [(10, "general"), (3, "general"), (20, "major")] {
        let mut body = hazard_body(&plant);
        body["deadline"] = json!(Utc::now() + Duration::days(days));
        body["level"] = json!(level);
        ids.push(report(&app, &inspector.access, &body).await["id"].as_str().unwrap().to_owned());
    }
    report(&app, &inspector.access, &hazard_body(&other)).await;
    // The major one's deadline passes.
    diesel::update(hazards::table.find(&ids[2]))
        .set(hazards::deadline.eq(safeloop::db::now() - Duration::days(2)))
        .execute(&mut *app.db())
        .unwrap();

    // The enterprise: its own open hazards by deadline, the overdue one first.
    let page = tasks(&app, &manager).await;
    let order: Vec<String> = kinds_and_hazards(&page).into_iter().map(|(_, h)| h).collect();
    assert_eq!(order, [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    assert!(page["items"].as_array().unwrap().iter().all(|t| t["kind"] == "submit_rectification"));
    assert_eq!(page["items"][0]["overdue"], true);
    assert_eq!(page["items"][0]["enterprise_name"], "王母渡烟花有限公司");
    assert_eq!(page["counts"], json!({"submit_rectification": 3}));

    // Proof for one: it waits for an inspector now.
    let proof = upload(&app, &manager.access, &phone_jpeg(5), "rectification").await.json();
    let step = |id: &str| format!("/api/v1/hazards/{id}/transitions");
    let sent = app.post_as(&manager.access, &step(&ids[0]), &json!({"action": "submit_rectification", "note": "已清理", "photo_ids": [proof["id"]]})).await;
    assert_eq!(sent.status, 200, "{}", sent.json());
    let page = tasks(&app, &inspector).await;
    assert_eq!(kinds_and_hazards(&page), [("verify".to_owned(), ids[0].clone())]);
    assert_eq!(page["counts"], json!({"verify": 1}));
    assert_eq!(tasks(&app, &manager).await["counts"]["submit_rectification"], 2);

    // Re-checked: it waits for a supervisor; an extension request and the overdue major one too.
    assert_eq!(app.post_as(&checker.access, &step(&ids[0]), &json!({"action": "verify_pass", "note": "复查合格"})).await.status, 200);
    let asked = app.post_as(&manager.access, &format!("/api/v1/hazards/{}/extensions", ids[1]), &json!({"requested_deadline": Utc::now() + Duration::days(30), "reason": "订货周期长"})).await;
    assert_eq!(asked.status, 201, "{}", asked.json());
    let page = tasks(&app, &supervisor).await;
    assert_eq!(page["counts"], json!({"decide_closure": 1, "decide_extension": 1, "set_listing": 1}));
    let kinds: Vec<String> = kinds_and_hazards(&page).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["set_listing", "decide_closure", "decide_extension"], "oldest first");
    let extension = &page["items"][2];
    assert_eq!(extension["extension_id"], asked.json()["id"]);
    assert!(extension["requested_deadline"].is_string());

    // Paged one at a time, nothing twice, nothing missed.
    let mut seen = Vec::new();
    let mut path = "/api/v1/me/tasks?limit=1".to_owned();
    loop {
        let page = app.get_as(&supervisor.access, &path).await.json();
        seen.extend(kinds_and_hazards(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/me/tasks?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, kinds_and_hazards(&tasks(&app, &supervisor).await));

    // Listed: off the queue. Outside the scope, and for an admin: nothing.
    let listed = app.post_as(&supervisor.access, &format!("/api/v1/hazards/{}/listing", ids[2]), &json!({"level": "county", "note": "县级挂牌"})).await;
    assert_eq!(listed.status, 200, "{}", listed.json());
    assert_eq!(tasks(&app, &supervisor).await["counts"]["set_listing"], 0);
    let page = tasks(&app, &elsewhere).await;
    assert!(page["items"].as_array().unwrap().is_empty());
    assert_eq!(page["counts"], json!({"decide_closure": 0, "decide_extension": 0, "set_listing": 0}));
    assert_eq!(tasks(&app, &admin).await["items"], json!([]));

    app.get_as(&supervisor.access, "/api/v1/me/tasks?cursor=nonsense").await.problem(422, "validation_failed");
    app.get("/api/v1/me/tasks").await.problem(401, "unauthenticated");
});
