//! The offline phone's cost: one county (4,000 enterprises, 20,000 hazards, 40,000 photos'
//! metadata) synced by its inspector, first in full and then after 100 changes, through
//! `GET /api/v1/sync`, beside the same data fetched through the list endpoints (and, for the
//! photos' metadata the list pages leave out, one GET per hazard). Bytes are counted as they
//! leave the server, gzip-compressed; time is the wall clock of the whole exchange, in-process.
//!
//! `cargo bench --bench sync_county` runs it on SQLite (`BENCH_DATABASE_URL` for PostgreSQL;
//! `BENCH_SCALE=0.1` for a tenth of the county). Under `cargo test` it runs on a small county,
//! so neither the generator nor the measurements can rot.

#[path = "bureau/generate.rs"]
#[expect(
    dead_code,
    reason = "the province generator is shared; this uses its tools"
)]
mod generate;

use std::io::Read;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use chrono::Duration as Days;
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use generate::{Dice, Inserter, text, ts};
use safeloop::config::Config;
use safeloop::db::DbConnection;
use safeloop::{AppState, app, server};

const PASSWORD: &str = "bench password 2026";
const COUNTY: &str = "360704";

struct Sizes {
    enterprises: usize,
    hazards: usize,
    photos_per_hazard: usize,
}

#[derive(diesel::QueryableByName)]
struct Code {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
}

fn generate_county(conn: &mut DbConnection, sizes: &Sizes, reporter: &str) -> Vec<String> {
    let mut dice = Dice::new(20_261_201);
    let now = safeloop::db::now();
    let townships: Vec<String> = diesel::sql_query(format!(
        "SELECT code FROM regions WHERE code LIKE '{COUNTY}___' ORDER BY code"
    ))
    .load::<Code>(conn)
    .expect("the county's townships")
    .into_iter()
    .map(|c| c.code)
    .collect();
    assert!(!townships.is_empty(), "the national regions are loaded");
    let mut rows = Inserter::new(
        conn,
        "enterprises",
        "id, credit_code, credit_code_override_reason, name, sector_code, region_code, address, latitude, longitude, risk_level, contact_name, contact_phone, above_scale, version, created_at, updated_at",
    );
    let mut enterprises = Vec::new();
    for i in 0..sizes.enterprises {
        let id = dice.uuid();
        let region = &townships[dice.below(townships.len())];
        rows.push(format!(
            "({}, 'SYN{i:015}', 'generated', '赣县企业{i}有限公司', 'fireworks', '{region}', '赣县区工业园{i}号', 25.8, 115.0, 'yellow', '安全员', '0797-0000000', TRUE, 1, {t}, {t})",
            text(&id), t = ts(now)
        ));
        enterprises.push((id, region.clone()));
    }
    rows.finish();
    let mut hazard_rows = Inserter::new(
        conn,
        "hazards",
        "id, inspection_id, enterprise_id, region_code, sector_code, source, level, description, location, legal_basis, checklist_item_code, deadline, responsible_person, measures, listed_level, status, reported_by, request_hash, version, created_at, updated_at, rectified_at, closed_at, status_since",
    );
    let mut hazards = Vec::new();
    for i in 0..sizes.hazards {
        let id = dice.uuid();
        let (enterprise, region) = &enterprises[dice.below(enterprises.len())];
        let status = ["open", "submitted", "verified", "closed"][dice.below(4)];
        hazard_rows.push(format!(
            "({}, NULL, {}, '{region}', 'fireworks', 'inspection', 'general', '成品仓库消防通道堵塞第{i}处', '3号库', '《烟花爆竹安全管理条例》第十条', NULL, {deadline}, '王仓管', '清理通道杂物，设置禁止占用标识', NULL, '{status}', {reporter}, 'x', 1, {t}, {t}, NULL, NULL, {t})",
            text(&id), text(enterprise), deadline = ts(now + Days::days(7)), reporter = text(reporter), t = ts(now)
        ));
        hazards.push(id);
    }
    hazard_rows.finish();
    let mut photo_rows = Inserter::new(
        conn,
        "photos",
        "id, sha256, storage_key, thumbnail_key, content_type, size, width, height, purpose, exif_captured_at, exif_latitude, exif_longitude, exif_orientation, camera_make, camera_model, declared_captured_at, declared_latitude, declared_longitude, uploaded_by, uploaded_at, attached_at",
    );
    let mut links = Vec::new();
    for hazard in &hazards {
        for _ in 0..sizes.photos_per_hazard {
            let id = dice.uuid();
            let sha = format!(
                "{:016x}{:016x}{:016x}{:016x}",
                dice.next(),
                dice.next(),
                dice.next(),
                dice.next()
            );
            photo_rows.push(format!(
                "({}, '{sha}', 'originals/{sha}', 'thumbnails/{sha}.jpg', 'image/jpeg', 3400000, 4032, 3024, 'hazard', {t}, 25.85, 115.02, 6, 'HUAWEI', 'P60', {t}, 25.85, 115.02, {uploader}, {t}, {t})",
                text(&id), uploader = text(reporter), t = ts(now)
            ));
            links.push((hazard.clone(), id));
        }
    }
    photo_rows.finish();
    let mut link_rows = Inserter::new(conn, "hazard_photos", "hazard_id, photo_id");
    for (hazard, photo) in links {
        link_rows.push(format!("({}, {})", text(&hazard), text(&photo)));
    }
    link_rows.finish();
    // Rows written behind the app's back enter the sync log as the migration enters old rows.
    for sql in [
        "INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at) SELECT 'enterprise', id, id, region_code, sector_code, '', updated_at FROM enterprises",
        "INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, sector_code, owner_id, changed_at) SELECT 'hazard', id, enterprise_id, region_code, sector_code, '', updated_at FROM hazards",
    ] {
        diesel::sql_query(sql)
            .execute(conn)
            .expect("the log filled");
    }
    hazards
}

/// One exchange's cost.
#[derive(Default)]
struct Cost {
    requests: usize,
    bytes: usize,
    time: Duration,
}

impl Cost {
    fn line(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {:.2} MB | {:.2} s |",
            self.requests,
            self.bytes as f64 / 1e6,
            self.time.as_secs_f64()
        )
    }
}

/// Sends a GET with gzip accepted; returns the JSON and counts the bytes as sent.
async fn get<S, B>(service: &S, token: &str, path: &str, cost: &mut Cost) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let request = TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
        .insert_header(("accept-encoding", "gzip"))
        .to_request();
    let started = Instant::now();
    let response = test::call_service(service, request).await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let gzipped = response
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let body = test::read_body(response).await;
    cost.time += started.elapsed();
    cost.requests += 1;
    cost.bytes += body.len();
    let mut text = Vec::new();
    if gzipped {
        flate2::read::GzDecoder::new(body.as_ref())
            .read_to_end(&mut text)
            .unwrap();
    } else {
        text = body.to_vec();
    }
    serde_json::from_slice(&text).expect("JSON")
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let scale: f64 = match std::env::var("BENCH_SCALE") {
        Ok(s) if benchmarking => s.parse().expect("BENCH_SCALE is a number"),
        _ if benchmarking => 1.0,
        _ => 0.01,
    };
    let sizes = Sizes {
        enterprises: ((4000.0 * scale) as usize).max(10),
        hazards: ((20000.0 * scale) as usize).max(20),
        photos_per_hazard: 2,
    };
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if benchmarking => url,
        _ => format!("sqlite://{}", scratch.path().join("sync.db").display()),
    };
    let log = |line: &str| eprintln!("sync_county: {line}");
    let mut config = Config::for_database(&url, scratch.path().to_owned());
    config.database_pool_size = 4;
    let pool = server::prepare_database(&config).expect("database ready");
    let hazards = {
        let mut conn = pool.get().expect("a connection");
        let started = Instant::now();
        let mut user = safeloop::registry::user::NewUser::admin(
            "bench-inspector",
            safeloop::auth::password::hash(PASSWORD),
        );
        user.role = "inspector".into();
        user.region_prefix = Some(COUNTY.into());
        let inspector = safeloop::registry::user::insert(&mut conn, &user).expect("an inspector");
        let hazards = generate_county(&mut conn, &sizes, &inspector.id);
        log(&format!(
            "{} enterprises, {} hazards, {} photos generated in {:.0} s",
            sizes.enterprises,
            sizes.hazards,
            sizes.hazards * sizes.photos_per_hazard,
            started.elapsed().as_secs_f64()
        ));
        hazards
    };
    let state = AppState::new(pool.clone(), config).expect("valid configuration");

    actix_web::rt::System::new().block_on(async move {
        let service = test::init_service(app(state)).await;
        let login = TestRequest::post()
            .uri("/api/v1/auth/login")
            .set_json(json!({"username": "bench-inspector", "password": PASSWORD}))
            .to_request();
        let answer: Value = test::call_and_read_body_json(&service, login).await;
        let token = answer["access_token"].as_str().unwrap().to_owned();

        // The feed, from nothing.
        let mut first = Cost::default();
        let mut checkpoint: Option<String> = None;
        let mut changes = 0;
        loop {
            let mut path = "/api/v1/sync?limit=2000".to_owned();
            if let Some(c) = &checkpoint {
                path.push_str(&format!("&checkpoint={c}"));
            }
            let page = get(&service, &token, &path, &mut first).await;
            changes += page["changes"].as_array().unwrap().len();
            checkpoint = Some(page["checkpoint"].as_str().unwrap().to_owned());
            if page["has_more"] == false {
                break;
            }
        }
        assert!(changes >= sizes.enterprises + sizes.hazards, "{changes} changes");

        // The list endpoints, as today: every page of enterprises and hazards, then each
        // hazard for its photos.
        let mut lists = Cost::default();
        for base in ["/api/v1/enterprises?limit=200", "/api/v1/hazards?limit=200"] {
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    Some(c) => format!("{base}&cursor={c}"),
                    None => base.to_owned(),
                };
                let page = get(&service, &token, &path, &mut lists).await;
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
        }
        let mut with_photos = Cost {
            requests: lists.requests,
            bytes: lists.bytes,
            time: lists.time,
        };
        for hazard in &hazards {
            get(&service, &token, &format!("/api/v1/hazards/{hazard}"), &mut with_photos).await;
        }

        // 100 changes: hazards move on in the loop (as the app's writes would, touched in
        // their own transactions).
        let since = chrono::Utc::now() - chrono::Duration::seconds(5);
        {
            let mut conn = pool.get().expect("a connection");
            for hazard in hazards.iter().take(100) {
                diesel::sql_query(format!(
                    "UPDATE hazards SET version = version + 1, measures = measures || '（已复查）', updated_at = {} WHERE id = {}",
                    ts(safeloop::db::now()), text(hazard)
                ))
                .execute(&mut conn)
                .unwrap();
                safeloop::sync::log::touch_hazard(&mut conn, hazard, false).unwrap();
            }
        }
        let mut incremental = Cost::default();
        let path = format!("/api/v1/sync?limit=2000&checkpoint={}", checkpoint.unwrap());
        let page = get(&service, &token, &path, &mut incremental).await;
        let hazard_changes = page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["entity"] == "hazard")
            .count();
        assert_eq!(hazard_changes, 100, "each change once (and a task beside each hazard)");
        let mut since_lists = Cost::default();
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for base in ["/api/v1/enterprises", "/api/v1/hazards"] {
            let path = format!("{base}?limit=200&updated_since={since}");
            get(&service, &token, &path, &mut since_lists).await;
        }

        println!("| exchange | requests | bytes (gzip) | time |");
        println!("|---|---|---|---|");
        println!("{}", first.line("first sync, `GET /api/v1/sync`"));
        println!("{}", lists.line("list pages (no photos' metadata)"));
        println!("{}", with_photos.line("list pages + `GET /hazards/{id}` each"));
        println!("{}", incremental.line("after 100 changes, `GET /api/v1/sync`"));
        println!("{}", since_lists.line("after 100 changes, lists `updated_since` (no removals)"));
    });
}
