//! The test harness: the real app, in-process, on a fresh database per test.
//!
//! SQLite databases live in a temporary directory. PostgreSQL databases are created on the
//! server named by `TEST_POSTGRES_URL` (the README's test command starts a throwaway cluster
//! and sets it) and dropped when the test ends.

use std::rc::Rc;

use actix_http::Request;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use safeloop::auth::{Role, password};
use safeloop::config::Config;
use safeloop::registry::enterprise::EnterpriseRow;
use safeloop::registry::user::{NewUser, UserRow};
use safeloop::{AppState, app, server};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once on SQLite and once on PostgreSQL, as two tests.
#[macro_export]
macro_rules! backend_test {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::harness::TestApp::new($crate::harness::Backend::Sqlite).await;
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                let $app = $crate::harness::TestApp::new($crate::harness::Backend::Postgres).await;
                $body
            }
        }
    };
}

/// A database made for one test, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => TestDatabase {
                backend,
                url: format!("sqlite://{}", dir.path().join("safeloop.db").display()),
                postgres: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("safeloop_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach TEST_POSTGRES_URL {admin_url}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create the test database");
                TestDatabase {
                    backend,
                    url: replace_database(&admin_url, &name),
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// The PostgreSQL server to make test databases on. Never skipped: without it the test fails
/// and says how to get one.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_POSTGRES_URL is not set. Run the suite with `scripts/test`, which starts a \
             throwaway PostgreSQL cluster, or point TEST_POSTGRES_URL at a server where this \
             user may CREATE DATABASE (e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        )
    })
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{root}/{name}{query}")
}

type CallFn = dyn Fn(Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>;

/// The running app for one test.
pub struct TestApp {
    call: Rc<CallFn>,
    pub state: AppState,
    pub backend: Backend,
    pub database_url: String,
    data_dir: std::path::PathBuf,
    /// Dropped last: the database outlives the app's pool.
    _database: Option<TestDatabase>,
}

/// A seeded user with a fresh session.
#[derive(Clone)]
pub struct SignedIn {
    pub id: String,
    pub username: String,
    pub access: String,
    pub refresh: String,
}

/// The password every seeded user has.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json body with the given status and code, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        let body = self.json();
        assert_eq!(self.status.as_u16(), status, "status; body: {body}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{body}"
        );
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status, "{body}");
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        assert_eq!(
            body["request_id"].as_str(),
            self.header("x-request-id"),
            "{body}"
        );
        body
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        let database = TestDatabase::create(backend);
        let mut config = Config::for_database(&database.url, database.data_dir());
        config.database_pool_size = 4;
        Self::with_config(database, config).await
    }

    pub async fn with_config(database: TestDatabase, config: Config) -> Self {
        let pool = server::prepare_database(&config).expect("test database ready");
        let state = AppState::new(pool, config).expect("valid test configuration");
        let backend = database.backend;
        Self::from_state(state, Some(database), backend).await
    }

    async fn from_state(state: AppState, database: Option<TestDatabase>, backend: Backend) -> Self {
        let database_url = state.config.database_url.clone();
        let data_dir = state.config.data_dir.clone();
        let service = Rc::new(test::init_service(app(state.clone())).await);
        let call: Rc<CallFn> = Rc::new(move |request: Request| {
            let service = service.clone();
            Box::pin(async move {
                let response = service.call(request).await.expect("the app answers");
                response.map_into_boxed_body()
            })
        });
        TestApp {
            call,
            state,
            backend,
            database_url,
            data_dir,
            _database: database,
        }
    }

    pub async fn send(&self, request: TestRequest) -> TestResponse {
        let response = (self.call)(request.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await;
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(TestRequest::get().uri(path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> TestResponse {
        self.send(TestRequest::post().uri(path).set_json(body))
            .await
    }

    /// Sends `request` with `Authorization: Bearer token`.
    pub async fn send_as(&self, token: &str, request: TestRequest) -> TestResponse {
        self.send(request.insert_header(("authorization", format!("Bearer {token}"))))
            .await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> TestResponse {
        self.send_as(token, TestRequest::get().uri(path)).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> TestResponse {
        self.send_as(token, TestRequest::post().uri(path).set_json(body))
            .await
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> TestResponse {
        self.send_as(token, TestRequest::patch().uri(path).set_json(body))
            .await
    }

    /// Puts a user straight into the database (the API needs an admin to make one). Inspectors
    /// cover 赣县区 (360704), supervisors 赣州市 (3607); an enterprise user gets an enterprise of
    /// its own in 梅林镇.
    pub fn seed_user(&self, role: Role, username: &str, password: &str) -> UserRow {
        self.seed_user_with(role, username, password, |_| {})
    }

    /// `seed_user`, with the row adjusted by `adjust` before it is stored.
    pub fn seed_user_with(
        &self,
        role: Role,
        username: &str,
        password: &str,
        adjust: impl FnOnce(&mut NewUser),
    ) -> UserRow {
        let mut user = NewUser::admin(username, password::hash(password));
        user.role = role.as_str().to_owned();
        user.display_name = format!("{username} ({})", role.as_str());
        match role {
            Role::Inspector => {
                user.region_prefix = Some("360704".into());
                user.certificate_no = Some(format!("JX-{username}"));
            }
            Role::Supervisor => user.region_prefix = Some("3607".into()),
            Role::Enterprise | Role::Admin => {}
        }
        adjust(&mut user);
        if role == Role::Enterprise && user.enterprise_id.is_none() {
            user.enterprise_id = Some(self.seed_enterprise("360704100", "fireworks", username));
        }
        let mut conn = self.db();
        safeloop::registry::user::insert(&mut conn, &user).expect("seed user")
    }

    /// Puts an enterprise straight into the database; returns its id.
    pub fn seed_enterprise(&self, region_code: &str, sector: &str, name: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let now = safeloop::db::now();
        let row = EnterpriseRow {
            id: id.clone(),
            credit_code: unique_credit_code(),
            credit_code_override_reason: None,
            name: format!("{name}有限公司"),
            sector_code: sector.to_owned(),
            region_code: region_code.to_owned(),
            address: "工业园区1号".into(),
            latitude: Some(25.86),
            longitude: Some(115.0),
            risk_level: "yellow".into(),
            contact_name: "安全员".into(),
            contact_phone: "0797-1234567".into(),
            above_scale: true,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        safeloop::registry::enterprise::insert(&mut self.db(), &row).expect("seed enterprise");
        id
    }

    /// Signs in and returns the token response.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(
            response.status,
            200,
            "login {username}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    /// A new user of `role`, signed in.
    pub async fn signed_in(&self, role: Role) -> SignedIn {
        self.signed_in_with(role, |_| {}).await
    }

    /// A new user of `role`, adjusted by `adjust`, signed in.
    pub async fn signed_in_with(&self, role: Role, adjust: impl FnOnce(&mut NewUser)) -> SignedIn {
        let username = format!(
            "{}-{}",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let user = self.seed_user_with(role, &username, PASSWORD, adjust);
        let tokens = self.login(&username, PASSWORD).await;
        SignedIn {
            id: user.id,
            username,
            access: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Another API process on the same database, as behind a load balancer.
    pub async fn second_process(&self) -> TestApp {
        let mut config = Config::for_database(&self.database_url, self.data_dir.clone());
        config.database_pool_size = 2;
        config.s3 = self.state.config.s3.clone();
        let pool = server::prepare_database(&config).expect("database ready");
        TestApp::from_state(AppState::new(pool, config).unwrap(), None, self.backend).await
    }

    /// The directory of the test's SQLite file and local photos.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.data_dir.clone()
    }

    /// A pooled connection for checks made behind the API's back.
    pub fn db(&self) -> safeloop::db::DbPooledConnection {
        self.state.pool.get().expect("a test connection")
    }

    pub async fn request(&self, method: Method, path: &str) -> TestResponse {
        self.send(TestRequest::default().method(method).uri(path))
            .await
    }
}

/// A valid credit code nobody else in the test has: random body, computed check character.
pub fn unique_credit_code() -> String {
    use safeloop::registry::credit_code::{ALPHABET, check_character};
    let alphabet: Vec<char> = ALPHABET.chars().collect();
    let random = uuid::Uuid::new_v4();
    let body: String = std::iter::once('9')
        .chain(std::iter::once('1'))
        .chain("360704".chars())
        .chain(
            random
                .as_bytes()
                .iter()
                .take(9)
                .map(|b| alphabet[*b as usize % 31]),
        )
        .collect();
    let check = check_character(&body).unwrap();
    format!("{body}{check}")
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        replace_database("postgres://postgres@127.0.0.1:5433/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5433/t1"
    );
    assert_eq!(
        replace_database("postgres://u:p@h/postgres?sslmode=disable", "t1"),
        "postgres://u:p@h/t1?sslmode=disable"
    );
    assert_eq!(replace_database("postgres://h", "t1"), "postgres://h/t1");
}
