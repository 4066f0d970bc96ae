//! `GET /api/v1/sync`: a phone that syncs, goes offline, writes, reconnects and is moved to
//! another county ends up holding exactly the server's view; plus write checkpoints, the
//! offline pack, and the checkpoints the server refuses.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::test::TestRequest;
use chrono::Duration;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{fireworks_checklist, hazard_body, report};
use crate::harness::{Backend, PASSWORD, SignedIn, TestApp};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;

/// What the phone holds: (entity, id) -> data.
type View = BTreeMap<(String, String), Value>;

/// Reads the feed from `checkpoint` until `has_more` is false, `limit` rows a page, applying
/// every change to `view`; checks that no entity comes twice in the pass. Returns the changes
/// and the last checkpoint.
async fn pass(
    app: &TestApp,
    who: &SignedIn,
    view: &mut View,
    checkpoint: Option<&str>,
    limit: i64,
) -> (Vec<Value>, String) {
    let mut checkpoint = checkpoint.map(str::to_owned);
    let mut changes = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..500 {
        let mut path = format!("/api/v1/sync?limit={limit}");
        if let Some(c) = &checkpoint {
            path.push_str(&format!("&checkpoint={c}"));
        }
        let page = app.get_as(&who.access, &path).await;
        assert_eq!(page.status, 200, "{}", page.json());
        let page = page.json();
        for change in page["changes"].as_array().unwrap() {
            let key = (
                change["entity"].as_str().unwrap().to_owned(),
                change["id"].as_str().unwrap().to_owned(),
            );
            assert!(seen.insert(key.clone()), "{key:?} came twice in one pass");
            match change["op"].as_str().unwrap() {
                "put" => {
                    view.insert(key, change["data"].clone());
                }
                "remove" => {
                    assert!(change.get("data").is_none_or(Value::is_null));
                    view.remove(&key);
                }
                other => panic!("op {other}"),
            }
            changes.push(change.clone());
        }
        checkpoint = Some(page["checkpoint"].as_str().unwrap().to_owned());
        if !page["has_more"].as_bool().unwrap() {
            return (changes, checkpoint.unwrap());
        }
        if page["changes"].as_array().unwrap().is_empty() {
            // Held back by another test's open transaction on the shared cluster.
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    panic!("the feed never ended");
}

fn ids_of(view: &View, entity: &str) -> BTreeSet<String> {
    view.keys()
        .filter(|(e, _)| e == entity)
        .map(|(_, id)| id.clone())
        .collect()
}

/// The ids a list endpoint answers for `who` (first page of up to 200 is enough here).
async fn listed(app: &TestApp, who: &SignedIn, path: &str) -> BTreeSet<String> {
    let page = app.get_as(&who.access, path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.json());
    page.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The view holds exactly what the list endpoints show the caller.
async fn matches_the_server(app: &TestApp, who: &SignedIn, view: &View) {
    assert_eq!(
        ids_of(view, "enterprise"),
        listed(app, who, "/api/v1/enterprises?limit=200").await
    );
    assert_eq!(
        ids_of(view, "hazard"),
        listed(app, who, "/api/v1/hazards?limit=200").await
    );
    assert_eq!(
        ids_of(view, "inspection"),
        listed(app, who, "/api/v1/inspections?limit=200").await
    );
    for ((entity, id), data) in view {
        if entity == "hazard" {
            let current = app
                .get_as(&who.access, &format!("/api/v1/hazards/{id}"))
                .await;
            assert_eq!(current.status, 200);
            assert_eq!(&current.json()["version"], &data["version"], "hazard {id}");
            assert_eq!(&current.json()["status"], &data["status"], "hazard {id}");
        }
    }
}

async fn act(app: &TestApp, who: &SignedIn, hazard: &str, body: Value) -> Value {
    let answer = app
        .post_as(
            &who.access,
            &format!("/api/v1/hazards/{hazard}/transitions"),
            &body,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    answer.json()
}

async fn photo(app: &TestApp, who: &SignedIn, seed: u8, purpose: &str) -> String {
    let uploaded = upload(app, &who.access, &phone_jpeg(seed), purpose).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.json());
    uploaded.json()["id"].as_str().unwrap().to_owned()
}

backend_test!(async fn a_phone_holds_exactly_the_servers_view(app) {
    let admin = app.signed_in(Role::Admin).await;
    let checklist = fireworks_checklist(&app, &admin.access).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let neighbour = app.seed_enterprise("360704102", "fireworks", "沙地烟花");
    let far = app.seed_enterprise("530524101", "fireworks", "远方烟花");
    let manager = app
        .signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone()))
        .await;
    let inspector = app.signed_in(Role::Inspector).await;
    let far_inspector = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into()))
        .await;
    let mut ours = Vec::new();
    for enterprise in [&plant, &plant, &neighbour] {
        let hazard = report(&app, &inspector.access, &hazard_body(enterprise)).await;
        ours.push(hazard["id"].as_str().unwrap().to_owned());
    }
    report(&app, &far_inspector.access, &hazard_body(&far)).await;

    // First sync, two log rows a page: the county's enterprises and hazards, the catalog.
    let mut view = View::new();
    let (_, checkpoint) = pass(&app, &inspector, &mut view, None, 2).await;
    assert!(view.contains_key(&("checklist".into(), checklist.clone())));
    assert_eq!(ids_of(&view, "enterprise"), BTreeSet::from([plant.clone(), neighbour.clone(), manager_enterprise(&app, &manager)]));
    assert_eq!(ids_of(&view, "hazard"), ours.iter().cloned().collect());
    assert!(ids_of(&view, "task").is_empty(), "nothing waits for a re-check yet");
    matches_the_server(&app, &inspector, &view).await;
    let hazard = &view[&("hazard".to_owned(), ours[0].clone())];
    assert_eq!(hazard["status"], "open");
    assert_eq!(hazard["photos"], json!([]));

    // Caught up: nothing more.
    let (again, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 50).await;
    assert!(again.is_empty(), "{again:?}");

    // The enterprise sends proof; the inspector's next sync brings the hazard and the task.
    let proof = photo(&app, &manager, 41, "rectification").await;
    act(&app, &manager, &ours[0], json!({"action": "submit_rectification", "note": "已清理", "photo_ids": [proof]})).await;
    let (changes, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 50).await;
    let kinds: Vec<(String, String, String)> = changes
        .iter()
        .map(|c| (c["entity"].as_str().unwrap().into(), c["op"].as_str().unwrap().into(), c["id"].as_str().unwrap().into()))
        .collect();
    assert_eq!(kinds, [
        ("hazard".into(), "put".into(), ours[0].clone()),
        ("task".into(), "put".into(), ours[0].clone()),
    ]);
    let hazard = &view[&("hazard".to_owned(), ours[0].clone())];
    assert_eq!(hazard["status"], "submitted");
    assert_eq!(hazard["photos"][0]["id"], proof.as_str());
    assert_eq!(hazard["photos"][0]["purpose"], "rectification");
    let task = &view[&("task".to_owned(), ours[0].clone())];
    assert_eq!(task["tasks"][0]["kind"], "verify");
    assert_eq!(changes[0]["version"], hazard["version"]);

    // Offline, the inspector re-checks: the write lands, the next sync carries it, and the
    // task leaves.
    act(&app, &inspector, &ours[0], json!({"action": "verify_pass", "note": "复查合格", "photo_ids": [photo(&app, &inspector, 42, "verification").await]})).await;
    let (changes, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 50).await;
    assert!(changes.iter().any(|c| c["entity"] == "task" && c["op"] == "remove"), "{changes:?}");
    assert!(!view.contains_key(&("task".to_owned(), ours[0].clone())));
    matches_the_server(&app, &inspector, &view).await;

    // The enterprise's own phone: its enterprise and hazards, and its own photo went into
    // the hazard, not into its unattached uploads.
    let mut manager_view = View::new();
    pass(&app, &manager, &mut manager_view, None, 3).await;
    assert_eq!(ids_of(&manager_view, "enterprise"), BTreeSet::from([plant.clone()]));
    assert_eq!(ids_of(&manager_view, "hazard"), BTreeSet::from([ours[0].clone(), ours[1].clone()]));
    assert!(ids_of(&manager_view, "photo").is_empty());
    assert_eq!(ids_of(&manager_view, "task"), BTreeSet::from([ours[1].clone()]), "the open one waits for proof");
    let _ = checkpoint;
});

fn manager_enterprise(app: &TestApp, manager: &SignedIn) -> String {
    use safeloop::db::schema::users;
    users::table
        .find(&manager.id)
        .select(users::enterprise_id)
        .first::<Option<String>>(&mut *app.db())
        .unwrap()
        .unwrap()
}

backend_test!(async fn what_leaves_the_view_is_removed(app) {
    let admin = app.signed_in(Role::Admin).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let moving = app.seed_enterprise("360704102", "fireworks", "搬迁烟花");
    let far = app.seed_enterprise("530524101", "fireworks", "远方烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let far_inspector = app
        .signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into()))
        .await;
    let here = report(&app, &inspector.access, &hazard_body(&plant)).await["id"].as_str().unwrap().to_owned();
    let there = report(&app, &far_inspector.access, &hazard_body(&far)).await["id"].as_str().unwrap().to_owned();
    let mut view = View::new();
    let (_, checkpoint) = pass(&app, &inspector, &mut view, None, 100).await;
    assert!(ids_of(&view, "enterprise").contains(&moving));

    // An enterprise re-placed in another county leaves the view.
    let path = format!("/api/v1/enterprises/{moving}");
    let moved = app
        .send_as(&admin.access, TestRequest::patch().uri(&path).insert_header(("if-match", "\"1\"")).set_json(json!({"region_code": "530524101"})))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.json());
    let (changes, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 100).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["op"], "remove");
    assert_eq!(changes[0]["id"], moving.as_str());
    matches_the_server(&app, &inspector, &view).await;
    // A phone syncing for the first time is not told to remove what it never held.
    let newcomer = app.signed_in(Role::Inspector).await;
    let (first, _) = pass(&app, &newcomer, &mut View::new(), None, 1).await;
    assert!(first.iter().all(|c| c["op"] == "put"), "{first:?}");

    // A photo never attached is collected after a day: it leaves its uploader's view.
    let stray = photo(&app, &inspector, 43, "site").await;
    let (_, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 100).await;
    assert!(view.contains_key(&("photo".to_owned(), stray.clone())));
    {
        use safeloop::db::schema::photos;
        diesel::update(photos::table.find(&stray))
            .set(photos::uploaded_at.eq(safeloop::db::now() - Duration::hours(30)))
            .execute(&mut *app.db())
            .unwrap();
    }
    safeloop::evidence::ingest::collect_garbage(&app.state).await.unwrap();
    let (changes, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 100).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!((changes[0]["entity"].as_str(), changes[0]["op"].as_str()), (Some("photo"), Some("remove")));

    // The inspector is moved to another county: everything of the old one goes, the new one
    // comes, and the phone then holds the new county exactly.
    {
        use safeloop::db::schema::users;
        diesel::update(users::table.find(&inspector.id))
            .set(users::region_prefix.eq("530524"))
            .execute(&mut *app.db())
            .unwrap();
    }
    let tokens = app.login(&inspector.username, PASSWORD).await;
    let moved_inspector = SignedIn {
        id: inspector.id.clone(),
        username: inspector.username.clone(),
        access: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
    };
    let (changes, checkpoint) = pass(&app, &moved_inspector, &mut view, Some(&checkpoint), 2).await;
    let removed: BTreeSet<String> = changes.iter().filter(|c| c["op"] == "remove").map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert!(removed.contains(&plant) && removed.contains(&here), "{changes:?}");
    assert!(!view.contains_key(&("hazard".to_owned(), here.clone())));
    assert!(view.contains_key(&("hazard".to_owned(), there.clone())));
    assert!(view.contains_key(&("enterprise".to_owned(), far.clone())));
    assert!(view.contains_key(&("enterprise".to_owned(), moving.clone())), "the moved plant is in the new county");
    matches_the_server(&app, &moved_inspector, &view).await;
    let (again, _) = pass(&app, &moved_inspector, &mut view, Some(&checkpoint), 100).await;
    assert!(again.is_empty(), "{again:?}");
});

backend_test!(async fn checkpoints_the_server_cannot_serve_are_refused(app) {
    app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let other = app.signed_in(Role::Inspector).await;
    let mut view = View::new();
    let (_, checkpoint) = pass(&app, &inspector, &mut view, None, 100).await;

    let stolen = app.get_as(&other.access, &format!("/api/v1/sync?checkpoint={checkpoint}")).await;
    stolen.problem(410, "must_refetch");
    let (body, tag) = checkpoint.split_once('.').unwrap();
    let forged = format!("{body}.{}", if tag.starts_with('A') { tag.replacen('A', "B", 1) } else { format!("A{}", &tag[1..]) });
    app.get_as(&inspector.access, &format!("/api/v1/sync?checkpoint={forged}")).await.problem(410, "must_refetch");
    app.get_as(&inspector.access, "/api/v1/sync?checkpoint=not-ours").await.problem(422, "validation_failed");
    app.get_as(&inspector.access, "/api/v1/sync?limit=0").await.problem(422, "validation_failed");
    app.get_as(&inspector.access, "/api/v1/sync?limit=2001").await.problem(422, "validation_failed");
    app.get("/api/v1/sync").await.problem(401, "unauthenticated");

    // A database restored from an older copy is behind the checkpoint.
    {
        use safeloop::db::schema::sync_changes;
        diesel::delete(sync_changes::table).execute(&mut *app.db()).unwrap();
    }
    app.get_as(&inspector.access, &format!("/api/v1/sync?checkpoint={checkpoint}")).await.problem(410, "must_refetch");
});

backend_test!(async fn write_checkpoints_tell_when_offline_writes_are_in(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let mut view = View::new();
    let (_, before) = pass(&app, &inspector, &mut view, None, 100).await;

    // Offline burst: two reports sent when the signal returns, one with an Idempotency-Key,
    // and one refused.
    let first = hazard_body(&plant);
    report(&app, &inspector.access, &first).await;
    let second = hazard_body(&plant);
    let keyed = app
        .send_as(&inspector.access, TestRequest::post().uri("/api/v1/hazards").insert_header(("idempotency-key", "burst-2")).set_json(&second))
        .await;
    assert_eq!(keyed.status, 201);
    let mut bad = hazard_body(&plant);
    bad["deadline"] = json!(chrono::Utc::now() - Duration::days(1));
    let refused = app
        .send_as(&inspector.access, TestRequest::post().uri("/api/v1/hazards").insert_header(("idempotency-key", "burst-3")).set_json(&bad))
        .await;
    assert_eq!(refused.status, 422);
    let never = uuid::Uuid::new_v4();

    let ask = |checkpoint: String| json!({
        "checkpoint": checkpoint, "ids": [first["id"], never], "idempotency_keys": ["burst-2", "burst-3", "burst-9"],
    });
    let status = app.post_as(&inspector.access, "/api/v1/sync/write-checkpoint", &ask(before.clone())).await;
    assert_eq!(status.status, 200, "{}", status.json());
    let states = |answer: &Value| -> Vec<String> {
        answer["writes"].as_array().unwrap().iter().map(|w| w["state"].as_str().unwrap().to_owned()).collect()
    };
    let answer = status.json();
    assert_eq!(answer["settled"], false);
    let mut got = states(&answer);
    got.sort();
    assert_eq!(got, ["pending", "pending", "refused", "unknown", "unknown"], "{answer}");

    let (_, after) = pass(&app, &inspector, &mut view, Some(&before), 100).await;
    let answer = app.post_as(&inspector.access, "/api/v1/sync/write-checkpoint", &ask(after)).await.json();
    let by_ref: BTreeMap<String, String> = answer["writes"].as_array().unwrap().iter().map(|w| {
        let reference = w["idempotency_key"].as_str().map(str::to_owned).unwrap_or_else(|| w["id"].as_str().unwrap().to_owned());
        (reference, w["state"].as_str().unwrap().to_owned())
    }).collect();
    assert_eq!(by_ref[first["id"].as_str().unwrap()], "visible");
    assert_eq!(by_ref["burst-2"], "visible");
    let burst_2 = answer["writes"].as_array().unwrap().iter().find(|w| w["idempotency_key"] == "burst-2").unwrap();
    assert_eq!(burst_2["status"], 201, "the status the request was answered with");
    assert_eq!(by_ref["burst-3"], "refused");
    assert_eq!(by_ref["burst-9"], "unknown");
    assert_eq!(by_ref[&never.to_string()], "unknown");

    let bad_key = app.post_as(&inspector.access, "/api/v1/sync/write-checkpoint", &json!({"idempotency_keys": ["has space"]})).await;
    bad_key.problem(422, "validation_failed");
    let unknown_field = app.post_as(&inspector.access, "/api/v1/sync/write-checkpoint", &json!({"id": []})).await;
    assert_eq!(unknown_field.status, 422);
});

backend_test!(async fn the_offline_pack_holds_the_catalogs(app) {
    let admin = app.signed_in(Role::Admin).await;
    fireworks_checklist(&app, &admin.access).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let pack = app.get_as(&inspector.access, "/api/v1/sync/pack").await;
    assert_eq!(pack.status, 200);
    let etag = pack.header("etag").unwrap().to_owned();
    let body = pack.json();
    assert!(body["sectors"].as_array().unwrap().iter().any(|s| s["code"] == "fireworks"));
    let regions: Vec<&str> = body["regions"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(regions.contains(&"360704101"), "the county's townships");
    assert!(regions.contains(&"3607") && regions.contains(&"36"), "and the regions above, for names");
    assert!(!regions.iter().any(|r| r.starts_with("5305")), "nothing of another county");
    let items = &body["checklists"][0]["items"];
    assert_eq!(items[1]["major"], true);
    assert!(items[1]["legal_basis"].as_str().unwrap().contains("判定标准"));

    let unchanged = app
        .send_as(&inspector.access, TestRequest::get().uri("/api/v1/sync/pack").insert_header(("if-none-match", etag.clone())))
        .await;
    assert_eq!(unchanged.status, 304);
    let weak = app
        .send_as(&inspector.access, TestRequest::get().uri("/api/v1/sync/pack").insert_header(("if-none-match", format!("W/{etag}"))))
        .await;
    assert_eq!(weak.status, 304, "a tag a proxy made weak still matches");
    let compressed = app
        .send_as(&inspector.access, TestRequest::get().uri("/api/v1/sync/pack").insert_header(("accept-encoding", "gzip")))
        .await;
    assert_eq!(compressed.header("content-encoding"), Some("gzip"));
    fireworks_checklist(&app, &admin.access).await;
    let changed = app
        .send_as(&inspector.access, TestRequest::get().uri("/api/v1/sync/pack").insert_header(("if-none-match", etag)))
        .await;
    assert_eq!(changed.status, 200, "a new checklist changes the pack");
});

/// On PostgreSQL a later transaction can commit before an earlier one: the feed must not
/// move past the earlier one's row while it is still open. (SQLite serialises writers.)
#[actix_web::test]
async fn a_change_that_commits_late_is_not_missed() {
    let app = TestApp::new(Backend::Postgres).await;
    let admin = app.signed_in(Role::Admin).await;
    let mut view = View::new();
    let (_, checkpoint) = pass(&app, &admin, &mut view, None, 100).await;

    // The first transaction writes and stays open; a second one writes and commits.
    let (hold, release) = std::sync::mpsc::channel::<()>();
    let (written, wrote) = std::sync::mpsc::channel::<String>();
    let pool = app.state.pool.clone();
    let early = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        conn.transaction::<_, safeloop::error::ApiError, _>(|conn| {
            let id = seed_row(conn, "早写晚提交");
            written.send(id.clone()).unwrap();
            release.recv().unwrap();
            Ok(id)
        })
        .unwrap()
    });
    let early_id = wrote.recv().unwrap();
    let late_id = seed_row(&mut app.db(), "晚写早提交");

    // While the first is open the feed does not move past it, and says to come back.
    let page = app
        .get_as(
            &admin.access,
            &format!("/api/v1/sync?checkpoint={checkpoint}"),
        )
        .await
        .json();
    assert_eq!(page["has_more"], true, "{page}");
    assert!(
        !page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == late_id.as_str()),
        "the later commit waits for the earlier transaction: {page}"
    );
    let checkpoint = page["checkpoint"].as_str().unwrap().to_owned();
    hold.send(()).unwrap();
    early.join().unwrap();
    pass(&app, &admin, &mut view, Some(&checkpoint), 100).await;
    assert!(
        view.contains_key(&("enterprise".to_owned(), early_id)),
        "the late commit arrived"
    );
    assert!(view.contains_key(&("enterprise".to_owned(), late_id)));
}

fn seed_row(conn: &mut safeloop::db::DbConnection, name: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let now = safeloop::db::now();
    let row = safeloop::registry::enterprise::EnterpriseRow {
        id: id.clone(),
        credit_code: crate::harness::unique_credit_code(),
        credit_code_override_reason: None,
        name: format!("{name}有限公司"),
        sector_code: "fireworks".into(),
        region_code: "360704101".into(),
        address: "工业园区2号".into(),
        latitude: None,
        longitude: None,
        risk_level: "yellow".into(),
        contact_name: "安全员".into(),
        contact_phone: "0797-1234567".into(),
        above_scale: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    safeloop::registry::enterprise::insert(conn, &row).unwrap();
    id
}

backend_test!(async fn a_widened_scope_brings_back_what_moved_away(app) {
    let admin = app.signed_in(Role::Admin).await;
    let moving = app.seed_enterprise("360704101", "fireworks", "搬迁烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let mut view = View::new();
    let (_, checkpoint) = pass(&app, &inspector, &mut view, None, 500).await;
    assert!(view.contains_key(&("enterprise".to_owned(), moving.clone())));

    // The plant moves to the next county (南康区): the county inspector lets it go.
    let moved = app
        .send_as(&admin.access, TestRequest::patch().uri(&format!("/api/v1/enterprises/{moving}")).insert_header(("if-match", "\"1\"")).set_json(json!({"region_code": "360703001"})))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.json());
    let (_, checkpoint) = pass(&app, &inspector, &mut view, Some(&checkpoint), 500).await;
    assert!(!view.contains_key(&("enterprise".to_owned(), moving.clone())));

    // The inspector now covers the whole prefecture: the plant comes back.
    {
        use safeloop::db::schema::users;
        diesel::update(users::table.find(&inspector.id))
            .set(users::region_prefix.eq("3607"))
            .execute(&mut *app.db())
            .unwrap();
    }
    let tokens = app.login(&inspector.username, PASSWORD).await;
    let widened = SignedIn {
        id: inspector.id.clone(),
        username: inspector.username.clone(),
        access: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
    };
    pass(&app, &widened, &mut view, Some(&checkpoint), 500).await;
    assert!(view.contains_key(&("enterprise".to_owned(), moving.clone())), "the plant is back");
    matches_the_server(&app, &widened, &view).await;
});

backend_test!(async fn another_role_starts_over(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let (_, checkpoint) = pass(&app, &inspector, &mut View::new(), None, 500).await;
    {
        use safeloop::db::schema::users;
        diesel::update(users::table.find(&inspector.id))
            .set(users::role.eq("supervisor"))
            .execute(&mut *app.db())
            .unwrap();
    }
    let tokens = app.login(&inspector.username, PASSWORD).await;
    let promoted = tokens["access_token"].as_str().unwrap();
    app.get_as(promoted, &format!("/api/v1/sync?checkpoint={checkpoint}"))
        .await
        .problem(410, "must_refetch");
});
