//! A county's year made through the public API, then read back as the bureau's report: seed
//! report 001 (赣县区, 2021) says "共检查单位18985家次, 排查隐患5985条, 整治到位5713条, 整改率95.5%",
//! "其中重大隐患9条, 整治到位9条", "责令停产整顿44家, 关闭取缔1家, 经济处罚223.65万元".
//!
//! Every enterprise, inspection, hazard, move along the loop and enforcement document is a
//! request to the real app in process, about 60,000 of them; then `GET /api/v1/stats` is
//! compared figure by figure with the report, and the running tallies with a recount.
//!
//! `cargo bench --bench county_year` makes the whole year on a fresh SQLite database
//! (`BENCH_DATABASE_URL` for another). Under `cargo test` it makes a fiftieth of the year and
//! checks the same way, so the driver cannot rot.

use std::time::Instant;

use actix_web::test::{self, TestRequest};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use safeloop::config::Config;
use safeloop::registry::credit_code;
use safeloop::{AppState, app, server};

/// What the year holds; `Plan::seed_001()` is the report's.
#[derive(Debug, Clone, Copy)]
struct Plan {
    enterprises: usize,
    inspections: usize,
    hazards: usize,
    major: usize,
    rectified: usize,
    closed: usize,
    suspended_enterprises: usize,
    suspension_orders: usize,
    shutdowns: usize,
    fines_fen: i64,
    penalties: usize,
}

impl Plan {
    fn seed_001() -> Plan {
        Plan {
            enterprises: 4_000,
            inspections: 18_985,
            hazards: 5_985,
            major: 9,
            rectified: 5_713,
            closed: 5_400,
            suspended_enterprises: 44,
            suspension_orders: 46,
            shutdowns: 1,
            fines_fen: 223_650_000,
            penalties: 90,
        }
    }

    fn fraction(divisor: usize) -> Plan {
        let full = Plan::seed_001();
        let part = |n: usize| n.div_ceil(divisor);
        Plan {
            enterprises: part(full.enterprises),
            inspections: part(full.inspections),
            hazards: part(full.hazards),
            major: full.major.min(part(full.hazards)),
            rectified: part(full.rectified),
            closed: part(full.closed),
            suspended_enterprises: part(full.suspended_enterprises),
            suspension_orders: part(full.suspension_orders),
            shutdowns: full.shutdowns,
            fines_fen: full.fines_fen / divisor as i64,
            penalties: part(full.penalties),
        }
    }
}

const TOWNSHIPS: [&str; 5] = [
    "360704100",
    "360704101",
    "360704102",
    "360704103",
    "360704104",
];
const SECTORS: [&str; 5] = [
    "fireworks",
    "non_coal_mines",
    "hazardous_chemicals",
    "construction",
    "crowded_places",
];
const PASSWORD: &str = "a long benchmark password";

/// A valid 18-character unified social credit code (GB 32100) for the `n`th enterprise.
fn credit_code(n: usize) -> String {
    let first_17 = format!("91360721{:09}", 100_000_000 + n);
    let check = credit_code::check_character(&first_17).expect("digits only");
    format!("{first_17}{check}")
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let plan = if benchmarking {
        Plan::seed_001()
    } else {
        Plan::fraction(50)
    };
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if benchmarking => url,
        _ => format!("sqlite://{}", scratch.path().join("county.db").display()),
    };
    let config = Config::for_database(&url, scratch.path().to_owned());
    let pool = server::prepare_database(&config).expect("database ready");
    let mut conn = pool.get().expect("a connection");
    for (username, role) in [
        ("county-admin", "admin"),
        ("county-chief", "supervisor"),
        ("county-lead", "inspector"),
        ("county-partner", "inspector"),
    ] {
        let mut user = safeloop::registry::user::NewUser::admin(
            username,
            safeloop::auth::password::hash(PASSWORD),
        );
        user.role = role.to_owned();
        user.region_prefix = (role != "admin").then(|| "360704".to_owned());
        user.certificate_no = (role == "inspector").then(|| format!("JX-{username}"));
        safeloop::registry::user::insert(&mut conn, &user).expect("seed a user");
    }
    // For the recount behind the API's back at the end.
    let recount_pool = pool.clone();
    let state = AppState::new(pool, config).expect("valid configuration");
    actix_web::rt::System::new().block_on(async move {
        let service = test::init_service(app(state)).await;
        let mut requests = 0usize;
        let started = Instant::now();
        macro_rules! call {
            ($token:expr, $request:expr, $status:expr) => {{
                requests += 1;
                let request = $request
                    .insert_header(("authorization", format!("Bearer {}", $token)))
                    .to_request();
                let response = test::call_service(&service, request).await;
                let status = response.status().as_u16();
                let body: Value = test::read_body_json(response).await;
                assert_eq!(status, $status, "{body}");
                body
            }};
        }
        let login = |username: &str| {
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .set_json(json!({"username": username, "password": PASSWORD}))
                .to_request()
        };
        let mut tokens = Vec::new();
        for who in ["county-admin", "county-chief", "county-lead", "county-partner"] {
            let answer: Value = test::call_and_read_body_json(&service, login(who)).await;
            tokens.push(answer);
        }
        let token = |i: usize| tokens[i]["access_token"].as_str().unwrap().to_owned();
        let (admin, chief, lead, partner) = (token(0), token(1), token(2), token(3));
        let me: Value = call!(lead, TestRequest::get().uri("/api/v1/me"), 200);
        let partner_me: Value = call!(partner, TestRequest::get().uri("/api/v1/me"), 200);
        let officers = [me["id"].clone(), partner_me["id"].clone()];

        let mut enterprises = Vec::new();
        for n in 0..plan.enterprises {
            let body = json!({
                "credit_code": credit_code(n), "name": format!("赣县第{n}号企业有限公司"),
                "sector": SECTORS[n % SECTORS.len()], "region_code": TOWNSHIPS[n % TOWNSHIPS.len()],
                "address": format!("工业园区{n}号"), "latitude": 25.86, "longitude": 115.0,
                "risk_level": "yellow", "contact_name": "安全员", "contact_phone": "0797-1234567",
            });
            let created = call!(admin, TestRequest::post().uri("/api/v1/enterprises").set_json(body), 201);
            enterprises.push(created["id"].as_str().unwrap().to_owned());
        }
        let plant = |i: usize| enterprises[i % enterprises.len()].clone();

        for i in 0..plan.inspections {
            let body = json!({
                "id": uuid::Uuid::new_v4(), "enterprise_id": plant(i), "kind": "routine",
                "officer_ids": officers, "started_at": Utc::now() - Duration::hours(1),
                "summary": "例行检查",
            });
            let created = call!(lead, TestRequest::post().uri("/api/v1/inspections").set_json(body), 201);
            let submit = format!("/api/v1/inspections/{}/submit", created["id"].as_str().unwrap());
            call!(lead, TestRequest::post().uri(&submit).set_json(json!({})), 200);
        }

        let photo = {
            let image = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([90, x as u8, y as u8]));
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
                .encode_image(&image)
                .expect("a JPEG");
            let boundary = "county-year-boundary";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nrectification\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"proof.jpg\"\r\n\
                 Content-Type: image/jpeg\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&jpeg);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let request = TestRequest::post()
                .uri("/api/v1/photos")
                .insert_header(("content-type", format!("multipart/form-data; boundary={boundary}")))
                .set_payload(body);
            call!(lead, request, 201)["id"].clone()
        };
        for i in 0..plan.hazards {
            let body = json!({
                "id": uuid::Uuid::new_v4(), "enterprise_id": plant(i * 7),
                "level": if i < plan.major { "major" } else { "general" },
                "description": "成品仓库消防通道堵塞", "location": "3号成品库",
                "deadline": Utc::now() + Duration::days(7), "responsible_person": "王仓管",
                "measures": "清理通道杂物，设置禁止占用标识",
            });
            let hazard = call!(lead, TestRequest::post().uri("/api/v1/hazards").set_json(body), 201);
            let path = format!("/api/v1/hazards/{}/transitions", hazard["id"].as_str().unwrap());
            let act = |body: Value| TestRequest::post().uri(&path).set_json(body);
            // The major ones come first, so all 9 are rectified.
            if i < plan.rectified {
                let proof = json!({"action": "submit_rectification", "note": "整改完毕", "photo_ids": [photo]});
                call!(lead, act(proof), 200);
                call!(partner, act(json!({"action": "verify_pass", "note": "复查合格"})), 200);
            }
            if i < plan.closed {
                call!(chief, act(json!({"action": "approve_closure"})), 200);
            }
        }

        let mut number = 0;
        let mut document = |kind: &str, enterprise: String| {
            number += 1;
            json!({
                "id": uuid::Uuid::new_v4(), "kind": kind, "issuing_body": "赣县区应急管理局",
                "document_no": format!("赣县应急〔2021〕{number}号"), "enterprise_id": enterprise,
            })
        };
        for order in 0..plan.suspension_orders {
            let body = document("suspension", plant(order % plan.suspended_enterprises));
            call!(lead, TestRequest::post().uri("/api/v1/enforcement-actions").set_json(body), 201);
        }
        for closed in 0..plan.shutdowns {
            let body = document("shutdown", plant(plan.enterprises - 1 - closed));
            call!(lead, TestRequest::post().uri("/api/v1/enforcement-actions").set_json(body), 201);
        }
        let each = plan.fines_fen / plan.penalties as i64;
        for p in 0..plan.penalties {
            let mut body = document("penalty_decision", plant(p * 3));
            let last = p + 1 == plan.penalties;
            body["fine_fen"] = json!(if last { plan.fines_fen - each * (plan.penalties as i64 - 1) } else { each });
            body["notified_at"] = json!(Utc::now() - Duration::days(10));
            if p % 10 == 0 {
                body["hearing_requested"] = json!(true);
                body["hearing_held_at"] = json!(Utc::now() - Duration::days(3));
            } else {
                body["hearing_requested"] = json!(false);
            }
            call!(lead, TestRequest::post().uri("/api/v1/enforcement-actions").set_json(body), 201);
        }
        let stats = call!(chief, TestRequest::get().uri("/api/v1/stats"), 200);
        let made = started.elapsed().as_secs_f64();
        eprintln!("county_year: {requests} requests in {made:.0} s ({:.1} ms each)", made * 1000.0 / requests as f64);

        let rate = |n: usize, d: usize| format!("{:.1}%", n as f64 * 100.0 / d as f64);
        let answered_rate = |field: &str| format!("{:.1}%", stats[field].as_f64().unwrap_or(0.0) * 100.0);
        let rows: [(&str, String, String); 9] = [
            ("检查单位 (家次) inspections", plan.inspections.to_string(), stats["inspections"].to_string()),
            ("排查隐患 hazards_found", plan.hazards.to_string(), stats["hazards_found"].to_string()),
            ("整治到位 hazards_rectified", plan.rectified.to_string(), stats["hazards_rectified"].to_string()),
            ("整改率 rectification_rate", rate(plan.rectified, plan.hazards), answered_rate("rectification_rate")),
            ("重大隐患 major_hazards_found", plan.major.to_string(), stats["major_hazards_found"].to_string()),
            ("重大隐患整治到位 major_hazards_rectified", plan.major.to_string(), stats["major_hazards_rectified"].to_string()),
            ("责令停产整顿 (家) suspension", plan.suspended_enterprises.to_string(), stats["suspension"].to_string()),
            ("关闭取缔 (家) shutdown", plan.shutdowns.to_string(), stats["shutdown"].to_string()),
            ("经济处罚 (万元) fines", format!("{:.2}", plan.fines_fen as f64 / 1_000_000.0), format!("{:.2}", stats["fines_total_fen"].as_i64().unwrap_or(0) as f64 / 1_000_000.0)),
        ];
        println!("| figure | the year made | GET /api/v1/stats |");
        println!("|---|---|---|");
        for (figure, expected, answered) in &rows {
            println!("| {figure} | {expected} | {answered} |");
        }
        for (figure, expected, answered) in rows {
            assert_eq!(expected, answered, "{figure}");
        }
        let mut conn = recount_pool.get().expect("a connection");
        assert_eq!(safeloop::stats::tally::differences(&mut conn).expect("recount"), 0, "the tallies agree with a recount");
        println!("\nThe running tallies agree with a recount of the rows.");
    });
}
