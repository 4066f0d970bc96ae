//! What announcing every change costs the loop, and how soon receivers hear of it: hazards
//! driven through a transition (cancel) by the real app in process, first with no webhook
//! endpoint, then with five subscribed to real loopback receivers, while the notification
//! round runs beside them as it does on a server. Prints transitions per second for both, the
//! ratio, and the delivery lag (receipt minus the event's time), median and p95.
//!
//! `cargo bench --bench notify_load` on a fresh SQLite database (`BENCH_DATABASE_URL` for
//! another, `BENCH_TRANSITIONS` for the count, default 2000). Under `cargo test` it runs 40
//! transitions, so the driver cannot rot.

#[path = "../tests/api/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use std::time::{Duration, Instant};

use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};

use safeloop::auth::{Role, password};
use safeloop::config::Config;
use safeloop::registry::user::{self, NewUser};
use safeloop::{AppState, app, server};

const PASSWORD: &str = "a long benchmark password";

fn seed(state: &AppState, username: &str, role: Role) {
    let mut user = NewUser::admin(username, password::hash(PASSWORD));
    user.role = role.as_str().into();
    if matches!(role, Role::Inspector | Role::Supervisor) {
        user.region_prefix = Some("3607".into());
        user.certificate_no = Some("JX-1".into());
    }
    user::insert(&mut state.pool.get().unwrap(), &user).unwrap();
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let scratch = tempfile::tempdir().unwrap();
    let url = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|_| benchmarking)
        .unwrap_or_else(|| format!("sqlite://{}", scratch.path().join("bench.db").display()));
    let count: usize = match std::env::var("BENCH_TRANSITIONS") {
        Ok(n) if benchmarking => n.parse().unwrap(),
        _ if benchmarking => 2000,
        _ => 40,
    };
    let mut config = Config::for_database(&url, scratch.path().to_owned());
    config.webhook_allow_private = true;
    config.notify_interval = Duration::from_millis(100);
    let pool = server::prepare_database(&config).unwrap();
    let state = AppState::new(pool, config).unwrap();
    seed(&state, "bench-admin", Role::Admin);
    seed(&state, "bench-inspector", Role::Inspector);
    seed(&state, "bench-supervisor", Role::Supervisor);

    actix_web::rt::System::new().block_on(async move {
        let service = test::init_service(app(state.clone())).await;
        let token = |username: &'static str| {
            let service = &service;
            async move {
                let request = TestRequest::post()
                    .uri("/api/v1/auth/login")
                    .set_json(json!({"username": username, "password": PASSWORD}))
                    .to_request();
                let answer: Value = test::call_and_read_body_json(service, request).await;
                format!("Bearer {}", answer["access_token"].as_str().unwrap())
            }
        };
        let (admin, inspector, supervisor) =
            (token("bench-admin").await, token("bench-inspector").await, token("bench-supervisor").await);
        let post = |auth: &str, path: &str, body: Value| {
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", auth.to_owned()))
                .set_json(body)
                .to_request()
        };
        let plant: Value = test::call_and_read_body_json(&service, post(&admin, "/api/v1/enterprises", json!({
            "credit_code": "91360704MA35L7XK3B", "credit_code_override_reason": "benchmark",
            "name": "赣县王母渡烟花爆竹有限公司", "sector": "fireworks", "region_code": "360704101",
            "address": "王母渡镇", "risk_level": "orange", "contact_name": "王安全", "contact_phone": "0797-4412345",
        }))).await;
        let plant = plant["id"].as_str().unwrap().to_owned();

        // The notification round, as every server node runs it.
        let looping = state.clone();
        actix_web::rt::spawn(async move {
            loop {
                let _ = safeloop::notify::run_once(&looping).await;
                actix_web::rt::time::sleep(looping.config.notify_interval).await;
            }
        });

        let receivers: Vec<receiver::Receiver> =
            (0..5).map(|i| receiver::Receiver::start(&format!("/hook{i}"), vec![])).collect();
        let mut rates = Vec::new();
        let mut measured = std::collections::HashSet::new();
        for endpoints in [0, 5] {
            for receiver in receivers.iter().take(endpoints) {
                let made = test::call_service(&service, post(&admin, "/api/v1/webhooks", json!({
                    "url": receiver.url, "event_types": ["hazard.cancelled"],
                }))).await;
                assert!(made.status().is_success());
            }
            let mut ids = Vec::new();
            for _ in 0..count {
                let id = uuid::Uuid::new_v4().to_string();
                let response = test::call_service(&service, post(&inspector, "/api/v1/hazards", json!({
                    "id": id, "enterprise_id": plant, "level": "general", "description": "通道堵塞",
                    "deadline": chrono::Utc::now() + chrono::Duration::days(7), "responsible_person": "王安全",
                    "measures": "清理",
                }))).await;
                assert!(response.status().is_success());
                ids.push(id);
            }
            let started = Instant::now();
            for id in &ids {
                let response = test::call_service(&service, post(&supervisor, &format!("/api/v1/hazards/{id}/transitions"),
                    json!({"action": "cancel", "note": "重复登记"}))).await;
                assert!(response.status().is_success());
            }
            let rate = count as f64 / started.elapsed().as_secs_f64();
            if endpoints > 0 {
                measured.extend(ids);
            }
            rates.push(rate);
            println!("{endpoints} endpoints: {count} transitions in {:.2} s, {rate:.0} per second", started.elapsed().as_secs_f64());
        }

        // Every measured cancellation reaches all five receivers once (a receiver may also hear
        // of earlier ones the dispatcher had not read when its endpoint was made); the lag is
        // receipt minus event time.
        let ours = |r: &receiver::Receiver| -> Vec<receiver::Received> {
            r.received()
                .into_iter()
                .filter(|d| d.json()["data"]["hazard_id"].as_str().is_some_and(|h| measured.contains(h)))
                .collect()
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while receivers.iter().any(|r| ours(r).len() < count) && Instant::now() < deadline {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        let mut lags = Vec::new();
        for receiver in &receivers {
            let received = ours(receiver);
            let ids: std::collections::HashSet<String> =
                received.iter().map(|d| d.header("webhook-id").to_owned()).collect();
            assert_eq!((received.len(), ids.len()), (count, count), "every event delivered once");
            for delivery in received {
                let body = delivery.json();
                let at: chrono::DateTime<chrono::Utc> = body["timestamp"].as_str().unwrap().parse().unwrap();
                lags.push((delivery.at - at).num_microseconds().unwrap() as f64 / 1000.0);
            }
        }
        println!(
            "\n| endpoints | transitions/s | ratio |\n|---|---|---|\n| none | {:.0} | 1.00x |\n| 5 | {:.0} | {:.2}x |",
            rates[0], rates[1], rates[1] / rates[0]
        );
        println!(
            "delivery lag over {} deliveries: median {:.0} ms, p95 {:.0} ms (a round every {} ms)",
            lags.len(),
            percentile(lags.clone(), 0.5),
            percentile(lags, 0.95),
            state.config.notify_interval.as_millis()
        );
    });
}
