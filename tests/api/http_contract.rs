//! HTTP as generated clients and browsers expect it: CORS, compression, conditionals, ranges,
//! token caching, the `Bearer` scheme, request ids, empty query values.

use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{Backend, TestApp, TestDatabase};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;

async fn app_with_origins(origins: &[&str]) -> TestApp {
    let database = TestDatabase::create(Backend::Sqlite);
    let mut config = safeloop::config::Config::for_database(&database.url, database.data_dir());
    config.database_pool_size = 4;
    config.cors_origins = origins.iter().map(|o| o.to_string()).collect();
    TestApp::with_config(database, config).await
}

#[actix_web::test]
async fn browsers_on_listed_origins_may_call_the_api() {
    let app = app_with_origins(&["https://console.bureau.example"]).await;
    let preflight = app
        .send(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/hazards/0193a1b2-0000-7000-8000-000000000001/transitions")
                .insert_header(("origin", "https://console.bureau.example"))
                .insert_header(("access-control-request-method", "POST"))
                .insert_header((
                    "access-control-request-headers",
                    "authorization, if-match, idempotency-key, content-type",
                )),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://console.bureau.example")
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_lowercase();
    for name in ["authorization", "if-match", "idempotency-key"] {
        assert!(allowed.contains(name), "{allowed}");
    }

    let admin = app.signed_in(Role::Admin).await;
    let answer = app
        .send_as(
            &admin.access,
            TestRequest::get()
                .uri("/api/v1/sectors")
                .insert_header(("origin", "https://console.bureau.example")),
        )
        .await;
    assert_eq!(answer.status, 200);
    let exposed = answer
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    for name in [
        "etag",
        "location",
        "retry-after",
        "x-request-id",
        "idempotency-replayed",
    ] {
        assert!(exposed.contains(name), "{exposed}");
    }

    // Another origin gets no permission, and by default none at all.
    let stranger = app
        .send(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/sectors")
                .insert_header(("origin", "https://evil.example"))
                .insert_header(("access-control-request-method", "GET")),
        )
        .await;
    assert_eq!(stranger.header("access-control-allow-origin"), None);
    let closed = TestApp::new(Backend::Sqlite).await;
    let answer = closed
        .send(
            TestRequest::get()
                .uri("/healthz")
                .insert_header(("origin", "https://console.bureau.example")),
        )
        .await;
    assert_eq!(answer.header("access-control-allow-origin"), None);
}

backend_test!(async fn json_lists_are_compressed_and_photos_are_not(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    for _ in 0..5 {
        report(&app, &inspector.access, &hazard_body(&plant)).await;
    }
    for encoding in ["gzip", "br"] {
        let answer = app
            .send_as(&inspector.access, TestRequest::get().uri("/api/v1/hazards").insert_header(("accept-encoding", encoding)))
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-encoding"), Some(encoding));
        let plain = app.get_as(&inspector.access, "/api/v1/hazards").await;
        assert!(answer.body.len() * 2 < plain.body.len(), "{encoding}: {} of {}", answer.body.len(), plain.body.len());
    }
    let photo = upload(&app, &inspector.access, &phone_jpeg(7), "hazard").await.json();
    let content = app
        .send_as(
            &inspector.access,
            TestRequest::get()
                .uri(&format!("/api/v1/photos/{}/content", photo["id"].as_str().unwrap()))
                .insert_header(("accept-encoding", "gzip")),
        )
        .await;
    assert_eq!(content.header("content-encoding"), None, "JPEG bytes are not compressed again");
});

backend_test!(async fn a_photo_download_resumes_from_a_byte(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let bytes = phone_jpeg(8);
    let photo = upload(&app, &inspector.access, &bytes, "hazard").await.json();
    let path = format!("/api/v1/photos/{}/content", photo["id"].as_str().unwrap());
    let etag = format!("\"{}\"", photo["sha256"].as_str().unwrap());
    let ranged = |range: &str| TestRequest::get().uri(&path).insert_header(("range", range.to_owned()));

    let rest = app.send_as(&inspector.access, ranged("bytes=1000-")).await;
    assert_eq!(rest.status, 206);
    assert_eq!(rest.body.as_ref(), &bytes[1000..]);
    assert_eq!(rest.header("content-range"), Some(format!("bytes 1000-{}/{}", bytes.len() - 1, bytes.len()).as_str()));
    assert_eq!(rest.header("accept-ranges"), Some("bytes"));
    let first = app.send_as(&inspector.access, ranged("bytes=0-99")).await;
    assert_eq!(first.body.as_ref(), &bytes[..100]);
    let tail = app.send_as(&inspector.access, ranged("bytes=-10")).await;
    assert_eq!(tail.body.as_ref(), &bytes[bytes.len() - 10..]);

    let outside = app.send_as(&inspector.access, ranged(&format!("bytes={}-", bytes.len() + 5))).await;
    outside.problem(416, "range_not_satisfiable");
    assert_eq!(outside.header("content-range"), Some(format!("bytes */{}", bytes.len()).as_str()));
    // Other bytes than the client's (`If-Range`), or several ranges: the whole photo.
    let changed = app
        .send_as(&inspector.access, ranged("bytes=10-").insert_header(("if-range", "\"other\"")))
        .await;
    assert_eq!((changed.status.as_u16(), changed.body.len()), (200, bytes.len()));
    let same = app.send_as(&inspector.access, ranged("bytes=10-").insert_header(("if-range", etag.clone()))).await;
    assert_eq!(same.status, 206);
    let several = app.send_as(&inspector.access, ranged("bytes=0-1,5-9")).await;
    assert_eq!(several.status, 200);
    // A weak tag names the same bytes for If-None-Match.
    let cached = app
        .send_as(&inspector.access, TestRequest::get().uri(&path).insert_header(("if-none-match", format!("W/{etag}"))))
        .await;
    assert_eq!(cached.status, 304);
});

backend_test!(async fn conditionals_follow_rfc_9110(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let hazard = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let path = format!("/api/v1/hazards/{}", hazard["id"].as_str().unwrap());
    let get = |tag: &str| TestRequest::get().uri(&path).insert_header(("if-none-match", tag.to_owned()));
    assert_eq!(app.send_as(&inspector.access, get("W/\"1\"")).await.status, 304);
    assert_eq!(app.send_as(&inspector.access, get("\"7\", \"1\"")).await.status, 304);
    assert_eq!(app.send_as(&inspector.access, get("\"2\"")).await.status, 200);

    let transition = |tag: &str| {
        TestRequest::post()
            .uri(&format!("{path}/transitions"))
            .insert_header(("if-match", tag.to_owned()))
            .set_json(json!({"action": "cancel", "note": "重复登记"}))
    };
    let supervisor = app.signed_in(Role::Supervisor).await;
    // A weak tag never matches If-Match; a list matches when one does; `*` matches any.
    app.send_as(&supervisor.access, transition("W/\"1\"")).await.problem(412, "version_mismatch");
    app.send_as(&supervisor.access, transition("\"5\", \"6\"")).await.problem(412, "version_mismatch");
    let done = app.send_as(&supervisor.access, transition("*")).await;
    assert_eq!(done.status, 200, "{}", done.json());
    assert_eq!(done.json()["status"], "cancelled");
});

backend_test!(async fn tokens_are_not_cached_and_the_scheme_ignores_case(app) {
    let user = app.signed_in(Role::Inspector).await;
    let login = app
        .post_json("/api/v1/auth/login", &json!({"username": user.username, "password": crate::harness::PASSWORD}))
        .await;
    assert_eq!(login.header("cache-control"), Some("no-store"));
    let refreshed = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": user.refresh})).await;
    assert_eq!(refreshed.status, 200);
    assert_eq!(refreshed.header("cache-control"), Some("no-store"));
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let answer = app
            .send(TestRequest::get().uri("/api/v1/me").insert_header(("authorization", format!("{scheme} {}", user.access))))
            .await;
        assert_eq!(answer.status, 200, "{scheme}");
    }
});

backend_test!(async fn request_ids_and_blank_filters(app) {
    let answer = app.send(TestRequest::get().uri("/healthz").insert_header(("x-request-id", "lb-7f3a.42:1"))).await;
    assert_eq!(answer.header("x-request-id"), Some("lb-7f3a.42:1"), "a well-formed id is kept");
    let answer = app.send(TestRequest::get().uri("/api/v1/nothing").insert_header(("x-request-id", "bad id<script>"))).await;
    let problem = answer.problem(404, "route_not_found");
    assert_ne!(problem["request_id"], "bad id<script>", "a malformed one is replaced");

    let inspector = app.signed_in(Role::Inspector).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    for blank in ["?status=&level=&cursor=&limit=", "?status=&limit=10", "?q=&sector=&region=&risk_level="] {
        let path = if blank.contains("risk_level") { "/api/v1/enterprises" } else { "/api/v1/hazards" };
        let answer = app.get_as(&inspector.access, &format!("{path}{blank}")).await;
        assert_eq!(answer.status, 200, "{path}{blank}: {}", answer.json());
        assert_eq!(answer.json()["items"].as_array().unwrap().len(), 1);
    }
    let home = app.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.header("location"), Some("/console/"));
});
