//! Regions, sectors and enterprises: the credit code check, scope, search, sync, versions.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_test;
use crate::harness::{PASSWORD, TestApp, unique_credit_code};
use safeloop::auth::Role;

fn enterprise(credit_code: &str, region_code: &str, sector: &str) -> Value {
    json!({
        "credit_code": credit_code, "name": "赣县红星化工有限公司", "sector": sector,
        "region_code": region_code, "address": "江口镇化工园区8号", "latitude": 25.86,
        "longitude": 115.01, "risk_level": "red", "contact_name": "刘安全",
        "contact_phone": "0797-4412345", "above_scale": true,
    })
}

async fn admin(app: &TestApp) -> String {
    app.signed_in(Role::Admin).await.access
}

backend_test!(async fn catalogs_list_sectors_and_the_region_tree(app) {
    let token = app.signed_in(Role::Enterprise).await.access;
    let sectors = app.get_as(&token, "/api/v1/sectors").await.json();
    let names: Vec<&str> = sectors.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    for name in ["非煤矿山", "危险化学品", "烟花爆竹", "工贸", "冶金", "建筑施工", "城镇燃气", "校车", "自建房", "危险废物"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let metallurgy = sectors.as_array().unwrap().iter().find(|s| s["code"] == "metallurgy").unwrap();
    assert_eq!(metallurgy["parent_code"], "industry_trade");

    let provinces = app.get_as(&token, "/api/v1/regions").await.json();
    assert!(provinces.as_array().unwrap().iter().any(|r| r["code"] == "36" && r["name"] == "江西省"));
    let towns = app.get_as(&token, "/api/v1/regions?parent=360704").await.json();
    let towns = towns.as_array().unwrap();
    assert!(towns.len() >= 3 && towns.iter().all(|t| t["parent_code"] == "360704"), "{towns:?}");
});

backend_test!(async fn credit_codes_are_checked_and_overrides_recorded(app) {
    let token = admin(&app).await;
    let created = app.post_as(&token, "/api/v1/enterprises", &enterprise("91350100m000100y43", "360704103", "hazardous_chemicals")).await;
    assert_eq!(created.status, 201, "{}", created.json());
    let body = created.json();
    assert_eq!(body["credit_code"], "91350100M000100Y43", "normalised to upper case");
    assert_eq!(body["credit_code_valid"], true);
    assert_eq!(created.header("etag"), Some("\"1\""));

    let again = app.post_as(&token, "/api/v1/enterprises", &enterprise("91350100M000100Y43", "360704103", "fireworks")).await;
    assert!(again.problem(409, "already_exists")["detail"].as_str().unwrap().contains("credit_code"));

    let typo = app
        .post_as(&token, "/api/v1/enterprises", &enterprise("91440300708461136X", "360704103", "fireworks"))
        .await
        .problem(422, "validation_failed");
    assert_eq!(typo["errors"][0]["field"], "credit_code");
    assert!(typo["errors"][0]["message"].as_str().unwrap().contains("should be `T`"), "{typo}");

    let mut overridden = enterprise("91440300708461136X", "360704103", "fireworks");
    overridden["credit_code_override_reason"] = json!("营业执照原件核对无误，登记机关赋码如此");
    let accepted = app.post_as(&token, "/api/v1/enterprises", &overridden).await;
    assert_eq!(accepted.status, 201, "{}", accepted.json());
    let accepted = accepted.json();
    assert_eq!(accepted["credit_code_valid"], false);
    assert_eq!(accepted["credit_code_override_reason"], "营业执照原件核对无误，登记机关赋码如此");

    let mut malformed = enterprise("9144030070846113OT", "360704103", "fireworks");
    malformed["credit_code_override_reason"] = json!("a reason does not excuse a letter O");
    app.post_as(&token, "/api/v1/enterprises", &malformed).await.problem(422, "validation_failed");
});

backend_test!(async fn unknown_catalog_entries_are_refused_and_nothing_is_written(app) {
    let token = admin(&app).await;
    let refused = app
        .post_as(&token, "/api/v1/enterprises", &enterprise(&unique_credit_code(), "999999", "space_mining"))
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["sector", "region_code"]);
    let mut bad = enterprise(&unique_credit_code(), "360704", "fireworks");
    bad["latitude"] = json!(123.0);
    bad["contact_phone"] = json!("call me");
    bad["longitude"] = Value::Null;
    let refused = app.post_as(&token, "/api/v1/enterprises", &bad).await.problem(422, "validation_failed");
    let fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["contact_phone", "longitude"]);
    let list = app.get_as(&token, "/api/v1/enterprises").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
});

backend_test!(async fn each_caller_sees_only_its_scope(app) {
    let ganxian_mine = app.seed_enterprise("360704101", "non_coal_mines", "赣县矿业");
    let ganxian_steel = app.seed_enterprise("360704102", "metallurgy", "赣县钢铁");
    let nankang_shop = app.seed_enterprise("360703", "commerce", "南康商贸");
    let changning = app.seed_enterprise("530524101", "fireworks", "昌宁烟花");

    let county = app.signed_in(Role::Inspector).await.access;
    let trade = app
        .signed_in_with(Role::Supervisor, |u| u.sectors = "industry_trade".into())
        .await
        .access;
    let town = app
        .signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("360704101".into()))
        .await
        .access;
    let owner = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(ganxian_mine.clone())).await.access;
    let admin = admin(&app).await;

    let ids = |page: Value| -> Vec<String> {
        let mut ids: Vec<String> = page["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| -> Vec<String> {
        v.sort();
        v.into_iter().cloned().collect()
    };
    assert_eq!(ids(app.get_as(&county, "/api/v1/enterprises").await.json()), sorted(vec![&ganxian_mine, &ganxian_steel]));
    assert_eq!(ids(app.get_as(&trade, "/api/v1/enterprises").await.json()), sorted(vec![&ganxian_steel, &nankang_shop]));
    assert_eq!(ids(app.get_as(&town, "/api/v1/enterprises").await.json()), vec![ganxian_mine.clone()]);
    assert_eq!(ids(app.get_as(&owner, "/api/v1/enterprises").await.json()), vec![ganxian_mine.clone()]);
    assert_eq!(app.get_as(&admin, "/api/v1/enterprises").await.json()["items"].as_array().unwrap().len(), 4);

    for token in [&county, &trade, &town, &owner] {
        app.get_as(token, &format!("/api/v1/enterprises/{changning}")).await.problem(404, "not_found");
    }
    app.get_as(&owner, &format!("/api/v1/enterprises/{ganxian_steel}")).await.problem(404, "not_found");
    assert_eq!(app.get_as(&trade, &format!("/api/v1/enterprises/{ganxian_steel}")).await.status, 200);

    let outside = app.post_as(&trade, "/api/v1/enterprises", &enterprise(&unique_credit_code(), "360704101", "fireworks")).await;
    outside.problem(403, "forbidden");
    let inside = app.post_as(&trade, "/api/v1/enterprises", &enterprise(&unique_credit_code(), "360704101", "textiles")).await;
    assert_eq!(inside.status, 201, "{}", inside.json());
});

backend_test!(async fn enterprises_are_searched_paged_and_synced(app) {
    let token = admin(&app).await;
    let mut codes = Vec::new();
    for i in 0..7 {
        let mut body = enterprise(&unique_credit_code(), if i % 2 == 0 { "360704101" } else { "530524101" }, "fireworks");
        body["name"] = json!(format!("第{i}号烟花厂"));
        body["risk_level"] = json!(if i < 2 { "red" } else { "blue" });
        let created = app.post_as(&token, "/api/v1/enterprises", &body).await;
        assert_eq!(created.status, 201);
        codes.push(created.json()["credit_code"].as_str().unwrap().to_owned());
    }
    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
    };
    let page = app.get_as(&token, "/api/v1/enterprises?q=%E7%AC%AC3%E5%8F%B7").await.json();
    assert_eq!(names(&page), ["第3号烟花厂"]);
    let page = app.get_as(&token, &format!("/api/v1/enterprises?q={}", codes[5].to_lowercase())).await.json();
    assert_eq!(names(&page), ["第5号烟花厂"]);
    let page = app.get_as(&token, "/api/v1/enterprises?region=5305&risk_level=blue").await.json();
    assert_eq!(names(&page), ["第5号烟花厂", "第3号烟花厂"]);
    let page = app.get_as(&token, "/api/v1/enterprises?q=%25").await.json();
    assert!(names(&page).is_empty(), "a % in the query is a character, not a wildcard");

    let mut seen = Vec::new();
    let mut path = "/api/v1/enterprises?limit=3".to_owned();
    loop {
        let page = app.get_as(&token, &path).await.json();
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/enterprises?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen[0], "第6号烟花厂", "newest first");

    let first_sync = app.get_as(&token, "/api/v1/enterprises").await.json();
    let since = first_sync["server_time"].as_str().unwrap().to_owned();
    let target = first_sync["items"][0]["id"].as_str().unwrap().to_owned();
    app.patch_as(&token, &format!("/api/v1/enterprises/{target}"), &json!({"risk_level": "orange"})).await;
    let since = urlencode(&since);
    let changed = app.get_as(&token, &format!("/api/v1/enterprises?updated_since={since}")).await.json();
    let changed_ids: Vec<&str> = changed["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(changed_ids.contains(&target.as_str()), "{changed}");
});

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

backend_test!(async fn versions_drive_etags_and_guard_updates(app) {
    let token = admin(&app).await;
    let id = app.seed_enterprise("360704100", "construction", "梅林建筑");
    let path = format!("/api/v1/enterprises/{id}");
    let read = app.get_as(&token, &path).await;
    assert_eq!(read.header("etag"), Some("\"1\""));
    let cached = app
        .send_as(&token, TestRequest::get().uri(&path).insert_header(("if-none-match", "\"1\"")))
        .await;
    assert_eq!(cached.status, 304);

    let changed = app
        .send_as(&token, TestRequest::patch().uri(&path).insert_header(("if-match", "\"1\"")).set_json(json!({"name": "梅林建筑工程有限公司"})))
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.header("etag"), Some("\"2\""));
    let stale = app
        .send_as(&token, TestRequest::patch().uri(&path).insert_header(("if-match", "\"1\"")).set_json(json!({"name": "lost update"})))
        .await;
    stale.problem(412, "version_mismatch");
    let now = app.get_as(&token, &path).await.json();
    assert_eq!((now["name"].as_str(), now["version"].as_i64()), (Some("梅林建筑工程有限公司"), Some(2)));
    let stale_cache = app
        .send_as(&token, TestRequest::get().uri(&path).insert_header(("if-none-match", "\"1\"")))
        .await;
    assert_eq!(stale_cache.status, 200);
});

backend_test!(async fn enterprise_users_must_belong_to_a_registered_enterprise(app) {
    let token = admin(&app).await;
    let body = |enterprise_id: &str| json!({
        "username": "aq.manager", "password": PASSWORD, "display_name": "安全主管",
        "role": "enterprise", "enterprise_id": enterprise_id,
    });
    let refused = app.post_as(&token, "/api/v1/users", &body(&uuid::Uuid::new_v4().to_string())).await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "enterprise_id");
    let id = app.seed_enterprise("360704100", "fireworks", "梅林烟花");
    assert_eq!(app.post_as(&token, "/api/v1/users", &body(&id)).await.status, 201);
});

#[test]
fn the_cli_imports_regions_into_a_database() {
    let database = crate::harness::TestDatabase::create(crate::harness::Backend::Sqlite);
    let csv = database.data_dir().join("regions.csv");
    std::fs::write(&csv, "code,name\n360704105,茅店镇\n360704105001,茅店村\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
        .args(["admin", "import-regions"])
        .arg(&csv)
        .env("DATABASE_URL", &database.url)
        .env("SAFELOOP_DATA_DIR", database.data_dir())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("imported 2 regions"));

    std::fs::write(&csv, "code,name\n999999001,孤儿镇\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
        .args(["admin", "import-regions"])
        .arg(&csv)
        .env("DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("999999001"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

backend_test!(async fn a_township_anywhere_in_china_can_be_used_at_once(app) {
    // 乌鲁木齐市天山区胜利路街道: far outside any demo tree, loaded with the national list.
    let admin_token = admin(&app).await;
    let regions = app.get_as(&admin_token, "/api/v1/regions?parent=650102").await.json();
    let names: Vec<&str> = regions.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"胜利路街道"), "{names:?}");
    let provinces = app.get_as(&admin_token, "/api/v1/regions").await.json();
    assert_eq!(provinces.as_array().unwrap().len(), 31, "every province-level region");
    let created = app
        .post_as(&admin_token, "/api/v1/enterprises", &enterprise(&unique_credit_code(), "650102003", "hazardous_chemicals"))
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let supervisor = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("6501".into())).await;
    let seen = app.get_as(&supervisor.access, "/api/v1/enterprises").await.json();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
});
