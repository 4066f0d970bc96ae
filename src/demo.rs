//! `safeloop demo`: fills an empty database with a small county to try the product on. Users
//! of every role with one known password, three enterprises in 赣县区, a checklist, a submitted
//! inspection, and hazards at every status of the loop with their photos, an extension request
//! and a listed major hazard.
//!
//! Everything after the accounts goes through the real API in process, so the demo obeys the
//! same rules as any client and shows what a client sends. Refused in production.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use crate::auth::{Role, password};
use crate::config::{Config, Environment};
use crate::db::schema::enterprises;
use crate::registry::credit_code;
use crate::registry::user::{self, NewUser};
use crate::{AppState, app, server};

/// The password of every demo account.
pub const PASSWORD: &str = "safeloop-demo";

/// A demo account: its username, role and what it is for.
pub struct Account {
    pub username: &'static str,
    pub role: Role,
    pub what: &'static str,
}

pub const ACCOUNTS: [Account; 5] = [
    Account {
        username: "demo-admin",
        role: Role::Admin,
        what: "users, enterprises, checklists",
    },
    Account {
        username: "demo-supervisor",
        role: Role::Supervisor,
        what: "赣县区应急管理局: closures, extensions, listing, figures",
    },
    Account {
        username: "demo-inspector",
        role: Role::Inspector,
        what: "赣县区执法大队: inspections, hazards, re-checks",
    },
    Account {
        username: "demo-partner",
        role: Role::Inspector,
        what: "the second officer of each inspection",
    },
    Account {
        username: "demo-enterprise",
        role: Role::Enterprise,
        what: "安全员 of 赣县王母渡烟花爆竹有限公司: rectification, extensions",
    },
];

/// Fills the database named by `config`; refuses in production and when it holds enterprises.
pub async fn fill(config: Config) -> Result<(), String> {
    if config.environment == Environment::Production {
        return Err("`safeloop demo` fills a database with made-up records; it is refused when SAFELOOP_ENV=production".into());
    }
    let pool = server::prepare_database(&config)?;
    {
        let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
        server::ensure_first_admin(&mut conn, &config)?;
        let existing: i64 = enterprises::table
            .count()
            .get_result(&mut conn)
            .map_err(|e| e.to_string())?;
        if existing > 0 {
            return Err(format!(
                "the database already holds {existing} enterprises; the demo fills only an empty one (point SAFELOOP_DATA_DIR or DATABASE_URL elsewhere)"
            ));
        }
    }
    let state = AppState::new(pool, config).map_err(|e| e.to_string())?;
    let demo = Demo::start(state).await?;
    demo.county().await
}

struct Demo {
    state: AppState,
    call: Box<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse>>,
}

impl Demo {
    async fn start(state: AppState) -> Result<Demo, String> {
        let service = std::rc::Rc::new(test::init_service(app(state.clone())).await);
        let call = Box::new(move |request: actix_http::Request| {
            let service = service.clone();
            Box::pin(async move {
                let response = service.call(request).await.expect("the app answers");
                response.map_into_boxed_body()
            }) as LocalBoxFuture<'static, ServiceResponse>
        });
        Ok(Demo { state, call })
    }

    /// Sends a request as `token`; the JSON answer, or the problem as an error.
    async fn send(&self, token: Option<&str>, request: TestRequest) -> Result<Value, String> {
        let request = match token {
            Some(token) => request.insert_header(("authorization", format!("Bearer {token}"))),
            None => request,
        };
        let response = (self.call)(request.to_request()).await;
        let status = response.status();
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("{status}: {value}"))
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Result<Value, String> {
        self.send(Some(token), TestRequest::post().uri(path).set_json(body))
            .await
            .map_err(|e| format!("POST {path}: {e}"))
    }

    async fn login(&self, username: &str) -> Result<String, String> {
        let tokens = self
            .send(
                None,
                TestRequest::post()
                    .uri("/api/v1/auth/login")
                    .set_json(json!({"username": username, "password": PASSWORD})),
            )
            .await?;
        Ok(tokens["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Uploads a made-up photo of `purpose`; its id.
    async fn photo(&self, token: &str, purpose: &str, shade: u8) -> Result<String, String> {
        let image = image::RgbImage::from_fn(800, 600, |x, y| {
            image::Rgb([shade, (x / 4) as u8, (y / 3) as u8])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&image)
            .map_err(|e| e.to_string())?;
        let boundary = "safeloop-demo-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&jpeg);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = TestRequest::post()
            .uri("/api/v1/photos")
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .set_payload(body);
        let photo = self
            .send(Some(token), request)
            .await
            .map_err(|e| format!("photo: {e}"))?;
        Ok(photo["id"].as_str().unwrap_or_default().to_owned())
    }

    fn account(&self, account: &Account, enterprise_id: Option<String>) -> Result<(), String> {
        let mut user = NewUser::admin(account.username, password::hash(PASSWORD));
        user.role = account.role.as_str().to_owned();
        user.display_name = match account.username {
            "demo-admin" => "系统管理员",
            "demo-supervisor" => "刘监管",
            "demo-inspector" => "陈检查",
            "demo-partner" => "黄执法",
            _ => "王安全",
        }
        .to_owned();
        if matches!(account.role, Role::Inspector | Role::Supervisor) {
            user.region_prefix = Some("360704".into());
        }
        if account.role == Role::Inspector {
            user.certificate_no = Some(format!("赣执-{}", &account.username[5..]));
        }
        user.enterprise_id = enterprise_id;
        let mut conn = self.state.pool.get().map_err(|e| e.to_string())?;
        user::insert(&mut conn, &user).map_err(|e| format!("{}: {e}", account.username))?;
        Ok(())
    }

    async fn county(&self) -> Result<(), String> {
        for account in ACCOUNTS.iter().filter(|a| a.role != Role::Enterprise) {
            self.account(account, None)?;
        }
        let admin = self.login("demo-admin").await?;
        let supervisor = self.login("demo-supervisor").await?;
        let inspector = self.login("demo-inspector").await?;

        let mut plants = Vec::new();
        for (name, sector, region, (lat, lon)) in [
            (
                "赣县王母渡烟花爆竹有限公司",
                "fireworks",
                "360704101",
                (25.74, 115.12),
            ),
            (
                "赣州韩坊石灰石矿",
                "non_coal_mines",
                "360704102",
                (25.61, 115.31),
            ),
            (
                "赣县梅林化工有限公司",
                "hazardous_chemicals",
                "360704100",
                (25.86, 115.00),
            ),
        ] {
            let body = json!({
                "credit_code": demo_credit_code(plants.len()), "name": name, "sector": sector,
                "region_code": region, "address": format!("{name}厂区"), "latitude": lat, "longitude": lon,
                "risk_level": "orange", "contact_name": "王安全", "contact_phone": "0797-4412345",
                "above_scale": true,
            });
            let plant = self.post(&supervisor, "/api/v1/enterprises", body).await?;
            plants.push(plant["id"].as_str().unwrap_or_default().to_owned());
        }
        self.account(&ACCOUNTS[4], Some(plants[0].clone()))?;
        let enterprise = self.login("demo-enterprise").await?;
        let partner_id = self.user_id("demo-partner")?;
        let inspector_id = self.user_id("demo-inspector")?;

        let checklist = self
            .post(&admin, "/api/v1/checklists", json!({
                "sector": "fireworks", "name": "烟花爆竹生产企业安全检查表",
                "items": [
                    {"code": "YH-01", "text": "防火防爆安全警示标志齐全", "legal_basis": "《烟花爆竹安全管理条例》第十条", "major": false},
                    {"code": "YH-02", "text": "药物总库未超量储存", "legal_basis": "《烟花爆竹生产经营单位重大生产安全事故隐患判定标准》第三条", "major": true},
                    {"code": "YH-03", "text": "消防通道畅通", "legal_basis": "《中华人民共和国消防法》第二十八条", "major": false},
                ],
            }))
            .await?;
        let inspection_id = uuid::Uuid::now_v7().to_string();
        self.post(&inspector, "/api/v1/inspections", json!({
            "id": inspection_id, "enterprise_id": plants[0], "kind": "routine",
            "officer_ids": [inspector_id, partner_id], "started_at": Utc::now() - Duration::hours(3),
            "finished_at": Utc::now() - Duration::hours(1), "checklist_id": checklist["id"],
            "latitude": 25.74, "longitude": 115.12,
            "results": [
                {"item_code": "YH-01", "outcome": "pass"},
                {"item_code": "YH-02", "outcome": "fail", "note": "药物总库存量超出核定量"},
                {"item_code": "YH-03", "outcome": "fail", "note": "成品库通道堆放纸箱"},
            ],
            "summary": "日常检查，发现隐患六处，当场下达整改通知。",
        }))
        .await?;
        self.post(
            &inspector,
            &format!("/api/v1/inspections/{inspection_id}/submit"),
            json!({}),
        )
        .await?;

        let findings = [
            ("成品仓库消防通道堆放纸箱", "general", 7),
            ("配电箱未可靠接地", "general", 10),
            ("防静电门帘破损", "general", 5),
            ("灭火器压力不足三具", "general", 3),
            ("警示标志重复登记", "general", 7),
            ("药物总库存量超出核定量", "major", 30),
        ];
        let mut hazards = Vec::new();
        for (i, (description, level, days)) in findings.iter().enumerate() {
            let photo = self.photo(&inspector, "hazard", 40 * i as u8).await?;
            let hazard = self
                .post(&inspector, "/api/v1/hazards", json!({
                    "id": uuid::Uuid::now_v7(), "inspection_id": inspection_id, "enterprise_id": plants[0],
                    "level": level, "description": description, "location": "一号生产区",
                    "deadline": Utc::now() + Duration::days(*days), "responsible_person": "王安全",
                    "measures": "立即整改并上传整改照片", "photo_ids": [photo],
                    "checklist_item_code": if *level == "major" { Some("YH-02") } else { None },
                }))
                .await?;
            hazards.push(hazard["id"].as_str().unwrap_or_default().to_owned());
        }
        let transition = |id: &str| format!("/api/v1/hazards/{id}/transitions");
        // Proof for three, a passed re-check for two, a closure for one.
        for id in &hazards[1..4] {
            let proof = self.photo(&enterprise, "rectification", 200).await?;
            self.post(&enterprise, &transition(id), json!({"action": "submit_rectification", "note": "已整改完毕", "photo_ids": [proof]})).await?;
        }
        let partner = self.login("demo-partner").await?;
        for id in &hazards[2..4] {
            self.post(
                &partner,
                &transition(id),
                json!({"action": "verify_pass", "note": "复查合格"}),
            )
            .await?;
        }
        self.post(
            &supervisor,
            &transition(&hazards[3]),
            json!({"action": "approve_closure"}),
        )
        .await?;
        self.post(
            &supervisor,
            &transition(&hazards[4]),
            json!({"action": "cancel", "note": "与YH-01重复登记"}),
        )
        .await?;
        self.post(
            &supervisor,
            &format!("/api/v1/hazards/{}/listing", hazards[5]),
            json!({"level": "county", "note": "重大隐患，县级挂牌督办"}),
        )
        .await?;
        self.post(&enterprise, &format!("/api/v1/hazards/{}/extensions", hazards[0]), json!({
            "requested_deadline": Utc::now() + Duration::days(21), "reason": "需采购新货架，订货周期两周",
        }))
        .await?;
        Ok(())
    }

    fn user_id(&self, username: &str) -> Result<String, String> {
        let mut conn = self.state.pool.get().map_err(|e| e.to_string())?;
        user::find_by_username(&mut conn, username)
            .map_err(|e| e.to_string())?
            .map(|u| u.id)
            .ok_or_else(|| format!("{username} is missing"))
    }
}

/// A valid unified social credit code for the `n`th demo enterprise, registered in 赣县区.
fn demo_credit_code(n: usize) -> String {
    let body = format!("91360704MA3{:05}X", 10_000 + n);
    let check = credit_code::check_character(&body).expect("demo codes use the code's alphabet");
    format!("{body}{check}")
}
