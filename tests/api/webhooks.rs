//! Webhooks against real receivers: every delivery checked with the Standard Webhooks
//! reference implementation; retries after a 500 and a timeout, `Retry-After`, 410, rotation,
//! scope, two API nodes, and the 企业微信/钉钉 robots with their digest.

use std::time::Duration;

use serde_json::{Value, json};

use crate::fixtures::{hazard_body, report};
use crate::harness::{Backend, SignedIn, TestApp, TestDatabase};
use crate::receiver::{Answer, Receiver};
use safeloop::auth::Role;
use safeloop::config::Config;

async fn notifying_app(backend: Backend) -> TestApp {
    let database = TestDatabase::create(backend);
    let mut config = Config::for_database(&database.url, database.data_dir());
    config.database_pool_size = 4;
    config.webhook_allow_private = true;
    config.webhook_retry_schedule = vec![Duration::ZERO; 3];
    config.webhook_timeout = Duration::from_millis(700);
    TestApp::with_config(database, config).await
}

macro_rules! webhook_test {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = notifying_app(Backend::Sqlite).await;
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                let $app = notifying_app(Backend::Postgres).await;
                $body
            }
        }
    };
}

async fn endpoint(app: &TestApp, who: &SignedIn, body: Value) -> Value {
    let created = app.post_as(&who.access, "/api/v1/webhooks", &body).await;
    assert_eq!(created.status, 201, "{}", created.json());
    created.json()
}

/// One notification round, once the dispatcher has read every committed event: on a shared
/// PostgreSQL cluster, another test's open transaction holds events back until it ends.
async fn round(app: &TestApp) {
    use diesel::prelude::*;
    use safeloop::db::schema::{log_readers, outbox_events};
    for _ in 0..1500 {
        safeloop::notify::run_once(&app.state).await.unwrap();
        let mut conn = app.db();
        // The last row in the log's own order: by writing transaction, then position.
        let last: Option<(i64, i64)> = outbox_events::table
            .order((
                outbox_events::commit_order.desc(),
                outbox_events::position.desc(),
            ))
            .select((outbox_events::commit_order, outbox_events::position))
            .first(&mut conn)
            .optional()
            .unwrap();
        let read: Option<(i64, i64)> = log_readers::table
            .find("webhooks")
            .select((log_readers::commit_order, log_readers::position))
            .first(&mut conn)
            .optional()
            .unwrap();
        if last.is_none() || read == last {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the dispatcher never caught up with the log");
}

async fn last_delivery(app: &TestApp, admin: &SignedIn, endpoint: &str) -> Value {
    let path = format!("/api/v1/webhooks/{endpoint}/deliveries");
    app.get_as(&admin.access, &path).await.json()["items"][0].clone()
}

async fn refused(app: &TestApp, admin: &SignedIn, body: Value) -> Value {
    app.post_as(&admin.access, "/api/v1/webhooks", &body)
        .await
        .problem(422, "validation_failed")
}

/// Checks a delivery with the reference implementation.
fn verified(secret: &str, received: &crate::receiver::Received) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&received.body, &received.headers)
        .is_ok()
}

webhook_test!(async fn deliveries_are_signed_and_retried_until_accepted(app) {
    let receiver = Receiver::start("/hooks", vec![Answer::Status(500), Answer::Slow(Duration::from_secs(2))]);
    let admin = app.signed_in(Role::Admin).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let made = endpoint(&app, &admin, json!({"url": receiver.url, "event_types": ["hazard.reported", "hazard.cancelled"], "description": "县局平台"})).await;
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let shown = app.get_as(&admin.access, &format!("/api/v1/webhooks/{}", made["id"].as_str().unwrap())).await.json();
    assert!(shown.get("secret").is_none(), "the secret is shown once: {shown}");

    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let hazard = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let id = hazard["id"].as_str().unwrap();
    round(&app).await; // 500
    round(&app).await; // no answer within the timeout
    round(&app).await; // accepted
    let received = receiver.received();
    assert_eq!(received.len(), 3, "{received:?}");
    assert!(received.windows(2).all(|w| w[0].at <= w[1].at), "each retry after the last");
    let webhook_id = received[0].header("webhook-id").to_owned();
    assert!(webhook_id.starts_with("msg_"));
    for attempt in &received {
        assert_eq!(attempt.header("webhook-id"), webhook_id, "the same id on every retry");
        assert!(verified(&secret, attempt), "signature of {attempt:?}");
        assert!(!verified("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", attempt));
    }
    let body = received[2].json();
    assert_eq!(body["type"], "hazard.reported");
    assert_eq!(body["data"]["hazard_id"], id);
    assert_eq!(body["data"]["status"], "open");
    assert_eq!(body["data"]["chain_hash"].as_str().unwrap().len(), 64);
    assert!(body["data"].get("responsible_person").is_none(), "thin: {body}");

    let path = format!("/api/v1/webhooks/{}/deliveries", made["id"].as_str().unwrap());
    let log = app.get_as(&admin.access, &path).await.json();
    let delivery = &log["items"][0];
    assert_eq!((delivery["status"].as_str(), delivery["attempts"].as_i64()), (Some("delivered"), Some(3)));
    assert_eq!(delivery["last_status_code"], 200);
    let failed_first = app.get_as(&admin.access, &format!("{path}?status=pending")).await.json();
    assert!(failed_first["items"].as_array().unwrap().is_empty());

    // Nothing is sent twice, and events outside the subscription are not sent at all.
    round(&app).await;
    assert_eq!(receiver.received().len(), 3);
    let cancel = app.post_as(&supervisor.access, &format!("/api/v1/hazards/{id}/transitions"), &json!({"action": "cancel", "note": "重复"})).await;
    assert_eq!(cancel.status, 200);
    round(&app).await;
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    assert_eq!(received[3].json()["type"], "hazard.cancelled");

    // Redelivery sends the same message again.
    let delivery_id = delivery["id"].as_str().unwrap();
    let again = app.post_as(&admin.access, &format!("{path}/{delivery_id}/redeliver"), &json!({})).await;
    assert_eq!(again.status, 202, "{}", again.json());
    round(&app).await;
    assert_eq!(receiver.received().last().unwrap().header("webhook-id"), webhook_id);
});

webhook_test!(async fn a_schedule_runs_out_and_410_disables(app) {
    let failing = Receiver::start("/down", vec![Answer::Status(500); 10]);
    let gone = Receiver::start("/gone", vec![Answer::Status(410)]);
    let busy = Receiver::start("/busy", vec![Answer::RetryAfter(429, 3600)]);
    let admin = app.signed_in(Role::Admin).await;
    let mut ids = Vec::new();
    for receiver in [&failing, &gone, &busy] {
        ids.push(endpoint(&app, &admin, json!({"url": receiver.url, "event_types": ["ping"]})).await["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let ping = app.post_as(&admin.access, &format!("/api/v1/webhooks/{id}/test"), &json!({})).await;
        assert_eq!(ping.status, 202, "{}", ping.json());
    }
    for _ in 0..6 {
        round(&app).await;
    }
    // 1 + 3 retries, then failed; 410 once, and the endpoint is off; 429 waits an hour.
    assert_eq!(failing.received().len(), 4);
    assert_eq!(gone.received().len(), 1);
    assert_eq!(busy.received().len(), 1);
    assert_eq!(failing.received()[0].json()["type"], "ping");
    assert_eq!(last_delivery(&app, &admin, &ids[0]).await["status"], "failed");
    assert_eq!(last_delivery(&app, &admin, &ids[1]).await["status"], "failed");
    let waiting = last_delivery(&app, &admin, &ids[2]).await;
    assert_eq!(waiting["status"], "pending");
    let next: chrono::DateTime<chrono::Utc> = waiting["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::minutes(50), "Retry-After honoured: {waiting}");
    let off = app.get_as(&admin.access, &format!("/api/v1/webhooks/{}", ids[1])).await.json();
    assert_eq!(off["enabled"], false);
    assert!(off["disabled_reason"].as_str().unwrap().contains("410"), "{off}");
    // Turned back on by hand.
    let on = app.patch_as(&admin.access, &format!("/api/v1/webhooks/{}", ids[1]), &json!({"enabled": true})).await;
    assert_eq!(on.json()["enabled"], true);
});

webhook_test!(async fn a_rotated_secret_signs_beside_the_new_one(app) {
    let receiver = Receiver::start("/hooks", vec![]);
    let admin = app.signed_in(Role::Admin).await;
    let made = endpoint(&app, &admin, json!({"url": receiver.url, "event_types": ["ping"]})).await;
    let id = made["id"].as_str().unwrap();
    let old = made["secret"].as_str().unwrap();
    let rotated = app.post_as(&admin.access, &format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({})).await;
    assert_eq!(rotated.header("cache-control"), Some("no-store"));
    let new = rotated.json()["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    app.post_as(&admin.access, &format!("/api/v1/webhooks/{id}/test"), &json!({})).await;
    round(&app).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(verified(&new, &received[0]) && verified(old, &received[0]));
    assert_eq!(received[0].header("webhook-signature").split(' ').count(), 2);
});

webhook_test!(async fn only_events_in_scope_are_delivered(app) {
    let county = Receiver::start("/county", vec![]);
    let elsewhere = Receiver::start("/elsewhere", vec![]);
    let admin = app.signed_in(Role::Admin).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let inspector = app.signed_in(Role::Inspector).await;
    // A supervisor's endpoint defaults to its own region; another region is refused.
    let own = endpoint(&app, &supervisor, json!({"url": county.url, "event_types": ["hazard.reported"]})).await;
    assert_eq!(own["region_prefix"], "3607");
    let outside = app.post_as(&supervisor.access, "/api/v1/webhooks", &json!({"url": elsewhere.url, "event_types": ["hazard.reported"], "region_prefix": "5305"})).await;
    assert_eq!(outside.problem(422, "validation_failed")["errors"][0]["field"], "region_prefix");
    endpoint(&app, &admin, json!({"url": elsewhere.url, "event_types": ["hazard.reported"], "region_prefix": "530524"})).await;
    let mines = endpoint(&app, &admin, json!({"url": elsewhere.url.replace("/elsewhere", "/mines"), "event_types": ["hazard.reported"], "sectors": ["non_coal_mines"]})).await;
    assert_eq!(mines["sectors"], json!(["non_coal_mines"]));

    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    round(&app).await;
    assert_eq!(county.received().len(), 1);
    assert!(elsewhere.received().is_empty(), "neither the other county nor the mines hear of it");
    // The supervisor sees its own endpoint only; an enterprise none.
    let listed = app.get_as(&supervisor.access, "/api/v1/webhooks").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // A colleague limited to mines manages none of the all-sector endpoint.
    let mines_only = app.signed_in_with(Role::Supervisor, |u| u.sectors = "non_coal_mines".into()).await;
    assert_eq!(app.get_as(&mines_only.access, "/api/v1/webhooks").await.json(), json!([]));
    let theirs = format!("/api/v1/webhooks/{}", own["id"].as_str().unwrap());
    app.get_as(&mines_only.access, &theirs).await.problem(404, "not_found");
    app.post_as(&mines_only.access, &format!("{theirs}/rotate-secret"), &json!({})).await.problem(404, "not_found");
    let manager = app.signed_in(Role::Enterprise).await;
    app.get_as(&manager.access, "/api/v1/webhooks").await.problem(403, "forbidden");
});

webhook_test!(async fn two_nodes_deliver_each_event_once(app) {
    let receiver = Receiver::start("/hooks", vec![]);
    let admin = app.signed_in(Role::Admin).await;
    let inspector = app.signed_in(Role::Inspector).await;
    endpoint(&app, &admin, json!({"url": receiver.url, "event_types": ["hazard.reported"]})).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    for _ in 0..6 {
        report(&app, &inspector.access, &hazard_body(&plant)).await;
    }
    let mut config = (*app.state.config).clone();
    config.database_pool_size = 2;
    let other = safeloop::AppState::new(safeloop::server::prepare_database(&config).unwrap(), config).unwrap();
    let (first, second) = futures_util::join!(
        safeloop::notify::run_once(&app.state),
        safeloop::notify::run_once(&other)
    );
    first.unwrap();
    second.unwrap();
    round(&app).await;
    let ids: std::collections::BTreeSet<String> = receiver.received().iter().map(|r| r.header("webhook-id").to_owned()).collect();
    assert_eq!((receiver.received().len(), ids.len()), (6, 6));
});

webhook_test!(async fn robots_get_chinese_markdown_and_a_digest(app) {
    let wecom = Receiver::start("/cgi-bin/webhook/send?key=secretkey9876", vec![]);
    let dingtalk = Receiver::start("/robot/send?access_token=xyz", vec![]);
    let admin = app.signed_in(Role::Admin).await;
    let inspector = app.signed_in(Role::Inspector).await;
    let shown = endpoint(&app, &admin, json!({"url": wecom.url, "kind": "wecom", "event_types": ["hazard.reported"]})).await;
    let url = shown["url"].as_str().unwrap();
    assert!(url.ends_with("key=…9876") && !url.contains("secretkey"), "a robot's key is not shown: {url}");
    let made = endpoint(&app, &admin, json!({"url": dingtalk.url, "kind": "dingtalk", "secret": "SECtest123", "event_types": ["hazard.reported"]})).await;
    assert!(made["secret"].is_null(), "a robot's own secret is not echoed");
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    round(&app).await;
    let message = wecom.received()[0].json();
    assert_eq!(message["msgtype"], "markdown");
    let content = message["markdown"]["content"].as_str().unwrap();
    assert!(content.starts_with("【新隐患】王母渡烟花有限公司 · 成品仓库消防通道堵塞 · 整改期限 "), "{content}");

    let ding = &dingtalk.received()[0];
    let query: std::collections::HashMap<String, String> = ding.path_and_query.split_once('?').unwrap().1
        .split('&').map(|p| { let (k, v) = p.split_once('=').unwrap(); (k.to_owned(), v.to_owned()) }).collect();
    assert_eq!(query["access_token"], "xyz");
    let timestamp: i64 = query["timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp_millis() - timestamp).abs() < 60_000);
    // DingTalk's own check: HMAC-SHA256 of "timestamp\nsecret", base64, URL-encoded.
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"SECtest123").unwrap();
    mac.update(format!("{timestamp}\nSECtest123").as_bytes());
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let sent: String = form_urlencoded::parse(format!("s={}", query["sign"]).as_bytes()).next().unwrap().1.into_owned();
    assert_eq!(sent, expected);
    assert_eq!(ding.json()["markdown"]["title"], "新隐患");

    // A burst of 100 events is one digest message, nothing dropped.
    // Committed together, so the dispatcher sees the burst whole (on a shared PostgreSQL
    // cluster it may otherwise see part of it one round and the rest the next).
    use diesel::Connection;
    app.db()
        .transaction::<_, diesel::result::Error, _>(|conn| {
            for _ in 0..100 {
                safeloop::notify::outbox::record(conn, "hazard.reported", Default::default(), json!({"enterprise_name": "王母渡烟花有限公司", "description": "通道堵塞"})).unwrap();
            }
            Ok(())
        })
        .unwrap();
    round(&app).await;
    let received = wecom.received();
    assert_eq!(received.len(), 2, "one more message for the whole burst");
    let digest = received[1].json()["markdown"]["content"].as_str().unwrap().to_owned();
    assert!(digest.contains("通知汇总（100条）") && digest.contains("另有70条"), "{digest}");
});

webhook_test!(async fn endpoints_are_checked(app) {
    let admin = app.signed_in(Role::Admin).await;
    let problem = refused(&app, &admin, json!({"url": "ftp://example.org/", "event_types": ["ping"]})).await;
    assert_eq!(problem["errors"][0]["field"], "url");
    for body in [
        json!({"url": "https://example.org/", "event_types": ["hazard.exploded"]}),
        json!({"url": "https://example.org/", "event_types": []}),
        json!({"url": "https://example.org/", "event_types": ["ping"], "secret": "whsec_short"}),
        json!({"url": "https://example.org/", "event_types": ["ping"], "kind": "dingtalk"}),
        json!({"url": "https://example.org/", "event_types": ["ping"], "sectors": ["space_mining"]}),
    ] {
        refused(&app, &admin, body).await;
    }
    app.get_as(&admin.access, &format!("/api/v1/webhooks/{}", uuid::Uuid::new_v4())).await.problem(404, "not_found");
});

/// Without `SAFELOOP_WEBHOOK_ALLOW_PRIVATE`, loopback and private targets are refused.
#[actix_web::test]
async fn private_targets_need_an_on_premise_setting() {
    let app = TestApp::new(Backend::Sqlite).await;
    let admin = app.signed_in(Role::Admin).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest",
    ] {
        let answer = app
            .post_as(
                &admin.access,
                "/api/v1/webhooks",
                &json!({"url": url, "event_types": ["ping"]}),
            )
            .await;
        let problem = answer.problem(422, "validation_failed");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("SAFELOOP_WEBHOOK_ALLOW_PRIVATE"),
            "{problem}"
        );
    }
}

webhook_test!(async fn robots_get_one_morning_digest_a_day(app) {
    use safeloop::notify::scheduler::{self, Rules};
    let robot = Receiver::start("/cgi-bin/webhook/send?key=morning", vec![]);
    let admin = app.signed_in(Role::Admin).await;
    let inspector = app.signed_in(Role::Inspector).await;
    endpoint(&app, &admin, json!({"url": robot.url, "kind": "wecom", "event_types": ["hazard.overdue"], "region_prefix": "3607"})).await;
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    for _ in 0..3 {
        report(&app, &inspector.access, &hazard_body(&plant)).await;
    }
    let rules = Rules { reminder_days: &[], auto_listing_level: None };
    // Yesterday's 07:30 and 09:00 in Beijing: before and after the hour, and already due.
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let early = day.and_hms_opt(23, 30, 0).unwrap() - chrono::Duration::days(1);
    let morning = day.and_hms_opt(1, 0, 0).unwrap();
    assert_eq!(scheduler::tick(&mut app.db(), &rules, early).unwrap().digests, 0, "not before 08:00");
    let other = app.second_process().await;
    let sent = scheduler::tick(&mut app.db(), &rules, morning).unwrap().digests
        + scheduler::tick(&mut other.db(), &rules, morning).unwrap().digests
        + scheduler::tick(&mut app.db(), &rules, morning + chrono::Duration::hours(5)).unwrap().digests;
    assert_eq!(sent, 1, "once a day");
    round(&app).await;
    let received = robot.received();
    assert_eq!(received.len(), 1);
    let content = received[0].json()["markdown"]["content"].as_str().unwrap().to_owned();
    assert!(content.starts_with("【每日简报】") && content.contains("待整改 3 条（逾期 0 条）"), "{content}");
});
