//! The platform: probes, metrics, error shapes, documentation, migrations, start-up.

use actix_web::http::Method;
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use secrecy::SecretString;
use serde_json::json;

use crate::backend_test;
use crate::harness::{Backend, TestDatabase};
use safeloop::config::Config;
use safeloop::db::{self, DbConnection, migrations};
use safeloop::{openapi, server};

backend_test!(async fn probes_answer_and_carry_request_ids(app) {
    let alive = app.get("/healthz").await;
    assert_eq!(alive.status, 200);
    assert_eq!(alive.json(), json!({"status": "ok"}));
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json(), json!({"status": "ready"}));
    let (a, b) = (alive.header("x-request-id").unwrap(), ready.header("x-request-id").unwrap());
    assert!(uuid::Uuid::parse_str(a).is_ok(), "{a}");
    assert_ne!(a, b);
});

backend_test!(async fn metrics_count_requests_by_route_pattern(app) {
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no/such/thing").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    assert!(
        text.contains(r#"safeloop_http_requests_total{method="GET",route="/healthz",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains("safeloop_http_request_duration_seconds_bucket"), "{text}");
    assert!(!text.contains("/no/such/thing"), "raw paths must not become labels: {text}");
});

backend_test!(async fn unknown_routes_and_wrong_methods_are_problems(app) {
    app.get("/api/v1/nothing-here").await.problem(404, "route_not_found");
    let wrong = app.request(Method::DELETE, "/api/v1/users").await;
    wrong.problem(405, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    let wrong = app.request(Method::DELETE, "/readyz").await;
    wrong.problem(405, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("GET"));
});

/// PostgreSQL only: a SQLite file cannot be taken away from an open connection.
#[actix_web::test]
async fn a_dropped_database_makes_readyz_answer_503() {
    let app = crate::harness::TestApp::new(Backend::Postgres).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let mut admin = <diesel::PgConnection as diesel::Connection>::establish(
        &crate::harness::postgres_admin_url(),
    )
    .unwrap();
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .unwrap();
    let body = app.get("/readyz").await.problem(503, "service_unavailable");
    assert!(
        body["detail"].as_str().unwrap().contains("database"),
        "{body}"
    );
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "liveness does not depend on the database"
    );
}

backend_test!(async fn documentation_is_served(app) {
    let document = app.get("/api/v1/openapi.json").await;
    assert_eq!(document.status, 200);
    let document = document.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert!(document["paths"]["/readyz"]["get"].is_object());
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("swagger-ui"));
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.header("location"), Some("/docs/"));
});

#[test]
fn committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(openapi::COMMITTED_PATH).unwrap_or_default();
    let generated = openapi::document_json();
    assert!(
        committed == generated,
        "{} is stale. Regenerate it with:\n    cargo run -- openapi > {}",
        openapi::COMMITTED_PATH,
        openapi::COMMITTED_PATH
    );
}

/// What OpenAPI 3.1 requires and code generators stumble on: a `$ref` to a component the
/// document does not define, and a response without its required `description`.
#[test]
fn the_openapi_document_is_whole() {
    fn resolve<'a>(document: &'a serde_json::Value, target: &str) -> Option<&'a serde_json::Value> {
        target
            .strip_prefix("#/")?
            .split('/')
            .try_fold(document, |value, key| value.get(key))
    }
    fn walk(
        value: &serde_json::Value,
        at: &str,
        found: &mut Vec<String>,
        document: &serde_json::Value,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(|r| r.as_str())
                    && resolve(document, target).is_none()
                {
                    found.push(format!("{at}: $ref {target} is not defined"));
                }
                for (key, inner) in map {
                    walk(inner, &format!("{at}/{key}"), found, document);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    walk(inner, &format!("{at}/{i}"), found, document);
                }
            }
            _ => {}
        }
    }
    let document: serde_json::Value = serde_json::from_str(&openapi::document_json()).unwrap();
    let mut found = Vec::new();
    walk(&document, "", &mut found, &document);
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let response = match response["$ref"].as_str() {
                    Some(target) => resolve(&document, target).unwrap_or(response),
                    None => response,
                };
                if response["description"].as_str().is_none_or(str::is_empty) {
                    found.push(format!("{method} {path} {status}: no description"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

backend_test!(async fn pooled_connections_are_set_up_for_their_backend(app) {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn = app.db();
    let settings: &[(&str, &str)] = match conn.backend() {
        // Named columns: SQLite's PRAGMA answers under the pragma's own name.
        db::Backend::Sqlite => &[
            ("SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys", "1"),
            ("SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout", "10000"),
            ("SELECT journal_mode AS value FROM pragma_journal_mode", "wal"),
        ],
        // A generic plan of a kept statement ignores a region prefix's value (see db::pool).
        db::Backend::Postgres => &[(
            "SELECT setting AS value FROM pg_settings WHERE name = 'plan_cache_mode'",
            "force_custom_plan",
        )],
    };
    for (query, expected) in settings {
        let got = diesel::sql_query(*query).get_result::<Setting>(&mut conn).unwrap();
        assert_eq!(got.value, *expected, "{query}");
    }
});

fn table_count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let query = match conn.backend() {
        db::Backend::Sqlite => format!(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
        ),
        db::Backend::Postgres => format!(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name = '{table}'"
        ),
    };
    diesel::sql_query(query)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

fn migrations_go_up_down_up(backend: Backend) {
    let database = TestDatabase::create(backend);
    let pool = db::connect(&database.url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = migrations::run_pending(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert_eq!(table_count(&mut conn, "users"), 1);
    let reverted = migrations::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    assert_eq!(table_count(&mut conn, "users"), 0);
    assert_eq!(migrations::run_pending(&mut conn).unwrap(), applied);
    assert_eq!(table_count(&mut conn, "users"), 1);
    assert!(
        migrations::run_pending(&mut conn).unwrap().is_empty(),
        "nothing left to apply"
    );
}

#[test]
fn migrations_go_up_down_up_on_sqlite() {
    migrations_go_up_down_up(Backend::Sqlite);
}

#[test]
fn migrations_go_up_down_up_on_postgres() {
    migrations_go_up_down_up(Backend::Postgres);
}

fn first_admin_is_created_once(backend: Backend) {
    let database = TestDatabase::create(backend);
    let mut config = Config::for_database(&database.url, database.data_dir());
    let pool = server::prepare_database(&config).unwrap();
    let mut conn = pool.get().unwrap();

    config.admin_password = Some(SecretString::from("admin"));
    let err = server::ensure_first_admin(&mut conn, &config).unwrap_err();
    assert!(err.contains("SAFELOOP_ADMIN_PASSWORD"), "{err}");

    config.admin_password = Some(SecretString::from("a sturdy first password"));
    server::ensure_first_admin(&mut conn, &config).unwrap();
    server::ensure_first_admin(&mut conn, &config).unwrap();
    let admin = safeloop::registry::user::find_by_username(&mut conn, "admin")
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, "admin");
    assert!(safeloop::auth::password::verify(
        "a sturdy first password",
        &admin.password_hash
    ));
    assert_eq!(table_rows(&mut conn), 1);

    // Without a password, a random one is made (and printed once).
    let other = TestDatabase::create(backend);
    let config = Config::for_database(&other.url, other.data_dir());
    let pool = server::prepare_database(&config).unwrap();
    let mut conn = pool.get().unwrap();
    server::ensure_first_admin(&mut conn, &config).unwrap();
    let admin = safeloop::registry::user::find_by_username(&mut conn, "admin")
        .unwrap()
        .unwrap();
    assert!(admin.password_hash.starts_with("$argon2id$"));
}

fn table_rows(conn: &mut DbConnection) -> i64 {
    use diesel::{ExpressionMethods, QueryDsl};
    use safeloop::db::schema::users;
    users::table
        .filter(users::id.ne(safeloop::registry::user::SYSTEM_USER))
        .count()
        .get_result(conn)
        .unwrap()
}

#[test]
fn first_admin_is_created_once_on_sqlite() {
    first_admin_is_created_once(Backend::Sqlite);
}

#[test]
fn first_admin_is_created_once_on_postgres() {
    first_admin_is_created_once(Backend::Postgres);
}

#[test]
fn unreachable_databases_stop_start_up_with_one_masked_line() {
    let err = db::connect("mysql://root:hunter2@db/safeloop", 1).unwrap_err();
    assert!(
        err.contains("mysql://") && !err.contains("hunter2"),
        "{err}"
    );
    let err = db::connect("postgres://app:hunter2@127.0.0.1:1/safeloop", 1).unwrap_err();
    assert!(
        err.contains("postgres://app:***@127.0.0.1:1/safeloop"),
        "{err}"
    );
    assert!(!err.contains("hunter2") && !err.contains('\n'), "{err}");
}

#[test]
fn the_binary_refuses_a_bad_database_url() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root:hunter2@db/safeloop")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unsupported database scheme") && !stderr.contains("hunter2"),
        "{stderr}"
    );
}

#[test]
fn the_binary_refuses_production_with_the_default_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
        .arg("migrate")
        .env("SAFELOOP_ENV", "production")
        .env("SAFELOOP_DATA_DIR", dir.path())
        .env_remove("SAFELOOP_TOKEN_SECRET")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("SAFELOOP_TOKEN_SECRET"));
}

/// `safeloop demo` fills an empty database through the API: every role can sign in with the
/// printed password, and the hazards stand at every status of the loop. It refuses a database
/// that holds enterprises, and production.
#[test]
fn the_demo_county_fills_an_empty_database_once() {
    use diesel::prelude::*;
    use safeloop::db::schema::hazards;
    let dir = tempfile::tempdir().unwrap();
    let demo = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
            .arg("demo")
            .env("SAFELOOP_DATA_DIR", dir.path())
            .env_remove("DATABASE_URL")
            .env("SAFELOOP_ADMIN_PASSWORD", "first admin passphrase")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = demo();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for account in &safeloop::demo::ACCOUNTS {
        assert!(stdout.contains(account.username), "{stdout}");
    }
    assert!(stdout.contains(safeloop::demo::PASSWORD));
    let url = format!("sqlite://{}", dir.path().join("safeloop.db").display());
    let pool = safeloop::db::connect(&url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let mut statuses: Vec<String> = hazards::table
        .select(hazards::status)
        .load(&mut conn)
        .unwrap();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "cancelled",
            "closed",
            "open",
            "open",
            "submitted",
            "verified"
        ]
    );
    drop(conn);

    let again = demo();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("only an empty one"));
    let production = std::process::Command::new(env!("CARGO_BIN_EXE_safeloop"))
        .arg("demo")
        .env("SAFELOOP_ENV", "production")
        .env(
            "SAFELOOP_TOKEN_SECRET",
            "a production secret of at least thirty-two bytes",
        )
        .env("SAFELOOP_DATA_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!production.status.success());
    assert!(
        String::from_utf8_lossy(&production.stderr)
            .contains("refused when SAFELOOP_ENV=production")
    );
}
