//! Bad requests: every rejection is problem+json naming what is wrong.

use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_test;

backend_test!(async fn unreadable_bodies_are_problems(app) {
    let post = |body: &'static str, content_type: &'static str| {
        TestRequest::post().uri("/api/v1/auth/login").insert_header(("content-type", content_type)).set_payload(body)
    };
    app.send(post(r#"{"username": "a", "password": "#, "application/json")).await.problem(400, "malformed_json");
    app.send(post(r#"{"username": "a", "password": "b"}"#, "text/plain")).await.problem(415, "unsupported_media_type");

    let unknown = app
        .post_json("/api/v1/auth/login", &json!({"username": "a", "password": "b", "remember": true}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(unknown["errors"][0]["field"], "remember");
    let missing = app.post_json("/api/v1/auth/login", &json!({"username": "a"})).await.problem(422, "validation_failed");
    assert_eq!(missing["errors"][0]["field"], "password");
    let wrong_type = app
        .post_json("/api/v1/auth/login", &json!({"username": 7, "password": "b"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(wrong_type["errors"][0]["field"], "username");

    let huge = "x".repeat(2 * 1024 * 1024);
    app.post_json("/api/v1/auth/login", &json!({"username": "a", "password": huge}))
        .await
        .problem(413, "payload_too_large");
    let long = app
        .post_json("/api/v1/auth/login", &json!({"username": "a", "password": "x".repeat(300)}))
        .await
        .problem(422, "validation_failed");
    assert!(long["detail"].as_str().unwrap().contains("too long"));
});
