//! Signing in, tokens and their lifecycle, forged tokens, throttling.

use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::backend_test;
use crate::harness::{PASSWORD, TestApp};
use safeloop::auth::Role;
use safeloop::config::DEVELOPMENT_TOKEN_SECRET;

async fn refresh(app: &TestApp, token: &str) -> crate::harness::TestResponse {
    app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

backend_test!(async fn login_returns_a_token_pair_and_the_user(app) {
    app.seed_user(Role::Inspector, "li.wei", PASSWORD);
    let tokens = app.login("li.wei", PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43, "256 bits, base64url");
    assert_eq!(tokens["user"]["username"], "li.wei");
    assert_eq!(tokens["user"]["role"], "inspector");
    assert!(tokens["user"].get("password_hash").is_none());

    let access = tokens["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::HS256, Some("primary")));
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(access.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    for claim in ["sub", "role", "enterprise_id", "region_prefix", "sectors", "iat", "exp", "jti", "iss", "aud"] {
        assert!(claims.get(claim).is_some(), "claim {claim} missing: {claims}");
    }
    assert_eq!(claims["region_prefix"], "360704");

    let me = app.get_as(access, "/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "li.wei");
    assert_eq!(me.json()["certificate_no"], "JX-li.wei");
});

backend_test!(async fn wrong_passwords_and_unknown_users_get_the_same_answer(app) {
    app.seed_user(Role::Supervisor, "zhang.min", PASSWORD);
    let wrong = app
        .post_json("/api/v1/auth/login", &json!({"username": "zhang.min", "password": "not the password"}))
        .await;
    let unknown = app
        .post_json("/api/v1/auth/login", &json!({"username": "nobody.here", "password": PASSWORD}))
        .await;
    let (a, b) = (wrong.problem(401, "invalid_credentials"), unknown.problem(401, "invalid_credentials"));
    assert_eq!(a["detail"], b["detail"]);
});

backend_test!(async fn refresh_rotates_and_logout_revokes(app) {
    app.seed_user(Role::Enterprise, "safety.mgr", PASSWORD);
    let first = app.login("safety.mgr", PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap();

    let second = refresh(&app, r1).await;
    assert_eq!(second.status, 200);
    let second = second.json();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(app.get_as(second["access_token"].as_str().unwrap(), "/api/v1/me").await.status, 200);

    let third = refresh(&app, r2).await.json();
    let r3 = third["refresh_token"].as_str().unwrap();
    let logout = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": r3})).await;
    assert_eq!(logout.status, 204);
    refresh(&app, r3).await.problem(401, "invalid_refresh_token");
    refresh(&app, "made-up-token").await.problem(401, "invalid_refresh_token");
});

backend_test!(async fn a_reused_refresh_token_revokes_its_whole_family(app) {
    app.seed_user(Role::Inspector, "wang.fang", PASSWORD);
    let stolen = app.login("wang.fang", PASSWORD).await["refresh_token"].as_str().unwrap().to_owned();
    let other_device = app.login("wang.fang", PASSWORD).await["refresh_token"].as_str().unwrap().to_owned();

    let rotated = refresh(&app, &stolen).await.json()["refresh_token"].as_str().unwrap().to_owned();
    // The thief (or the victim) presents the old token again: the whole login is revoked.
    let reuse = refresh(&app, &stolen).await.problem(401, "invalid_refresh_token");
    assert!(reuse["detail"].as_str().unwrap().contains("already used"), "{reuse}");
    refresh(&app, &rotated).await.problem(401, "invalid_refresh_token");
    // Another login of the same user is a different family and lives on.
    assert_eq!(refresh(&app, &other_device).await.status, 200);
});

backend_test!(async fn concurrent_refreshes_of_one_token_let_exactly_one_win(app) {
    app.seed_user(Role::Inspector, "zhao.lei", PASSWORD);
    let token = app.login("zhao.lei", PASSWORD).await["refresh_token"].as_str().unwrap().to_owned();
    let results = futures_util::future::join_all((0..4).map(|_| refresh(&app, &token))).await;
    let won = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1, "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
});

backend_test!(async fn forged_and_expired_tokens_are_refused_with_401(app) {
    let admin = app.signed_in(Role::Admin).await;
    let (user_id, good) = (admin.id, admin.access);
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, aud: &str| {
        json!({
            "sub": user_id, "role": "admin", "enterprise_id": null, "region_prefix": null,
            "sectors": [], "iat": now - 10, "exp": exp, "jti": "x", "iss": "safeloop", "aud": aud,
        })
    };
    let sign = |alg: Algorithm, kid: Option<&str>, secret: &[u8], body: &Value| {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, body, &EncodingKey::from_secret(secret)).unwrap()
    };
    let dev = DEVELOPMENT_TOKEN_SECRET.as_bytes();
    // Signed exactly as the server signs: accepted (the forgery cases below differ in one thing).
    let genuine = sign(Algorithm::HS256, Some("primary"), dev, &claims(now + 600, "safeloop-api"));
    assert_eq!(app.get_as(&genuine, "/api/v1/me").await.status, 200);
    assert_eq!(app.get_as(&good, "/api/v1/me").await.status, 200);

    let payload = URL_SAFE_NO_PAD.encode(claims(now + 600, "safeloop-api").to_string());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"primary"}"#);
    let cases = [
        ("expired", sign(Algorithm::HS256, Some("primary"), dev, &claims(now - 600, "safeloop-api"))),
        ("wrong audience", sign(Algorithm::HS256, Some("primary"), dev, &claims(now + 600, "elsewhere"))),
        ("wrong key", sign(Algorithm::HS256, Some("primary"), b"not the server's secret at all", &claims(now + 600, "safeloop-api"))),
        ("wrong algorithm", sign(Algorithm::HS512, Some("primary"), dev, &claims(now + 600, "safeloop-api"))),
        ("unknown kid", sign(Algorithm::HS256, Some("k9"), dev, &claims(now + 600, "safeloop-api"))),
        ("no kid", sign(Algorithm::HS256, None, dev, &claims(now + 600, "safeloop-api"))),
        ("alg none", format!("{none_header}.{payload}.")),
        ("tampered payload", {
            let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
            let mut body: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
            body["role"] = json!("admin");
            body["region_prefix"] = json!("36");
            parts[1] = URL_SAFE_NO_PAD.encode(body.to_string());
            parts.join(".")
        }),
        ("malformed", "not-a-jwt".to_owned()),
    ];
    for (case, token) in cases {
        let response = app.get_as(&token, "/api/v1/me").await;
        assert_eq!(response.status, 401, "{case}");
        let expected = if case == "expired" { "token_expired" } else { "unauthenticated" };
        response.problem(401, expected);
        assert_eq!(response.header("www-authenticate"), Some("Bearer"), "{case}");
    }
    let missing = app.get("/api/v1/me").await;
    missing.problem(401, "unauthenticated");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let basic = app
        .send(TestRequest::get().uri("/api/v1/me").insert_header(("authorization", "Basic YWRtaW46YWRtaW4=")))
        .await;
    basic.problem(401, "unauthenticated");
});

async fn attempt(
    app: &TestApp,
    username: &str,
    password: &str,
    client: &str,
) -> crate::harness::TestResponse {
    app.send(
        TestRequest::post()
            .uri("/api/v1/auth/login")
            .peer_addr(client.parse().unwrap())
            .set_json(json!({"username": username, "password": password})),
    )
    .await
}

backend_test!(async fn five_failures_lock_a_username_and_success_resets_it(app) {
    app.seed_user(Role::Inspector, "chen.jie", PASSWORD);
    app.seed_user(Role::Inspector, "liu.yang", PASSWORD);
    let client = "127.0.0.2:40000";
    for _ in 0..4 {
        attempt(&app, "chen.jie", "wrong password!", client).await.problem(401, "invalid_credentials");
    }
    assert_eq!(attempt(&app, "chen.jie", PASSWORD, client).await.status, 200, "success resets the count");
    for _ in 0..5 {
        attempt(&app, "chen.jie", "wrong password!", client).await.problem(401, "invalid_credentials");
    }
    let locked = attempt(&app, "chen.jie", PASSWORD, client).await;
    locked.problem(429, "too_many_requests");
    let retry_after: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // Another username from the same client is not locked by these five.
    assert_eq!(attempt(&app, "liu.yang", PASSWORD, client).await.status, 200);
});

backend_test!(async fn twenty_failures_from_one_client_lock_that_client(app) {
    app.seed_user(Role::Inspector, "sun.li", PASSWORD);
    let sprayer = "127.0.0.3:40000";
    for i in 0..20 {
        attempt(&app, &format!("guess{i}"), "wrong password!", sprayer).await.problem(401, "invalid_credentials");
    }
    attempt(&app, "sun.li", PASSWORD, sprayer).await.problem(429, "too_many_requests");
    assert_eq!(attempt(&app, "sun.li", PASSWORD, "127.0.0.4:40000").await.status, 200);
});

backend_test!(async fn throttling_holds_across_api_processes(app) {
    app.seed_user(Role::Supervisor, "he.ping", PASSWORD);
    let other = app.second_process().await;
    for i in 0..5 {
        let process = if i % 2 == 0 { &app } else { &other };
        attempt(process, "he.ping", "wrong password!", "127.0.0.5:1").await.problem(401, "invalid_credentials");
    }
    attempt(&other, "he.ping", PASSWORD, "127.0.0.5:1").await.problem(429, "too_many_requests");
    attempt(&app, "he.ping", PASSWORD, "127.0.0.5:1").await.problem(429, "too_many_requests");
});

backend_test!(async fn changing_ones_password_signs_out_other_sessions(app) {
    app.seed_user(Role::Enterprise, "qian.hui", PASSWORD);
    let session = app.login("qian.hui", PASSWORD).await;
    let access = session["access_token"].as_str().unwrap();
    let refresh_token = session["refresh_token"].as_str().unwrap();

    let wrong_old = app
        .post_as(access, "/api/v1/me/password", &json!({"old_password": "guess guess guess", "new_password": "a brand new secret"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(wrong_old["errors"][0]["field"], "old_password");
    let weak = app
        .post_as(access, "/api/v1/me/password", &json!({"old_password": PASSWORD, "new_password": "short"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(weak["errors"][0]["field"], "new_password");

    let changed = app
        .post_as(access, "/api/v1/me/password", &json!({"old_password": PASSWORD, "new_password": "a brand new secret"}))
        .await;
    assert_eq!(changed.status, 204);
    refresh(&app, refresh_token).await.problem(401, "invalid_refresh_token");
    app.post_json("/api/v1/auth/login", &json!({"username": "qian.hui", "password": PASSWORD}))
        .await
        .problem(401, "invalid_credentials");
    app.login("qian.hui", "a brand new secret").await;
});
