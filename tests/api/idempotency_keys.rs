//! The `Idempotency-Key` header: any POST retried with the same key gets the first answer.

use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::hazard_body;
use crate::harness::{TestApp, TestResponse, unique_credit_code};
use safeloop::auth::Role;

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> TestResponse {
    app.send_as(
        token,
        TestRequest::post()
            .uri(path)
            .insert_header(("idempotency-key", key))
            .set_json(body),
    )
    .await
}

fn enterprise() -> Value {
    json!({
        "credit_code": unique_credit_code(), "name": "田村建材有限公司", "sector": "building_materials",
        "region_code": "360704104", "address": "田村镇", "risk_level": "yellow",
        "contact_name": "钟工", "contact_phone": "13900000000",
    })
}

backend_test!(async fn a_retried_post_gets_the_first_answer_back(app) {
    let admin = app.signed_in(Role::Admin).await;
    let body = enterprise();
    let first = post_with_key(&app, &admin.access, "/api/v1/enterprises", "retry-1", &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotency-replayed"), None);
    let again = post_with_key(&app, &admin.access, "/api/v1/enterprises", "retry-1", &body).await;
    assert_eq!(again.status, 201, "the first status, replayed");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    for name in ["etag", "location"] {
        assert!(first.header(name).is_some(), "{name}");
        assert_eq!(again.header(name), first.header(name), "the replay says {name} too");
    }
    let list = app.get_as(&admin.access, "/api/v1/enterprises").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "created once");

    let other_body = enterprise();
    post_with_key(&app, &admin.access, "/api/v1/enterprises", "retry-1", &other_body)
        .await
        .problem(422, "idempotency_key_reused");
    // Keys belong to their caller: another admin's key of the same name is another key.
    let other_admin = app.signed_in(Role::Admin).await;
    assert_eq!(post_with_key(&app, &other_admin.access, "/api/v1/enterprises", "retry-1", &other_body).await.status, 201);
});

backend_test!(async fn refusals_are_remembered_and_bad_keys_refused(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let mut body = hazard_body(&plant);
    body["responsible_person"] = json!("");
    let first = post_with_key(&app, &inspector.access, "/api/v1/hazards", "k-422", &body).await;
    first.problem(422, "validation_failed");
    let again = post_with_key(&app, &inspector.access, "/api/v1/hazards", "k-422", &body).await;
    assert_eq!(again.status, 422);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.header("content-type"), Some("application/problem+json"));

    let long_key = "k".repeat(300);
    post_with_key(&app, &inspector.access, "/api/v1/hazards", &long_key, &hazard_body(&plant))
        .await
        .problem(400, "invalid_idempotency_key");
    let no_token = app
        .send(TestRequest::post().uri("/api/v1/hazards").insert_header(("idempotency-key", "x")).set_json(hazard_body(&plant)))
        .await;
    no_token.problem(401, "unauthenticated");
});

backend_test!(async fn concurrent_retries_with_one_key_create_once(app) {
    let admin = app.signed_in(Role::Admin).await;
    let body = enterprise();
    let answers = futures_util::future::join_all(
        (0..8).map(|_| post_with_key(&app, &admin.access, "/api/v1/enterprises", "storm", &body)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    // Each answer is the first one (201) or "still running" (409); never a second enterprise.
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201));
    let list = app.get_as(&admin.access, "/api/v1/enterprises").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
});
