//! The ledger export (CSV and XLSX) and the risk map (GeoJSON).

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use chrono::Duration;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{SignedIn, TestApp};
use safeloop::auth::Role;
use safeloop::stats::ledger::HEADERS;

/// Moves a plant to a position, or takes its position away.
fn place(app: &TestApp, enterprise: &str, position: Option<(f64, f64)>) {
    use safeloop::db::schema::enterprises;
    diesel::update(enterprises::table.find(enterprise))
        .set((
            enterprises::latitude.eq(position.map(|p| p.0)),
            enterprises::longitude.eq(position.map(|p| p.1)),
        ))
        .execute(&mut app.db())
        .unwrap();
}

struct Area {
    mine: String,
    far: String,
    closed: String,
    inspector: SignedIn,
}

/// 7 hazards at a fireworks plant in 王母渡镇 (one major, one closed), 3 at a quarry in
/// 沙地镇, 2 at a plant in 昌宁县 outside the supervisors' scope.
async fn area(app: &TestApp) -> Area {
    let fireworks = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mine = app.seed_enterprise("360704102", "non_coal_mines", "韩坊采石场");
    let far = app.seed_enterprise("530524101", "fireworks", "昌宁烟花");
    place(app, &fireworks, Some((25.86, 115.05)));
    place(app, &mine, Some((25.60, 115.30)));
    let inspector = app.signed_in(Role::Inspector).await;
    let far_inspector = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into()))
        .await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut body = hazard_body(&fireworks);
        if i == 0 {
            body["level"] = json!("major");
            body["description"] = json!("药物总库超量储存，\"严重\"违规, 需立即整改");
        }
        ids.push(
            report(app, &inspector.access, &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for _ in 0..3 {
        report(app, &inspector.access, &hazard_body(&mine)).await;
    }
    for _ in 0..2 {
        report(app, &far_inspector.access, &hazard_body(&far)).await;
    }
    // One of them is closed (set directly: the loop itself is tested in closed_loop.rs).
    let closed = ids[6].clone();
    {
        use safeloop::db::schema::hazards;
        diesel::update(hazards::table.find(&closed))
            .set((
                hazards::status.eq("closed"),
                hazards::closed_at.eq(safeloop::db::now()),
            ))
            .execute(&mut app.db())
            .unwrap();
    }
    Area {
        mine,
        far,
        closed,
        inspector,
    }
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a BOM for Excel"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

backend_test!(async fn the_ledger_comes_as_csv_with_chinese_headers(app) {
    let area = area(&app).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let answer = app.get_as(&supervisor.access, "/api/v1/hazards/export?format=csv").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = answer.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".csv"), "{disposition}");
    let rows = csv_rows(&answer.body);
    assert_eq!(rows[0], HEADERS);
    assert_eq!(rows.len(), 1 + 10, "ten hazards in scope; 昌宁县 is not");
    let major = rows.iter().find(|r| r[5] == "重大隐患").unwrap();
    assert_eq!(major[1], "王母渡烟花有限公司");
    assert_eq!(major[3], "烟花爆竹");
    assert_eq!(major[4], "王母渡镇");
    assert_eq!(major[6], "药物总库超量储存，\"严重\"违规, 需立即整改");
    assert_eq!((major[9].as_str(), major[10].as_str(), major[13].as_str()), ("王仓管", "待整改", "0"));
    let closed = rows.iter().find(|r| r[0] == area.closed).unwrap();
    assert_eq!(closed[10], "已销号");
    assert!(!closed[12].is_empty(), "closed date printed");
    assert!(rows.iter().skip(1).all(|r| r[2].len() == 18), "credit codes printed");

    // The list's filters apply.
    let open_mine = app.get_as(&supervisor.access, &format!("/api/v1/hazards/export?status=open&enterprise_id={}", area.mine)).await;
    assert_eq!(csv_rows(&open_mine.body).len(), 1 + 3);
    let township = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("360704102".into())).await;
    let theirs = app.get_as(&township.access, "/api/v1/hazards/export").await;
    assert_eq!(csv_rows(&theirs.body).len(), 1 + 3, "csv is the default, in the caller's scope");
    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(csv_rows(&app.get_as(&admin.access, "/api/v1/hazards/export").await.body).len(), 1 + 12);

    app.get_as(&area.inspector.access, "/api/v1/hazards/export").await.problem(403, "forbidden");
    let manager = app.signed_in(Role::Enterprise).await;
    app.get_as(&manager.access, "/api/v1/hazards/export").await.problem(403, "forbidden");
    app.get_as(&supervisor.access, "/api/v1/hazards/export?format=pdf").await.problem(400, "invalid_query");
    let refused = app.get_as(&supervisor.access, "/api/v1/hazards/export?status=done").await.problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "status");
});

backend_test!(async fn the_ledger_comes_as_xlsx_that_a_reader_opens(app) {
    area(&app).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let answer = app.get_as(&supervisor.access, "/api/v1/hazards/export?format=xlsx&level=major").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(answer.body.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["隐患台账"]);
    let sheet = book.worksheet_range("隐患台账").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0], HEADERS);
    assert_eq!(rows.len(), 2, "one major hazard");
    assert_eq!(rows[1][6], "药物总库超量储存，\"严重\"违规, 需立即整改");
    assert_eq!(rows[1][13], "0");
    let everything = app.get_as(&supervisor.access, "/api/v1/hazards/export?format=xlsx").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(everything.body.to_vec())).unwrap();
    assert_eq!(book.worksheet_range("隐患台账").unwrap().height(), 11);
});

backend_test!(async fn a_ledger_longer_than_a_batch_arrives_whole(app) {
    use safeloop::hazard::model::{self, HazardRow};
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let template = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let mut conn = app.db();
    let base = safeloop::db::now();
    let total = safeloop::stats::ledger::BATCH as usize * 2 + 37;
    for i in 1..total {
        // Some share a creation time, as rows do under load: the keyset must not skip them.
        let at = base - Duration::seconds((i / 3) as i64);
        let row = HazardRow {
            id: uuid::Uuid::new_v4().to_string(), inspection_id: None, enterprise_id: plant.clone(),
            region_code: "360704101".into(), sector_code: "fireworks".into(), source: "inspection".into(),
            level: "general".into(), description: format!("第{i}条"), location: None, legal_basis: None,
            checklist_item_code: None, deadline: at + Duration::days(3), responsible_person: "张三".into(),
            measures: "整改".into(), listed_level: None, status: "open".into(),
            reported_by: template["reported_by"].as_str().unwrap().into(), request_hash: String::new(),
            version: 1, created_at: at, updated_at: at, rectified_at: None, closed_at: None, status_since: Some(at),
        };
        model::insert(&mut conn, &row).unwrap();
        safeloop::stats::tally::hazard_reported(&mut conn, &row).unwrap();
    }
    drop(conn);
    let admin = app.signed_in(Role::Admin).await;
    for format in ["csv", "xlsx"] {
        let answer = app.get_as(&admin.access, &format!("/api/v1/hazards/export?format={format}")).await;
        let ids: Vec<String> = if format == "csv" {
            csv_rows(&answer.body).into_iter().skip(1).map(|r| r[0].clone()).collect()
        } else {
            let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(answer.body.to_vec())).unwrap();
            let sheet = book.worksheet_range("隐患台账").unwrap();
            sheet.rows().skip(1).map(|r| r[0].to_string()).collect()
        };
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!((ids.len(), unique.len()), (total, total), "{format}");
    }
});

fn check_geojson(answer: &Value) {
    assert_eq!(answer["type"], "FeatureCollection");
    for feature in answer["features"].as_array().unwrap() {
        assert_eq!(feature["type"], "Feature");
        assert!(feature["properties"].is_object());
        let geometry = &feature["geometry"];
        if !geometry.is_null() {
            assert_eq!(geometry["type"], "Point");
            let position = geometry["coordinates"].as_array().unwrap();
            assert_eq!(position.len(), 2);
            let (longitude, latitude) =
                (position[0].as_f64().unwrap(), position[1].as_f64().unwrap());
            assert!((-180.0..=180.0).contains(&longitude) && (-90.0..=90.0).contains(&latitude));
        }
    }
}

async fn map(app: &TestApp, who: &SignedIn, query: &str) -> Value {
    let answer = app
        .get_as(&who.access, &format!("/api/v1/map/hazards{query}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    assert_eq!(answer.header("content-type"), Some("application/geo+json"));
    let body = answer.json();
    check_geojson(&body);
    body
}

backend_test!(async fn the_risk_map_shows_unresolved_hazards_where_they_are(app) {
    let area = area(&app).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let all = map(&app, &supervisor, "").await;
    let features = all["features"].as_array().unwrap();
    assert_eq!(features.len(), 9, "ten in scope, one closed");
    assert_eq!(all["truncated"], false);
    let major = features.iter().find(|f| f["properties"]["level"] == "major").unwrap();
    assert_eq!(major["geometry"]["coordinates"], json!([115.05, 25.86]), "longitude first");
    assert_eq!(major["properties"]["enterprise_name"], "王母渡烟花有限公司");
    assert_eq!(major["properties"]["overdue"], false);
    assert!(features.iter().all(|f| f["id"] != area.closed.as_str()));

    let west = map(&app, &supervisor, "?bbox=114.9,25.7,115.1,26.0").await;
    assert_eq!(west["features"].as_array().unwrap().len(), 6, "the quarry lies outside the box");
    let majors = map(&app, &supervisor, "?level=major").await;
    assert_eq!(majors["features"].as_array().unwrap().len(), 1);

    place(&app, &area.mine, None);
    let unplaced = map(&app, &supervisor, &format!("?enterprise_id={}", area.mine)).await;
    let unplaced = unplaced["features"].as_array().unwrap();
    assert_eq!(unplaced.len(), 3);
    assert!(unplaced.iter().all(|f| f["geometry"].is_null()), "no position, no point");

    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(area.far.clone())).await;
    assert_eq!(map(&app, &manager, "").await["features"].as_array().unwrap().len(), 2);

    for (query, field) in [("?status=closed", "status"), ("?bbox=1,2,3", "bbox"), ("?bbox=116,26,115,25", "bbox")] {
        let refused = app.get_as(&supervisor.access, &format!("/api/v1/map/hazards{query}")).await.problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["field"], field, "{query}");
    }
});
