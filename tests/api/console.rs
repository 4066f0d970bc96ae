//! The console through HTTP, as a browser without JavaScript drives it: sign-in and sign-out,
//! the CSRF and origin checks, the loop with plain forms, refusals in Chinese, scope, the
//! ledger and the admin's registration. (tests/console/walk.mjs drives a real Chromium.)

use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{PASSWORD, TestApp, TestResponse, unique_credit_code};
use crate::photos::phone_jpeg;
use safeloop::auth::Role;

/// A browser's cookie jar for one signed-in person.
struct Browser {
    session: String,
}

fn cookie_of(response: &TestResponse, name: &str) -> Option<String> {
    response
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn value_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

fn text(response: &TestResponse) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    page[start..start + 64].to_owned()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

/// The sign-in form's answer for `username` and `password`.
async fn try_sign_in(app: &TestApp, username: &str, password: &str) -> TestResponse {
    let page = app.get("/console/login").await;
    assert_eq!(page.status, 200);
    let form_cookie = value_of(&cookie_of(&page, "safeloop_sign_in").expect("a form cookie"));
    let body = form(&[
        ("csrf", &csrf_of(&text(&page))),
        ("next", "/console/"),
        ("username", username),
        ("password", password),
    ]);
    app.send(
        TestRequest::post()
            .uri("/console/login")
            .insert_header(("cookie", format!("safeloop_sign_in={form_cookie}")))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body),
    )
    .await
}

async fn sign_in(app: &TestApp, username: &str) -> Browser {
    let answer = try_sign_in(app, username, PASSWORD).await;
    assert_eq!(answer.status, 303, "{}", text(&answer));
    let cookie = cookie_of(&answer, "safeloop_session").expect("a session cookie");
    Browser {
        session: value_of(&cookie),
    }
}

impl Browser {
    async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        app.send(
            TestRequest::get()
                .uri(path)
                .insert_header(("cookie", format!("safeloop_session={}", self.session))),
        )
        .await
    }

    /// The page at `path`, which must answer 200.
    async fn page(&self, app: &TestApp, path: &str) -> String {
        let answer = self.get(app, path).await;
        assert_eq!(answer.status, 200, "{path}: {}", text(&answer));
        text(&answer)
    }

    async fn post(&self, app: &TestApp, path: &str, pairs: &[(&str, &str)]) -> TestResponse {
        self.post_with(app, path, pairs, &[]).await
    }

    async fn post_with(
        &self,
        app: &TestApp,
        path: &str,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = TestRequest::post()
            .uri(path)
            .insert_header(("cookie", format!("safeloop_session={}", self.session)))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(form(pairs));
        for header in headers {
            request = request.insert_header(*header);
        }
        app.send(request).await
    }
}

/// A hazard reported by a new inspector on a new enterprise, with its enterprise user.
async fn hazard_with_people(app: &TestApp) -> (String, String, String, String, String) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let manager = app
        .signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone()))
        .await;
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let hazard = report(app, &inspector.access, &hazard_body(&plant)).await;
    (
        hazard["id"].as_str().unwrap().to_owned(),
        plant,
        manager.username,
        inspector.username,
        supervisor.username,
    )
}

fn rectification_form(csrf: &str, note: &str, photo: &[u8]) -> (String, Vec<u8>) {
    let boundary = "console-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("version", "1"), ("note", note)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"image.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

backend_test!(async fn signing_in_opens_a_session_that_signing_out_ends(app) {
    let supervisor = app.signed_in(Role::Supervisor).await;
    let first = app.get("/console/").await;
    assert_eq!(first.status, 303);
    assert_eq!(first.header("location"), Some("/console/login?next=%2Fconsole%2F"));
    assert_eq!(app.get("/").await.header("location"), Some("/console/"));

    let answer = try_sign_in(&app, &supervisor.username, PASSWORD).await;
    assert_eq!(answer.status, 303);
    let cookie = cookie_of(&answer, "safeloop_session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let browser = Browser { session: value_of(&cookie) };
    let home = browser.get(&app, "/console/").await;
    assert_eq!(home.status, 200);
    let policy = home.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(home.header("x-frame-options"), Some("DENY"));
    let page = text(&home);
    assert!(page.contains("待办") && page.contains("监管人员"), "{page}");
    assert!(!page.contains("<script>") && !page.contains(" style="), "no inline script or style");

    let csrf = csrf_of(&page);
    let out = browser.post(&app, "/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(cookie_of(&out, "safeloop_session").unwrap().contains("Max-Age=0"));
    let after = browser.get(&app, "/console/").await;
    assert_eq!(after.status, 303, "a copied cookie is dead after sign-out");

    // Over TLS (a proxy says so) the cookie is Secure.
    let page = app.send(TestRequest::get().uri("/console/login").insert_header(("x-forwarded-proto", "https"))).await;
    assert!(cookie_of(&page, "safeloop_sign_in").unwrap().contains("Secure"));
});

backend_test!(async fn wrong_passwords_are_refused_and_throttled_as_in_the_api(app) {
    let inspector = app.signed_in(Role::Inspector).await;
    let wrong = try_sign_in(&app, &inspector.username, "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(text(&wrong).contains("用户名或密码错误"), "{}", text(&wrong));
    assert!(cookie_of(&wrong, "safeloop_session").is_none());
    for _ in 0..4 {
        try_sign_in(&app, &inspector.username, "still wrong").await;
    }
    let throttled = try_sign_in(&app, &inspector.username, PASSWORD).await;
    assert_eq!(throttled.status, 429);
    assert!(text(&throttled).contains("尝试次数过多"), "{}", text(&throttled));
    let api = app
        .post_json("/api/v1/auth/login", &json!({"username": inspector.username, "password": PASSWORD}))
        .await;
    assert_eq!(api.status, 429, "the console's failures count for the API too");

    // The sign-in form itself needs its own token back.
    let forged = app
        .send(
            TestRequest::post()
                .uri("/console/login")
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(form(&[("csrf", "x"), ("username", "a"), ("password", "b")])),
        )
        .await;
    assert_eq!(forged.status, 403);
});

backend_test!(async fn the_loop_runs_with_plain_forms_and_refusals_speak_chinese(app) {
    let (id, _, manager, inspector, supervisor) = hazard_with_people(&app).await;
    let hazard_path = format!("/console/hazards/{id}");

    // The enterprise: proof with a photo, as a phone's form sends it.
    let enterprise = sign_in(&app, &manager).await;
    let page = enterprise.page(&app, "/console/").await;
    assert!(page.contains("成品仓库消防通道堵塞"), "{page}");
    let page = enterprise.page(&app, &hazard_path).await;
    assert!(page.contains("整改照片") && page.contains("capture=\"environment\""), "{page}");
    assert!(!page.contains("批准销号"), "an enterprise is offered only its own actions");
    let csrf = csrf_of(&page);
    let refused = enterprise
        .post(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf), ("action", "approve_closure"), ("version", "1")])
        .await;
    assert_eq!(refused.status, 409);
    assert!(text(&refused).contains("操作未执行：隐患待整改，不能批准销号"), "{}", text(&refused));
    // A proof form with a wrong token, or from another site, stores nothing.
    let photos_before = crate::photos::photo_rows(&app);
    for (token, origin) in [("f".repeat(64), None), (csrf.clone(), Some("https://evil.example"))] {
        let (content_type, body) = rectification_form(&token, "已清理通道并设置标识", &phone_jpeg(7));
        let mut request = TestRequest::post()
            .uri(&format!("{hazard_path}/rectification"))
            .insert_header(("cookie", format!("safeloop_session={}", enterprise.session)))
            .insert_header(("content-type", content_type))
            .set_payload(body);
        if let Some(origin) = origin {
            request = request.insert_header(("origin", origin));
        }
        let forged = app.send(request).await;
        assert_eq!(forged.status, 403, "{origin:?}");
    }
    assert_eq!(crate::photos::photo_rows(&app), photos_before, "no photo kept from a forged form");
    let (content_type, body) = rectification_form(&csrf, "已清理通道并设置标识", &phone_jpeg(7));
    let sent = app
        .send(
            TestRequest::post()
                .uri(&format!("{hazard_path}/rectification"))
                .insert_header(("cookie", format!("safeloop_session={}", enterprise.session)))
                .insert_header(("content-type", content_type))
                .set_payload(body),
        )
        .await;
    assert_eq!(sent.status, 303, "{}", text(&sent));
    assert_eq!(sent.header("location"), Some(format!("{hazard_path}?done=submit_rectification").as_str()));
    assert!(enterprise.page(&app, sent.header("location").unwrap()).await.contains("已提交整改"));

    // The inspector re-checks; htmx gets the action panel back instead of a redirect.
    let checker = sign_in(&app, &inspector).await;
    let page = checker.page(&app, &hazard_path).await;
    assert!(page.contains("/console/photos/") && page.contains("整改照片（整改后）"), "{page}");
    let csrf = csrf_of(&page);
    let unversioned = checker
        .post(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf_of(&checker.page(&app, &hazard_path).await)), ("action", "verify_fail"), ("note", "x")])
        .await;
    assert_eq!(unversioned.status, 422, "a form without the page's version is refused");
    assert!(text(&unversioned).contains("返回修改"), "the refusal leads back to the hazard");
    let empty = checker
        .post_with(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf), ("action", "verify_pass"), ("note", " "), ("version", "2")], &[("hx-request", "true")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(text(&empty).contains("id=\"loop-actions\"") && text(&empty).contains("填写有误"), "{}", text(&empty));
    let passed = checker
        .post_with(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf), ("action", "verify_pass"), ("note", "现场核查通道畅通"), ("version", "2")], &[("hx-request", "true")])
        .await;
    assert_eq!(passed.status, 200, "{}", text(&passed));
    let next = passed.header("hx-redirect").expect("htmx loads the whole page after an action");
    assert!(checker.page(&app, next).await.contains("已复查通过"), "{next}");
    let not_theirs = enterprise
        .post(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf_of(&enterprise.page(&app, &hazard_path).await)), ("action", "approve_closure"), ("version", "3")])
        .await;
    assert_eq!(not_theirs.status, 409);
    assert!(text(&not_theirs).contains("销号由监管人员决定"), "the loop's own reason: {}", text(&not_theirs));

    // The supervisor approves with a plain form; a stale version is refused first.
    let desk = sign_in(&app, &supervisor).await;
    let page = desk.page(&app, &hazard_path).await;
    assert!(page.contains("批准销号") && page.contains("驳回销号") && page.contains("撤销隐患"), "{page}");
    let csrf = csrf_of(&page);
    let stale = desk
        .post(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf), ("action", "approve_closure"), ("version", "2")])
        .await;
    assert_eq!(stale.status, 412);
    assert!(text(&stale).contains("刷新页面"), "{}", text(&stale));
    let approved = desk
        .post(&app, &format!("{hazard_path}/transitions"), &[("csrf", &csrf), ("action", "approve_closure"), ("version", "3")])
        .await;
    assert_eq!(approved.status, 303, "{}", text(&approved));
    let page = desk.page(&app, approved.header("location").unwrap()).await;
    assert!(page.contains("已批准销号") && page.contains("已销号"), "{page}");

    // The API sees the same record, chained.
    let api = app.signed_in(Role::Supervisor).await;
    let read = app.get_as(&api.access, &format!("/api/v1/hazards/{id}")).await.json();
    assert_eq!(read["status"], "closed");
    let events = app.get_as(&api.access, &format!("/api/v1/hazards/{id}/events")).await.json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "submit_rectification", "verify_pass", "approve_closure"]);
    assert_eq!(app.get_as(&api.access, &format!("/api/v1/hazards/{id}/events/verify")).await.json()["valid"], true);
});

backend_test!(async fn forged_forms_change_nothing(app) {
    let (id, _, _, _, supervisor) = hazard_with_people(&app).await;
    let desk = sign_in(&app, &supervisor).await;
    let path = format!("/console/hazards/{id}/transitions");
    let csrf = csrf_of(&desk.page(&app, &format!("/console/hazards/{id}")).await);
    let cancel = |token: String| vec![("csrf".to_owned(), token), ("action".into(), "cancel".into()), ("note".into(), "重复".into()), ("version".into(), "1".into())];
    for (token, headers) in [
        ("0".repeat(64), vec![]),
        (String::new(), vec![]),
        (csrf.clone(), vec![("origin", "https://evil.example")]),
        (csrf.clone(), vec![("sec-fetch-site", "cross-site")]),
    ] {
        let pairs = cancel(token);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let answer = desk.post_with(&app, &path, &pairs, &headers).await;
        assert_eq!(answer.status, 403, "{headers:?}");
        assert!(text(&answer).contains("表单已失效"));
    }
    let api = app.signed_in(Role::Supervisor).await;
    assert_eq!(app.get_as(&api.access, &format!("/api/v1/hazards/{id}")).await.json()["status"], "open");
    // The same form from this site goes through.
    let same_site = desk
        .post_with(&app, &path, &[("csrf", &csrf), ("action", "cancel"), ("note", "重复登记"), ("version", "1")], &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(same_site.status, 303, "{}", text(&same_site));
    assert_eq!(app.get_as(&api.access, &format!("/api/v1/hazards/{id}")).await.json()["status"], "cancelled");
});

backend_test!(async fn scope_and_deactivation_apply_to_every_page(app) {
    let (id, _, manager, _, _) = hazard_with_people(&app).await;
    // The plant's proof, through the API: a photo attached to the hazard.
    let owner = app.login(&manager, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let photo = crate::photos::upload(&app, &owner, &phone_jpeg(3), "rectification").await.json()["id"].as_str().unwrap().to_owned();
    let sent = app
        .post_as(&owner, &format!("/api/v1/hazards/{id}/transitions"), &json!({"action": "submit_rectification", "note": "已整改", "photo_ids": [photo]}))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.json());
    let plant = sign_in(&app, &manager).await;
    let thumbnail = format!("/console/photos/{photo}/thumbnail");
    let own = plant.get(&app, &thumbnail).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.header("content-type"), Some("image/jpeg"));
    assert_eq!(plant.get(&app, &format!("/console/photos/{photo}/content")).await.status, 200);

    let stranger = app.signed_in(Role::Enterprise).await;
    let other = sign_in(&app, &stranger.username).await;
    let hidden = other.get(&app, &format!("/console/hazards/{id}")).await;
    assert_eq!(hidden.status, 404, "another enterprise's hazard does not exist for them");
    assert!(text(&hidden).contains("没有找到"));
    assert_eq!(other.get(&app, &thumbnail).await.status, 404, "nor its photos");
    assert_eq!(other.get(&app, &format!("/console/photos/{photo}/content")).await.status, 404);
    assert_eq!(other.get(&app, "/console/stats").await.status, 403, "no statistics for enterprises");
    assert_eq!(other.get(&app, "/console/admin/users").await.status, 403);

    let admin = app.signed_in(Role::Admin).await;
    let patched = app.patch_as(&admin.access, &format!("/api/v1/users/{}", stranger.id), &json!({"active": false})).await;
    assert_eq!(patched.status, 200);
    let after = other.get(&app, "/console/").await;
    assert_eq!(after.status, 303, "a deactivated user's session ends at the next click");
    let back = app.patch_as(&admin.access, &format!("/api/v1/users/{}", stranger.id), &json!({"active": true})).await;
    assert_eq!(back.status, 200);
    assert_eq!(other.get(&app, "/console/").await.status, 303, "made active again, they sign in again");
});

backend_test!(async fn lists_export_the_ledger_and_draw_the_map(app) {
    let (id, _, _, _, supervisor) = hazard_with_people(&app).await;
    let desk = sign_in(&app, &supervisor).await;
    let list = desk.page(&app, "/console/hazards?status=open&level=&sector=").await;
    assert!(list.contains(&format!("/console/hazards/{id}")) && list.contains("导出台账"), "{list}");
    assert!(list.len() < 100 * 1024);
    let rows = app
        .send(
            TestRequest::get()
                .uri("/console/hazards?status=closed")
                .insert_header(("cookie", format!("safeloop_session={}", desk.session)))
                .insert_header(("hx-request", "true")),
        )
        .await;
    assert!(text(&rows).starts_with("<div id=\"hazard-rows\"") && text(&rows).contains("没有符合条件的隐患"), "{}", text(&rows));
    let bad = desk.get(&app, "/console/hazards?status=lost").await;
    assert_eq!(bad.status, 422);
    let ledger = desk.get(&app, "/console/hazards/export?format=csv&status=open").await;
    assert_eq!(ledger.status, 200);
    let csv = text(&ledger);
    assert!(csv.starts_with("\u{feff}隐患编号") && csv.contains("成品仓库消防通道堵塞"), "{csv}");
    let xlsx = desk.get(&app, "/console/hazards/export?format=xlsx").await;
    assert!(xlsx.body.starts_with(b"PK"), "an XLSX is a zip");
    let map = desk.get(&app, "/console/map/hazards.geojson").await;
    assert_eq!(map.json()["features"][0]["id"], id.as_str());
    let page = desk.page(&app, "/console/map").await;
    assert!(page.contains("/console/map/points.svg") && page.contains("/console/assets/leaflet.js"), "{page}");
    let drawing = desk.get(&app, "/console/map/points.svg").await;
    assert_eq!(drawing.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert!(text(&drawing).contains("<circle") && text(&drawing).contains("成品仓库消防通道堵塞"));
    let stats = desk.page(&app, "/console/stats").await;
    assert!(stats.contains("排查隐患1条") && stats.contains("<svg class=\"chart\""), "{stats}");
    let leaflet = desk.get(&app, "/console/assets/leaflet.js").await;
    assert_eq!(leaflet.status, 200);
    let etag = leaflet.header("etag").unwrap().to_owned();
    let again = app.send(TestRequest::get().uri("/console/assets/leaflet.js").insert_header(("if-none-match", etag))).await;
    assert_eq!(again.status, 304);
});

backend_test!(async fn extensions_and_listing_are_decided_in_the_console(app) {
    let (id, _, manager, _, supervisor) = hazard_with_people(&app).await;
    let enterprise = sign_in(&app, &manager).await;
    let csrf = csrf_of(&enterprise.page(&app, &format!("/console/hazards/{id}")).await);
    let too_late = (chrono::Utc::now() + chrono::Duration::days(400)).format("%Y-%m-%d").to_string();
    let refused = enterprise
        .post(&app, &format!("/console/hazards/{id}/extensions"), &[("csrf", &csrf), ("requested_deadline", &too_late), ("reason", "设备到货延迟")])
        .await;
    assert_eq!(refused.status, 422, "{}", text(&refused));
    let later = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%d").to_string();
    let asked = enterprise
        .post(&app, &format!("/console/hazards/{id}/extensions"), &[("csrf", &csrf), ("requested_deadline", &later), ("reason", "设备到货延迟")])
        .await;
    assert_eq!(asked.status, 303, "{}", text(&asked));

    let desk = sign_in(&app, &supervisor).await;
    let queue = desk.page(&app, "/console/extensions").await;
    assert!(queue.contains("批准延期") && queue.contains("设备到货延迟"), "{queue}");
    let start = queue.find("/console/extensions/").unwrap() + "/console/extensions/".len();
    let extension = &queue[start..start + 36];
    let csrf = csrf_of(&queue);
    let decided = desk
        .post(&app, &format!("/console/extensions/{extension}/decision"), &[("csrf", &csrf), ("decision", "approve"), ("back", "https://evil.example/")])
        .await;
    assert_eq!(decided.status, 303);
    assert_eq!(decided.header("location"), Some("/console/?done=extension_approved"), "never back to another site");
    let listed = desk
        .post(&app, &format!("/console/hazards/{id}/listing"), &[("csrf", &csrf), ("level", "city"), ("note", "列入市级督办")])
        .await;
    assert_eq!(listed.status, 303, "{}", text(&listed));
    assert!(desk.page(&app, "/console/listed").await.contains(&format!("/console/hazards/{id}")));
    let api = app.signed_in(Role::Supervisor).await;
    let read = app.get_as(&api.access, &format!("/api/v1/hazards/{id}")).await.json();
    assert_eq!(read["listed_level"], "city");
    assert_eq!(read["version"], 4, "report, request, approval, listing: {read}");
});

backend_test!(async fn the_admin_registers_enterprises_and_users(app) {
    let admin = app.seed_user(Role::Admin, "console-admin", PASSWORD);
    let _ = admin;
    let desk = sign_in(&app, "console-admin").await;
    assert_eq!(desk.get(&app, "/console/").await.header("location"), Some("/console/admin/users"));
    let page = desk.page(&app, "/console/admin/enterprises").await;
    let csrf = csrf_of(&page);
    let good = unique_credit_code();
    let last = good.chars().last().unwrap();
    let wrong_check = format!("{}{}", &good[..17], if last == '0' { '1' } else { '0' });
    let fields = |code: &str, reason: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("credit_code".into(), code.to_owned()),
            ("credit_code_override_reason".into(), reason.to_owned()),
            ("name".into(), "赣县测试机械有限公司".into()),
            ("sector".into(), "fireworks".into()),
            ("region_code".into(), "360704101".into()),
            ("address".into(), "梅林镇工业园".into()),
            ("latitude".into(), "25.86".into()),
            ("longitude".into(), "115.01".into()),
            ("risk_level".into(), "yellow".into()),
            ("contact_name".into(), "王工".into()),
            ("contact_phone".into(), "0797-4400000".into()),
        ]
    };
    let send = |pairs: Vec<(String, String)>| {
        let desk = &desk;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            desk.post(app, "/console/admin/enterprises", &pairs).await
        }
    };
    let refused = send(fields(&wrong_check, "")).await;
    assert_eq!(refused.status, 422);
    assert!(text(&refused).contains("统一社会信用代码"), "{}", text(&refused));
    let overridden = send(fields(&wrong_check, "登记机关颁发的代码，校验位不符")).await;
    assert_eq!(overridden.status, 303, "{}", text(&overridden));
    let list = desk.page(&app, "/console/admin/enterprises?q=%E6%B5%8B%E8%AF%95%E6%9C%BA%E6%A2%B0").await;
    assert!(list.contains(&wrong_check) && list.contains("校验未通过，已登记理由"), "{list}");

    let users = desk.page(&app, "/console/admin/users").await;
    let csrf = csrf_of(&users);
    let weak = desk
        .post(&app, "/console/admin/users", &[("csrf", &csrf), ("username", "new.inspector"), ("password", "short"), ("display_name", "新检查员"), ("role", "inspector"), ("region_prefix", "360704"), ("certificate_no", "JX-1")])
        .await;
    assert_eq!(weak.status, 422);
    let made = desk
        .post(&app, "/console/admin/users", &[("csrf", &csrf), ("username", "new.inspector"), ("password", "a long enough password"), ("display_name", "新检查员"), ("role", "inspector"), ("region_prefix", "360704"), ("certificate_no", "JX-1")])
        .await;
    assert_eq!(made.status, 303, "{}", text(&made));
    assert!(desk.page(&app, "/console/admin/users").await.contains("new.inspector"));
    app.login("new.inspector", "a long enough password").await;
    // An enterprise user is bound to its enterprise by the code printed on its licence.
    let unknown = desk
        .post(&app, "/console/admin/users", &[("csrf", &csrf), ("username", "plant.safety"), ("password", "a long enough password"), ("display_name", "安全员"), ("role", "enterprise"), ("enterprise_id", &good)])
        .await;
    assert_eq!(unknown.status, 422, "no enterprise holds that code yet");
    let bound = desk
        .post(&app, "/console/admin/users", &[("csrf", &csrf), ("username", "plant.safety"), ("password", "a long enough password"), ("display_name", "安全员"), ("role", "enterprise"), ("enterprise_id", &wrong_check.to_lowercase())])
        .await;
    assert_eq!(bound.status, 303, "{}", text(&bound));
    assert!(desk.page(&app, "/console/admin/users").await.contains("赣县测试机械有限公司"));

    // A checklist typed one item a line, as the API would take it.
    let lists = desk.page(&app, "/console/admin/checklists").await;
    let csrf = csrf_of(&lists);
    let bad = desk
        .post(&app, "/console/admin/checklists", &[("csrf", &csrf), ("sector", "fireworks"), ("name", "烟花爆竹检查表"), ("items", "YH-1|只有两列")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(text(&bad).contains("第 1 行"), "{}", text(&bad));
    let made = desk
        .post(&app, "/console/admin/checklists", &[("csrf", &csrf), ("sector", "fireworks"), ("name", "烟花爆竹检查表"), ("items", "YH-1|药物超量储存|《判定标准》第三条|是\nYH-2|通道堵塞|《规定》第五条|否")])
        .await;
    assert_eq!(made.status, 303, "{}", text(&made));
    let api = app.signed_in(Role::Inspector).await;
    let listed = app.get_as(&api.access, "/api/v1/checklists?sector=fireworks").await.json();
    let made = listed.as_array().unwrap().iter().find(|c| c["name"] == "烟花爆竹检查表").expect("stored");
    assert_eq!(made["items"][0]["major"], true);
    assert_eq!(made["items"][1]["code"], "YH-2");

    // A webhook endpoint: its secret shown once; a robot's key masked in the list.
    let hooks = desk.page(&app, "/console/admin/webhooks").await;
    let csrf = csrf_of(&hooks);
    let created = desk
        .post(&app, "/console/admin/webhooks", &[("csrf", &csrf), ("url", "https://1.1.1.1/safeloop"), ("kind", "standard"), ("event_types", "hazard.closed"), ("event_types", "hazard.reported")])
        .await;
    assert_eq!(created.status, 201, "{}", text(&created));
    assert!(text(&created).contains("whsec_"), "{}", text(&created));
    let robot = desk
        .post(&app, "/console/admin/webhooks", &[("csrf", &csrf), ("url", "https://1.1.1.1/cgi-bin/webhook/send?key=0123456789abcdef"), ("kind", "wecom"), ("event_types", "hazard.overdue")])
        .await;
    assert_eq!(robot.status, 201, "{}", text(&robot));
    let hooks = desk.page(&app, "/console/admin/webhooks").await;
    assert!(hooks.contains("key=…cdef") && !hooks.contains("0123456789abcdef"), "{hooks}");
    let start = hooks.find("/console/admin/webhooks/").unwrap() + "/console/admin/webhooks/".len();
    let id = hooks[start..start + 36].to_owned();
    let removed = desk.post(&app, &format!("/console/admin/webhooks/{id}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(removed.status, 303);
    assert!(!desk.page(&app, "/console/admin/webhooks").await.contains(&id));
});

backend_test!(async fn the_latest_proof_stands_beside_the_hazard_and_earlier_rounds_apart(app) {
    let (id, _, manager, inspector, supervisor) = hazard_with_people(&app).await;
    let owner = app.login(&manager, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let checker = app.login(&inspector, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/hazards/{id}/transitions");
    let mut proofs = Vec::new();
    for (seed, after) in [(11, "verify_fail"), (12, "verify_pass")] {
        let photo = crate::photos::upload(&app, &owner, &phone_jpeg(seed), "rectification").await.json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sent = app.post_as(&owner, &path, &json!({"action": "submit_rectification", "note": "已整改", "photo_ids": [photo]})).await;
        assert_eq!(sent.status, 200, "{}", sent.json());
        let checked = app.post_as(&checker, &path, &json!({"action": after, "note": "复查"})).await;
        assert_eq!(checked.status, 200, "{}", checked.json());
        proofs.push(photo);
    }
    let desk = sign_in(&app, &supervisor).await;
    let page = desk.page(&app, &format!("/console/hazards/{id}")).await;
    let (first, second) = (page.find(&proofs[0]).unwrap(), page.find(&proofs[1]).unwrap());
    let apart = page.find("此前退回的整改照片").expect("the earlier round is shown apart");
    assert!(second < apart && apart < first, "the latest proof first, the returned one after");
});
