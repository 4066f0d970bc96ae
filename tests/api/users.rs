//! User administration: create, list, read, update; deactivation and resets end sessions.

use serde_json::json;

use crate::backend_test;
use crate::harness::{PASSWORD, TestApp};
use safeloop::auth::Role;

async fn admin(app: &TestApp) -> String {
    app.signed_in(Role::Admin).await.access
}

backend_test!(async fn admins_create_users_with_their_scope(app) {
    let token = admin(&app).await;
    let created = app
        .post_as(&token, "/api/v1/users", &json!({
            "username": "zhou.qiang", "password": "inspect the mine daily", "display_name": "周强",
            "role": "inspector", "region_prefix": "360721", "sectors": ["non_coal_mines"],
            "certificate_no": "赣36070012",
        }))
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
    let body = created.json();
    assert_eq!(created.header("location").unwrap(), format!("/api/v1/users/{}", body["id"].as_str().unwrap()));
    assert_eq!(body["display_name"], "周强");
    assert_eq!(body["sectors"], json!(["non_coal_mines"]));
    assert_eq!(body["active"], true);
    assert_eq!(body["version"], 1);

    let tokens = app.login("zhou.qiang", "inspect the mine daily").await;
    assert_eq!(tokens["user"]["region_prefix"], "360721");

    let again = app
        .post_as(&token, "/api/v1/users", &json!({
            "username": "zhou.qiang", "password": "another long password", "display_name": "x",
            "role": "admin",
        }))
        .await
        .problem(409, "already_exists");
    assert!(again["detail"].as_str().unwrap().contains("username"), "{again}");
});

backend_test!(async fn incoherent_users_are_refused_naming_every_field(app) {
    let token = admin(&app).await;
    let refused = app
        .post_as(&token, "/api/v1/users", &json!({
            "username": "x", "password": "x", "display_name": "", "role": "enterprise",
            "region_prefix": "36", "sectors": ["BAD CODE"],
        }))
        .await
        .problem(422, "validation_failed");
    let mut fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["display_name", "enterprise_id", "password", "region_prefix", "sectors", "sectors[0]", "username"]
    );
    let unknown_role = app
        .post_as(&token, "/api/v1/users", &json!({
            "username": "sure.name", "password": "long enough pw", "display_name": "a", "role": "root",
        }))
        .await
        .problem(422, "validation_failed");
    assert_eq!(unknown_role["errors"][0]["field"], "role");
    let users = app.get_as(&token, "/api/v1/users").await.json();
    assert_eq!(users["items"].as_array().unwrap().len(), 1, "nothing half-written: {users}");
});

backend_test!(async fn the_user_list_pages_and_filters(app) {
    let token = admin(&app).await;
    for i in 0..5 {
        app.seed_user(Role::Inspector, &format!("inspector{i}"), PASSWORD);
    }
    app.seed_user(Role::Supervisor, "the.supervisor", PASSWORD);
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?role=inspector&limit=2".to_owned();
    loop {
        let page = app.get_as(&token, &path).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?role=inspector&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["inspector4", "inspector3", "inspector2", "inspector1", "inspector0"], "newest first");

    app.get_as(&token, "/api/v1/users?limit=0").await.problem(422, "validation_failed");
    app.get_as(&token, "/api/v1/users?cursor=forged").await.problem(422, "validation_failed");
    app.get_as(&token, "/api/v1/users?role=root").await.problem(400, "invalid_query");
});

backend_test!(async fn deactivation_and_password_resets_end_sessions(app) {
    let token = admin(&app).await;
    let user = app.seed_user(Role::Enterprise, "ma.lin", PASSWORD);
    let session = app.login("ma.lin", PASSWORD).await;
    let path = format!("/api/v1/users/{}", user.id);

    let reset = app.patch_as(&token, &path, &json!({"password": "reset by the admin"})).await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.json()["version"], 2);
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]}))
        .await
        .problem(401, "invalid_refresh_token");

    let session = app.login("ma.lin", "reset by the admin").await;
    let off = app.patch_as(&token, &path, &json!({"active": false})).await.json();
    assert_eq!(off["active"], false);
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]}))
        .await
        .problem(401, "invalid_refresh_token");
    app.post_json("/api/v1/auth/login", &json!({"username": "ma.lin", "password": "reset by the admin"}))
        .await
        .problem(401, "invalid_credentials");
});

backend_test!(async fn role_changes_must_bring_a_fitting_scope(app) {
    let token = admin(&app).await;
    let user = app.seed_user(Role::Enterprise, "gao.yu", PASSWORD);
    let path = format!("/api/v1/users/{}", user.id);
    let refused = app.patch_as(&token, &path, &json!({"role": "supervisor"})).await.problem(422, "validation_failed");
    let fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["enterprise_id", "region_prefix"]);

    let moved = app
        .patch_as(&token, &path, &json!({"role": "supervisor", "enterprise_id": null, "region_prefix": "360721101", "display_name": "高宇"}))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.json());
    let moved = moved.json();
    assert_eq!((moved["role"].as_str(), moved["enterprise_id"].as_str()), (Some("supervisor"), None));
    assert_eq!(moved["region_prefix"], "360721101");
    let read = app.get_as(&token, &path).await.json();
    assert_eq!(read, moved);

    app.get_as(&token, &format!("/api/v1/users/{}", uuid::Uuid::new_v4())).await.problem(404, "not_found");
    app.get_as(&token, "/api/v1/users/not-a-uuid").await.problem(400, "invalid_path");
});
