//! Reporting hazards and listing them: what a report needs, where it comes from, retries,
//! the overdue and listed filters, paging while reports arrive, and sync.

use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{
    fireworks_checklist, hazard_body, inspector_pair, report, routine_inspection,
};
use crate::harness::TestApp;
use safeloop::auth::Role;
use safeloop::db::schema::hazards;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Moves a hazard's deadline behind the API's back (time passing).
fn set_deadline(app: &TestApp, id: &str, days_from_now: i64) {
    let deadline = safeloop::db::stored_time(Utc::now() + Duration::days(days_from_now));
    diesel::update(hazards::table.find(id))
        .set(hazards::deadline.eq(deadline))
        .execute(&mut *app.db())
        .unwrap();
}

backend_test!(async fn a_failed_major_checklist_item_makes_a_major_hazard(app) {
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let inspection = routine_inspection(&app, &lead, &partner, &plant, Some(&checklist)).await;

    let mut body = hazard_body(&plant);
    body["inspection_id"] = inspection["id"].clone();
    body["checklist_item_code"] = json!("YH-2");
    let hazard = report(&app, &lead.access, &body).await;
    assert_eq!(hazard["level"], "major", "a major checklist item forces the level");
    assert_eq!(hazard["source"], "inspection");
    assert_eq!(hazard["status"], "open");
    assert_eq!(hazard["overdue"], false);
    assert_eq!(hazard["version"], 1);
    assert_eq!(hazard["sector"], "fireworks");
    assert!(hazard["legal_basis"].as_str().unwrap().contains("重大生产安全事故隐患判定标准"));

    let mut unknown_item = hazard_body(&plant);
    unknown_item["inspection_id"] = inspection["id"].clone();
    unknown_item["checklist_item_code"] = json!("ZZ-1");
    let refused = app.post_as(&lead.access, "/api/v1/hazards", &unknown_item).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "checklist_item_code");

    let read = app.get_as(&lead.access, &format!("/api/v1/hazards/{}", hazard["id"].as_str().unwrap())).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(read.json(), hazard);
    let cached = app
        .send_as(&lead.access, TestRequest::get().uri(&format!("/api/v1/hazards/{}", hazard["id"].as_str().unwrap())).insert_header(("if-none-match", "\"1\"")))
        .await;
    assert_eq!(cached.status, 304);
});

backend_test!(async fn a_report_must_carry_what_the_loop_needs(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let cases: [(&str, Value, &str); 5] = [
        ("deadline", json!(Utc::now() - Duration::hours(2)), "deadline"),
        ("responsible_person", json!(""), "responsible_person"),
        ("measures", json!("  "), "measures"),
        ("photo_ids", json!([uuid::Uuid::new_v4()]), "photo_ids[0]"),
        ("level", json!("catastrophic"), "level"),
    ];
    for (field, value, named) in cases {
        let mut body = hazard_body(&plant);
        body[field] = value;
        let refused = app.post_as(&inspector.access, "/api/v1/hazards", &body).await.problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["field"], named, "{field}: {refused}");
    }
    let mut missing = hazard_body(&plant);
    missing.as_object_mut().unwrap().remove("responsible_person");
    app.post_as(&inspector.access, "/api/v1/hazards", &missing).await.problem(422, "validation_failed");
    let far = app.seed_enterprise("530524101", "fireworks", "昌宁烟花");
    let refused = app.post_as(&inspector.access, "/api/v1/hazards", &hazard_body(&far)).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "enterprise_id");
    assert!(ids(&app.get_as(&inspector.access, "/api/v1/hazards").await.json()).is_empty(), "nothing half-written");
});

backend_test!(async fn enterprises_report_their_own_self_inspection_hazards(app) {
    let own = app.seed_enterprise("360704103", "hazardous_chemicals", "江口化工");
    let other = app.seed_enterprise("360704103", "hazardous_chemicals", "江口化肥");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(own.clone())).await;
    let hazard = report(&app, &manager.access, &hazard_body(&own)).await;
    assert_eq!(hazard["source"], "self_inspection");
    let refused = app.post_as(&manager.access, "/api/v1/hazards", &hazard_body(&other)).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "enterprise_id");

    let (lead, partner) = inspector_pair(&app, "360704").await;
    let inspection = routine_inspection(&app, &lead, &partner, &own, None).await;
    let mut from_bureau_inspection = hazard_body(&own);
    from_bureau_inspection["inspection_id"] = inspection["id"].clone();
    let refused = app.post_as(&manager.access, "/api/v1/hazards", &from_bureau_inspection).await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "inspection_id");

    let supervisor = app.signed_in(Role::Supervisor).await;
    assert_eq!(report(&app, &supervisor.access, &hazard_body(&own)).await["source"], "tip");
    let admin = app.signed_in(Role::Admin).await;
    app.post_as(&admin.access, "/api/v1/hazards", &hazard_body(&own)).await.problem(403, "forbidden");
});

backend_test!(async fn retried_reports_never_duplicate(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let body = hazard_body(&plant);
    let answers = futures_util::future::join_all((0..20).map(|_| app.post_as(&inspector.access, "/api/v1/hazards", &body))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 201), "{statuses:?}");
    let first = answers.iter().find(|a| a.status == 201).unwrap().json();
    assert!(answers.iter().all(|a| a.json() == first));
    assert_eq!(ids(&app.get_as(&inspector.access, "/api/v1/hazards").await.json()).len(), 1);

    let mut clash = body.clone();
    clash["description"] = json!("a different hazard under the same id");
    app.post_as(&inspector.access, "/api/v1/hazards", &clash).await.problem(409, "id_conflict");
});

backend_test!(async fn overdue_and_listed_are_derived_and_filterable(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let general = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let mut major_body = hazard_body(&plant);
    major_body["level"] = json!("major");
    let major = report(&app, &inspector.access, &major_body).await;
    let on_time = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let id = |h: &Value| h["id"].as_str().unwrap().to_owned();
    set_deadline(&app, &id(&general), -3);
    set_deadline(&app, &id(&major), -1);

    let overdue = app.get_as(&inspector.access, "/api/v1/hazards?overdue=true").await.json();
    let mut got = ids(&overdue);
    got.sort();
    let mut want = vec![id(&general), id(&major)];
    want.sort();
    assert_eq!(got, want);
    assert!(overdue["items"].as_array().unwrap().iter().all(|h| h["overdue"] == true));
    assert_eq!(ids(&app.get_as(&inspector.access, "/api/v1/hazards?overdue=false").await.json()), vec![id(&on_time)]);
    assert_eq!(ids(&app.get_as(&inspector.access, "/api/v1/hazards?listed=true").await.json()), vec![id(&major)]);
    assert_eq!(ids(&app.get_as(&inspector.access, "/api/v1/hazards?level=major").await.json()), vec![id(&major)]);
    let read = app.get_as(&inspector.access, &format!("/api/v1/hazards/{}", id(&major))).await.json();
    assert_eq!((read["overdue"].as_bool(), read["listed"].as_bool()), (Some(true), Some(true)));
    app.get_as(&inspector.access, "/api/v1/hazards?status=lost").await.problem(422, "validation_failed");
});

backend_test!(async fn paging_while_reports_arrive_sees_every_hazard_once(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let mut expected = Vec::new();
    for _ in 0..120 {
        expected.push(report(&app, &inspector.access, &hazard_body(&plant)).await["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/hazards?limit=25".to_owned();
    loop {
        let page = app.get_as(&inspector.access, &path).await.json();
        seen.extend(ids(&page));
        // New reports land between pages; they are newer than the cursor, so they belong to
        // the next sync, not to this walk.
        for _ in 0..3 {
            report(&app, &inspector.access, &hazard_body(&plant)).await;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/hazards?limit=25&cursor={cursor}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a hazard was served twice");
    expected.reverse();
    assert_eq!(seen, expected, "newest first, none skipped");
});

backend_test!(async fn sync_by_updated_since_returns_what_changed(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    let first = app.get_as(&inspector.access, "/api/v1/hazards").await.json();
    let server_time = first["server_time"].as_str().unwrap().replace('+', "%2B");
    // Rows older than the overlap window are not sent again.
    diesel::update(hazards::table)
        .set(hazards::updated_at.eq(safeloop::db::stored_time(Utc::now() - Duration::minutes(10))))
        .execute(&mut *app.db())
        .unwrap();
    let fresh = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let changed = app.get_as(&inspector.access, &format!("/api/v1/hazards?updated_since={server_time}")).await.json();
    assert_eq!(ids(&changed), vec![fresh["id"].as_str().unwrap().to_owned()]);
    assert!(changed["server_time"].is_string());
});

backend_test!(async fn a_list_page_answers_each_hazard_as_reading_it_alone_does(app) {
    // The list reads its rows another way than a single read (texts in one buffer per row):
    // every field, empty or filled, escaped or not, must come out the same.
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let (lead, partner) = inspector_pair(&app, "360704").await;
    let inspection = routine_inspection(&app, &lead, &partner, &plant, Some(&checklist)).await;
    let mut full = hazard_body(&plant);
    full["inspection_id"] = inspection["id"].clone();
    full["checklist_item_code"] = json!("YH-2");
    full["description"] = json!("引号\" 反斜杠\\ 斜杠/ 符号①℃ </script>");
    let full = report(&app, &lead.access, &full).await;
    let mut bare = hazard_body(&plant);
    bare.as_object_mut().unwrap().remove("location");
    let bare = report(&app, &lead.access, &bare).await;
    let mut major = hazard_body(&plant);
    major["level"] = json!("major");
    let major = report(&app, &lead.access, &major).await;
    let id = |h: &Value| h["id"].as_str().unwrap().to_owned();
    set_deadline(&app, &id(&major), -2);
    let earlier = safeloop::db::stored_time(Utc::now() - Duration::hours(5));
    diesel::update(hazards::table.find(id(&bare)))
        .set((
            hazards::listed_level.eq(Some("city")),
            hazards::rectified_at.eq(Some(earlier)),
            hazards::closed_at.eq(Some(earlier + Duration::milliseconds(250))),
            hazards::updated_at.eq(earlier + Duration::seconds(3)),
            hazards::legal_basis.eq(Some("")),
        ))
        .execute(&mut *app.db())
        .unwrap();

    let page = app.get_as(&lead.access, "/api/v1/hazards").await.json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        let mut alone = app.get_as(&lead.access, &format!("/api/v1/hazards/{}", id(item))).await.json();
        alone.as_object_mut().unwrap().remove("photos");
        assert_eq!(item, &alone);
    }
    let by_id = |h: &Value| items.iter().find(|i| i["id"] == h["id"]).unwrap().clone();
    assert_eq!(by_id(&full)["description"], full["description"]);
    assert_eq!(by_id(&full)["inspection_id"], inspection["id"]);
    assert_eq!(by_id(&bare)["location"], Value::Null);
    assert_eq!(by_id(&bare)["listed_level"], "city");
    assert_eq!(by_id(&bare)["legal_basis"], "");
    assert_ne!(by_id(&bare)["updated_at"], by_id(&bare)["created_at"]);
    assert!(by_id(&bare)["closed_at"].is_string() && by_id(&full)["closed_at"].is_null());
    assert_eq!((by_id(&major)["overdue"].as_bool(), by_id(&major)["listed"].as_bool()), (Some(true), Some(true)));
});
