//! Bureau-scale timings: the statistics and the hazard list over a province's data
//! (1,000,000 hazards, 2,000,000 events, 300,000 inspections by default), each answered through
//! the real app in-process and compared with hand-written SQL for the same answer on the same
//! database.
//!
//! `scripts/bench-scale` runs it on a throwaway PostgreSQL cluster (`BENCH_DATABASE_URL`,
//! `BENCH_HAZARDS`). Under `cargo test` it runs once on a small SQLite database, so neither the
//! generator nor the measurements can rot.

#[path = "bureau/generate.rs"]
mod generate;

use std::time::{Duration, Instant};

use actix_web::test::{self, TestRequest};
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};

use safeloop::config::Config;
use safeloop::db::DbConnection;
use safeloop::{AppState, app, server};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Runs `sql` and returns how many rows it gave.
fn rows_of(conn: &mut DbConnection, sql: &str) -> i64 {
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM ({sql}) AS answer"))
        .load::<Count>(conn)
        .unwrap_or_else(|e| panic!("{e}: {sql}"))[0]
        .n
}

fn median_and_p90(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p90 = times[((times.len() * 9).div_ceil(10)).saturating_sub(1)];
    (ms(times[times.len() / 2]), ms(p90))
}

struct Case {
    name: &'static str,
    token: String,
    path: String,
    /// The same answer in hand-written SQL: one or more statements, timed together.
    sql: Vec<String>,
}

const PERIOD: (&str, &str) = ("2025-01-01", "2026-01-01");
/// The year as stored UTC bounds (midnight in China Standard Time).
const PERIOD_SQL: (&str, &str) = ("2024-12-31 16:00:00", "2025-12-31 16:00:00");
const PERIOD_MONTHS: (&str, &str) = ("2025-01", "2026-01");
const PERIOD_YEAR: i32 = 2025;

/// The year's figures counted from the rows, as before the tallies (and as a township's still
/// are), the enforcement documents beside them.
fn rows_sql(key: &str, scope: &str) -> Vec<String> {
    rows_sql_between(key, scope, PERIOD_SQL)
}

/// A half year that starts and ends inside months (14 March to 14 September, China Standard
/// Time), which the monthly tallies cannot answer alone.
const HALF_YEAR: (&str, &str) = ("2025-03-15", "2025-09-15");
const HALF_YEAR_SQL: (&str, &str) = ("2025-03-14 16:00:00", "2025-09-14 16:00:00");

/// A township the generator fills, and its supervisor's scope in SQL.
const TOWNSHIP: &str = "360303101";
const TOWNSHIP_SCOPE: &str = "AND region_code >= '360303101' AND region_code < '360303102'";

/// The year's figures per officer from the rows: hazards by who reported them, inspections by
/// every officer present, and the overdue and enforcement figures beside them.
fn inspector_sql() -> Vec<String> {
    let (from, to) = PERIOD_SQL;
    vec![
        format!(
            "SELECT reported_by AS k, COUNT(*), \
             COUNT(CASE WHEN level = 'major' THEN 1 END), \
             COUNT(CASE WHEN status IN ('verified', 'closed') THEN 1 END), \
             COUNT(CASE WHEN level = 'major' AND status IN ('verified', 'closed') THEN 1 END), \
             COUNT(CASE WHEN status = 'closed' THEN 1 END), \
             COUNT(CASE WHEN status = 'open' AND deadline < CURRENT_TIMESTAMP THEN 1 END) \
             FROM hazards WHERE created_at >= '{from}' AND created_at < '{to}' \
             AND status <> 'cancelled' GROUP BY reported_by"
        ),
        format!(
            "SELECT o.user_id AS k, COUNT(*), COUNT(DISTINCT i.enterprise_id) FROM inspections i \
             JOIN inspection_officers o ON o.inspection_id = i.id \
             WHERE i.status = 'submitted' AND i.kind <> 'self' AND i.submitted_at >= '{from}' \
             AND i.submitted_at < '{to}' GROUP BY o.user_id"
        ),
        format!(
            "SELECT issued_by AS k, kind, COUNT(*), COUNT(DISTINCT enterprise_id), SUM(fine_fen) \
             FROM enforcement_actions WHERE issued_at >= '{from}' AND issued_at < '{to}' \
             GROUP BY issued_by, kind"
        ),
    ]
}

/// The enforcement documents issued in `[from, to)` inside `scope`: per `key` and kind, and
/// per kind in all (an enterprise acted against in two groups counts once in the totals).
fn enforcement_sql(key: &str, scope: &str, (from, to): (&str, &str)) -> [String; 2] {
    let issued = format!(
        "FROM enforcement_actions WHERE issued_at >= '{from}' AND issued_at < '{to}' {scope}"
    );
    [
        format!(
            "SELECT {key} AS k, kind, COUNT(*), COUNT(DISTINCT enterprise_id), SUM(fine_fen) \
             {issued} GROUP BY {key}, kind"
        ),
        format!(
            "SELECT kind, COUNT(*), COUNT(DISTINCT enterprise_id), SUM(fine_fen) {issued} GROUP BY kind"
        ),
    ]
}

fn rows_sql_between(key: &str, scope: &str, (from, to): (&str, &str)) -> Vec<String> {
    vec![
        format!(
            "SELECT {key} AS k, COUNT(*), \
             COUNT(CASE WHEN level = 'major' THEN 1 END), \
             COUNT(CASE WHEN status IN ('verified', 'closed') THEN 1 END), \
             COUNT(CASE WHEN level = 'major' AND status IN ('verified', 'closed') THEN 1 END), \
             COUNT(CASE WHEN status = 'closed' THEN 1 END), \
             COUNT(CASE WHEN status = 'open' AND deadline < CURRENT_TIMESTAMP THEN 1 END) \
             FROM hazards WHERE created_at >= '{from}' AND created_at < '{to}' \
             AND status <> 'cancelled' {scope} GROUP BY {key}"
        ),
        format!(
            "SELECT {key} AS k, COUNT(*), COUNT(DISTINCT enterprise_id) FROM inspections \
             WHERE status = 'submitted' AND kind <> 'self' AND submitted_at >= '{from}' \
             AND submitted_at < '{to}' {scope} GROUP BY {key}"
        ),
        format!(
            "SELECT COUNT(*), COUNT(DISTINCT enterprise_id) FROM inspections \
             WHERE status = 'submitted' AND kind <> 'self' AND submitted_at >= '{from}' \
             AND submitted_at < '{to}' {scope}"
        ),
    ]
    .into_iter()
    .chain(enforcement_sql(key, scope, (from, to)))
    .collect()
}

/// The year's figures by hand over the tallies: the additive figures from `report_tallies`,
/// distinct enterprises from `inspected_enterprises`, overdue from the open hazards, and the
/// enforcement documents (grouped, and in all for the distinct enterprises per kind).
fn stats_sql(key: &str, scope: &str) -> Vec<String> {
    let (from, to) = PERIOD_SQL;
    let (month_from, month_to) = PERIOD_MONTHS;
    let county_key = key.replace("region_code", "county_code");
    let county_scope = scope.replace("region_code", "county_code");
    vec![
        format!(
            "SELECT {county_key} AS k, SUM(inspections), SUM(hazards_found), \
             SUM(major_hazards_found), SUM(hazards_rectified), SUM(major_hazards_rectified), \
             SUM(hazards_closed) FROM report_tallies \
             WHERE month >= '{month_from}' AND month < '{month_to}' {county_scope} \
             GROUP BY {county_key}"
        ),
        format!(
            "SELECT {key} AS k, COUNT(*) FROM hazards WHERE status = 'open' \
             AND deadline < CURRENT_TIMESTAMP AND created_at >= '{from}' AND created_at < '{to}' \
             {scope} GROUP BY {key}"
        ),
        format!(
            "SELECT {key} AS k, COUNT(DISTINCT enterprise_id) FROM inspected_enterprises \
             WHERE year = {PERIOD_YEAR} AND (months & 4095) <> 0 {scope} GROUP BY {key}"
        ),
        format!(
            "SELECT COUNT(DISTINCT enterprise_id) FROM inspected_enterprises \
             WHERE year = {PERIOD_YEAR} AND (months & 4095) <> 0 {scope}"
        ),
    ]
    .into_iter()
    .chain(enforcement_sql(key, scope, (from, to)))
    .collect()
}

/// The year's figures per officer by hand over the officer tallies: the additive figures
/// from `officer_tallies`, distinct enterprises from `officer_inspected_enterprises`, overdue by
/// reporter, the totals' inspections and enterprises from the unit tallies (an inspection by two
/// officers counts once), and the enforcement documents per issuer.
fn inspector_tallies_sql() -> Vec<String> {
    let (from, to) = PERIOD_SQL;
    let (month_from, month_to) = PERIOD_MONTHS;
    vec![
        format!(
            "SELECT officer_id, SUM(inspections), SUM(hazards_found), SUM(major_hazards_found), \
             SUM(hazards_rectified), SUM(major_hazards_rectified), SUM(hazards_closed) \
             FROM officer_tallies WHERE month >= '{month_from}' AND month < '{month_to}' \
             GROUP BY officer_id"
        ),
        format!(
            "SELECT reported_by, COUNT(*) FROM hazards WHERE status = 'open' \
             AND deadline < CURRENT_TIMESTAMP AND created_at >= '{from}' AND created_at < '{to}' \
             GROUP BY reported_by"
        ),
        format!(
            "SELECT officer_id, COUNT(DISTINCT enterprise_id) FROM officer_inspected_enterprises \
             WHERE year = {PERIOD_YEAR} AND (months & 4095) <> 0 GROUP BY officer_id"
        ),
        format!(
            "SELECT SUM(inspections) FROM report_tallies \
             WHERE month >= '{month_from}' AND month < '{month_to}'"
        ),
        format!(
            "SELECT COUNT(DISTINCT enterprise_id) FROM inspected_enterprises \
             WHERE year = {PERIOD_YEAR} AND (months & 4095) <> 0"
        ),
    ]
    .into_iter()
    .chain(enforcement_sql("issued_by", "", (from, to)))
    .collect()
}

/// The six additive tally columns, summed.
const SUMS: &str = "SUM(inspections), SUM(hazards_found), SUM(major_hazards_found), \
                    SUM(hazards_rectified), SUM(major_hazards_rectified), SUM(hazards_closed)";

/// The half year's days outside its whole months: 15-31 March and 1-14 September.
const HALF_YEAR_EDGE_DAYS: &str = "((day >= '2025-03-15' AND day < '2025-04-01') \
                                   OR (day >= '2025-09-01' AND day < '2025-09-15'))";

/// The half year's rows of an inspected-enterprise `table` (a row per year): April to August
/// from the month bits, the days of March and September inside the period from their day bits
/// (bit d-1 for day d).
fn half_year_day_bits(table: &str) -> String {
    let (march, september) = (((1 << 17) - 1) << 14, (1 << 14) - 1);
    let april_to_august = 0b1_1111 << 3;
    format!(
        "FROM {table} WHERE year = 2025 AND ((months & {april_to_august}) <> 0 \
         OR (days_03 & {march}) <> 0 OR (days_09 & {september}) <> 0)"
    )
}

/// The half year's figures by sector by hand over the tallies: April to August from
/// `report_tallies`, 15-31 March and 1-14 September from `day_tallies`, distinct enterprises
/// from the month and day bits of `inspected_enterprises`, overdue and enforcement as for the
/// year.
fn half_year_tallies_sql() -> Vec<String> {
    let (from, to) = HALF_YEAR_SQL;
    let enterprises = half_year_day_bits("inspected_enterprises");
    vec![
        format!(
            "SELECT sector_code, {SUMS} FROM report_tallies \
             WHERE month >= '2025-04' AND month < '2025-09' GROUP BY sector_code"
        ),
        format!(
            "SELECT sector_code, {SUMS} FROM day_tallies WHERE {HALF_YEAR_EDGE_DAYS} \
             GROUP BY sector_code"
        ),
        format!(
            "SELECT sector_code, COUNT(*) FROM hazards WHERE status = 'open' \
             AND deadline < CURRENT_TIMESTAMP AND created_at >= '{from}' AND created_at < '{to}' \
             GROUP BY sector_code"
        ),
        format!(
            "SELECT sector_code, COUNT(DISTINCT enterprise_id) {enterprises} GROUP BY sector_code"
        ),
        format!("SELECT COUNT(DISTINCT enterprise_id) {enterprises}"),
    ]
    .into_iter()
    .chain(enforcement_sql("sector_code", "", (from, to)))
    .collect()
}

/// The half year's figures per officer by hand over the officer tallies: April to August from
/// `officer_tallies`, the edge days from `officer_day_tallies`, distinct enterprises from the
/// day bits, the totals' inspections and enterprises from the unit tallies, overdue by reporter
/// and the enforcement documents per issuer.
fn half_year_inspector_sql() -> Vec<String> {
    let (from, to) = HALF_YEAR_SQL;
    vec![
        format!(
            "SELECT officer_id, {SUMS} FROM officer_tallies \
             WHERE month >= '2025-04' AND month < '2025-09' GROUP BY officer_id"
        ),
        format!("SELECT officer_id, {SUMS} FROM officer_day_tallies WHERE {HALF_YEAR_EDGE_DAYS} GROUP BY officer_id"),
        format!(
            "SELECT reported_by, COUNT(*) FROM hazards WHERE status = 'open' \
             AND deadline < CURRENT_TIMESTAMP AND created_at >= '{from}' AND created_at < '{to}' \
             GROUP BY reported_by"
        ),
        format!(
            "SELECT officer_id, COUNT(DISTINCT enterprise_id) {} GROUP BY officer_id",
            half_year_day_bits("officer_inspected_enterprises")
        ),
        "SELECT SUM(inspections) FROM report_tallies WHERE month >= '2025-04' AND month < '2025-09'"
            .into(),
        format!("SELECT SUM(inspections) FROM day_tallies WHERE {HALF_YEAR_EDGE_DAYS}"),
        format!(
            "SELECT COUNT(DISTINCT enterprise_id) {}",
            half_year_day_bits("inspected_enterprises")
        ),
    ]
    .into_iter()
    .chain(enforcement_sql("issued_by", "", (from, to)))
    .collect()
}

/// The answer names its groups, so the hand SQL fetches the names too.
fn named(mut sql: Vec<String>, names: &str) -> Vec<String> {
    sql.push(names.to_owned());
    sql
}

const SECTOR_NAMES: &str = "SELECT code, name FROM sectors";
const OFFICER_NAMES: &str = "SELECT id, display_name FROM users WHERE role = 'inspector'";

fn list_sql(filter: &str) -> Vec<String> {
    vec![format!(
        "SELECT * FROM hazards WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT 51"
    )]
}

/// The best hand-written SQL for a supervisor's first page of tasks and its counts: the three
/// queues oldest first, 51 rows each, and their sizes.
fn tasks_sql(scope: &str) -> Vec<String> {
    let hazard = "SELECT h.id, h.description, h.level, h.status, h.enterprise_id, e.name, \
                  h.deadline, h.status_since FROM hazards h JOIN enterprises e ON e.id = h.enterprise_id";
    let overdue_major = "h.status = 'open' AND h.level = 'major' AND h.listed_level IS NULL \
                         AND h.deadline < CURRENT_TIMESTAMP";
    vec![
        format!(
            "{hazard} WHERE h.status = 'verified' {scope} ORDER BY h.status_since, h.id LIMIT 51"
        ),
        format!(
            "SELECT er.id, er.requested_at, er.requested_deadline, h.id, e.name FROM extension_requests er \
             JOIN hazards h ON h.id = er.hazard_id JOIN enterprises e ON e.id = h.enterprise_id \
             WHERE er.decision IS NULL {scope} ORDER BY er.requested_at, er.id LIMIT 51"
        ),
        format!("{hazard} WHERE {overdue_major} {scope} ORDER BY h.deadline, h.id LIMIT 51"),
        format!("SELECT COUNT(*) FROM hazards h WHERE h.status = 'verified' {scope}"),
        format!(
            "SELECT COUNT(*) FROM extension_requests er JOIN hazards h ON h.id = er.hazard_id \
             WHERE er.decision IS NULL {scope}"
        ),
        format!("SELECT COUNT(*) FROM hazards h WHERE {overdue_major} {scope}"),
    ]
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if benchmarking => url,
        _ if benchmarking => panic!("set BENCH_DATABASE_URL (scripts/bench-scale does)"),
        _ => format!("sqlite://{}", scratch.path().join("bench.db").display()),
    };
    let hazards: usize = match std::env::var("BENCH_HAZARDS") {
        Ok(n) if benchmarking => n.parse().expect("BENCH_HAZARDS is a number"),
        _ if benchmarking => 1_000_000,
        _ => 3_000,
    };
    let samples = if benchmarking { 21 } else { 1 };
    let log = |line: &str| eprintln!("bureau_scale: {line}");

    let mut config = Config::for_database(&url, scratch.path().to_owned());
    config.database_pool_size = 4;
    let pool = server::prepare_database(&config).expect("database ready");
    let mut conn = pool.get().expect("a connection");
    // BENCH_REUSE=1 measures again on a database generated by an earlier run.
    let reuse = std::env::var("BENCH_REUSE").is_ok_and(|v| v == "1")
        && rows_of(&mut conn, "SELECT id FROM hazards LIMIT 1") > 0;
    if !reuse {
        let started = Instant::now();
        let sizes = generate::Sizes::scaled(hazards);
        generate::generate(&mut conn, sizes, &log);
        // The generator writes rows behind the app's back, as a bulk import does; an operator
        // then recounts the tallies (`safeloop admin recount-tallies`).
        let recount = Instant::now();
        safeloop::stats::tally::rebuild(&mut conn).expect("tallies recounted");
        log(&format!(
            "tallies recounted in {:.1} s",
            recount.elapsed().as_secs_f64()
        ));
        generate::analyze(&mut conn);
        let seconds = started.elapsed().as_secs_f64();
        log(&format!("{sizes:?} generated in {seconds:.0} s"));
        seed_user(&mut conn, "bench-root", "admin", None);
        seed_user(&mut conn, "bench-prefecture", "supervisor", Some("3601"));
    }
    if rows_of(
        &mut conn,
        "SELECT id FROM users WHERE username = 'bench-township'",
    ) == 0
    {
        seed_user(&mut conn, "bench-township", "supervisor", Some(TOWNSHIP));
    }
    // BENCH_GENERATE_ONLY=1 leaves the database for another benchmark (scripts/bench-list).
    if std::env::var("BENCH_GENERATE_ONLY").is_ok_and(|v| v == "1") {
        return;
    }
    let (admin, prefecture) = ("bench-root", "bench-prefecture");

    let state = AppState::new(pool, config).expect("valid configuration");
    actix_web::rt::System::new().block_on(async move {
        let service = test::init_service(app(state)).await;
        let login = |username: &'static str| {
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .set_json(json!({"username": username, "password": PASSWORD}))
                .to_request()
        };
        let admin_token = token(test::call_and_read_body_json(&service, login(admin)).await);
        let prefecture_token =
            token(test::call_and_read_body_json(&service, login(prefecture)).await);
        let township_token =
            token(test::call_and_read_body_json(&service, login("bench-township")).await);
        let (half_from, half_to) = HALF_YEAR;
        let (from, to) = PERIOD;
        let prefecture_scope = "AND region_code >= '3601' AND region_code < '3602'";
        let cases = vec![
            Case {
                name: "stats, a year by sector (admin)",
                token: admin_token.clone(),
                path: format!("/api/v1/stats?from={from}&to={to}&group_by=sector"),
                sql: named(stats_sql("sector_code", ""), SECTOR_NAMES),
            },
            Case {
                name: "stats, a year by county (prefecture supervisor)",
                token: prefecture_token.clone(),
                path: format!("/api/v1/stats?from={from}&to={to}&group_by=region"),
                sql: named(
                    stats_sql("substr(region_code, 1, 6)", prefecture_scope),
                    "SELECT code, name FROM regions WHERE parent_code = '3601'",
                ),
            },
            Case {
                name: "stats, a year by sector (township supervisor)",
                token: township_token,
                path: format!("/api/v1/stats?from={from}&to={to}&group_by=sector"),
                sql: named(rows_sql("sector_code", TOWNSHIP_SCOPE), SECTOR_NAMES),
            },
            Case {
                name: "stats, a year by inspector (admin)",
                token: admin_token.clone(),
                path: format!("/api/v1/stats?from={from}&to={to}&group_by=inspector"),
                sql: named(inspector_tallies_sql(), OFFICER_NAMES),
            },
            Case {
                name: "stats, 15 March to 15 September by sector (admin)",
                token: admin_token.clone(),
                path: format!("/api/v1/stats?from={half_from}&to={half_to}&group_by=sector"),
                sql: named(half_year_tallies_sql(), SECTOR_NAMES),
            },
            Case {
                name: "stats, 15 March to 15 September by inspector (admin)",
                token: admin_token.clone(),
                path: format!("/api/v1/stats?from={half_from}&to={half_to}&group_by=inspector"),
                sql: named(half_year_inspector_sql(), OFFICER_NAMES),
            },
            Case {
                name: "hazard list page: open, one prefecture (admin)",
                token: admin_token.clone(),
                path: "/api/v1/hazards?status=open&region=3601&limit=50".into(),
                sql: list_sql("status = 'open' AND region_code >= '3601' AND region_code < '3602'"),
            },
            Case {
                name: "hazard list page: major fireworks (admin)",
                token: admin_token.clone(),
                path: "/api/v1/hazards?sector=fireworks&level=major&limit=50".into(),
                sql: list_sql("sector_code IN ('fireworks') AND level = 'major'"),
            },
            Case {
                name: "my tasks, first page (prefecture supervisor)",
                token: prefecture_token.clone(),
                path: "/api/v1/me/tasks?limit=50".into(),
                sql: tasks_sql("AND h.region_code >= '3601' AND h.region_code < '3602'"),
            },
            Case {
                name: "hazard list page: overdue (prefecture supervisor)",
                token: prefecture_token.clone(),
                path: "/api/v1/hazards?overdue=true&limit=50".into(),
                sql: list_sql(&format!(
                    "status = 'open' AND deadline < CURRENT_TIMESTAMP {prefecture_scope}"
                )),
            },
        ];
        // The figures agree with the SQL before any are timed.
        let answer: Value = test::call_and_read_body_json(
            &service,
            TestRequest::get()
                .uri(&format!(
                    "/api/v1/stats?from={from}&to={to}&group_by=sector"
                ))
                .insert_header(("authorization", format!("Bearer {admin_token}")))
                .to_request(),
        )
        .await;
        let (low, high) = PERIOD_SQL;
        let found = rows_of(
            &mut conn,
            &format!(
                "SELECT id FROM hazards WHERE created_at >= '{low}' AND created_at < '{high}' \
                 AND status <> 'cancelled'"
            ),
        );
        assert_eq!(answer["hazards_found"], found, "{answer}");
        assert!(found > 0, "the period holds generated hazards");
        let inspected = rows_of(
            &mut conn,
            &format!(
                "SELECT DISTINCT enterprise_id FROM inspections WHERE status = 'submitted' \
                 AND kind <> 'self' AND submitted_at >= '{low}' AND submitted_at < '{high}'"
            ),
        );
        assert_eq!(answer["enterprises_inspected"], inspected, "{answer}");
        println!("| case | API median (p90) ms | SQL median (p90) ms | ratio |");
        println!("|---|---|---|---|");
        for case in cases {
            let mut api_times = Vec::new();
            let mut sql_times = Vec::new();
            for round in 0..samples + 2 {
                let request = TestRequest::get()
                    .uri(&case.path)
                    .insert_header(("authorization", format!("Bearer {}", case.token)))
                    .to_request();
                let started = Instant::now();
                let response = test::call_service(&service, request).await;
                let status = response.status();
                let body = test::read_body(response).await;
                let api = started.elapsed();
                assert!(
                    status.is_success(),
                    "{}: {status} {}",
                    case.name,
                    String::from_utf8_lossy(&body)
                );
                let sql = time_sql(&mut conn, &case.sql);
                if round >= 2 {
                    // Two warm-up rounds fill the caches.
                    api_times.push(api);
                    sql_times.push(sql);
                }
            }
            let (api, api_p90) = median_and_p90(api_times);
            let (sql, sql_p90) = median_and_p90(sql_times);
            println!(
                "| {} | {api:.1} ({api_p90:.1}) | {sql:.1} ({sql_p90:.1}) | {:.2}x |",
                case.name,
                api / sql
            );
        }
        println!();
        for (what, sql) in [
            ("the year's figures by sector", rows_sql("sector_code", "")),
            ("the year's figures by inspector", inspector_sql()),
            (
                "15 March to 15 September by sector",
                rows_sql_between("sector_code", "", HALF_YEAR_SQL),
            ),
        ] {
            let times = (0..samples + 2).map(|_| time_sql(&mut conn, &sql)).skip(2);
            let (rows, rows_p90) = median_and_p90(times.collect());
            println!(
                "For scale, {what} counted from the rows by hand-written SQL: \
                 {rows:.1} ({rows_p90:.1}) ms"
            );
        }
        console_pages(&service, &mut conn, prefecture, samples).await;
    });
}

/// The console's pages for a prefecture supervisor: server time in process (the request in,
/// the HTML out) and the weight of each HTML document.
async fn console_pages<S, B>(service: &S, conn: &mut DbConnection, username: &str, samples: usize)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let form_page = test::call_service(
        service,
        TestRequest::get().uri("/console/login").to_request(),
    )
    .await;
    let form_cookie = cookie(&form_page, "safeloop_sign_in");
    let page = String::from_utf8(test::read_body(form_page).await.to_vec()).expect("UTF-8");
    let at = page.find("name=\"csrf\" value=\"").expect("a token") + 19;
    let body = format!(
        "csrf={}&next=%2Fconsole%2F&username={username}&password={}",
        &page[at..at + 64],
        PASSWORD.replace(' ', "+")
    );
    let signed = test::call_service(
        service,
        TestRequest::post()
            .uri("/console/login")
            .insert_header(("cookie", format!("safeloop_sign_in={form_cookie}")))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
            .to_request(),
    )
    .await;
    assert_eq!(signed.status(), 303, "the console signs in");
    let session = cookie(&signed, "safeloop_session");
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let hazard = diesel::sql_query(
        "SELECT id FROM hazards WHERE status = 'verified' AND region_code >= '3601' \
         AND region_code < '3602' ORDER BY created_at DESC LIMIT 1",
    )
    .load::<Id>(conn)
    .expect("a verified hazard")
    .remove(0)
    .id;
    let pages = [
        ("work queue (待办)", "/console/".to_owned()),
        (
            "hazard page (photos, record, actions)",
            format!("/console/hazards/{hazard}"),
        ),
        ("hazard list, first page", "/console/hazards".to_owned()),
        (
            "hazard list: open, major",
            "/console/hazards?status=open&level=major".to_owned(),
        ),
        (
            "listed supervision (挂牌督办)",
            "/console/listed".to_owned(),
        ),
        ("extension requests", "/console/extensions".to_owned()),
        (
            "statistics, this year (sentence, two charts)",
            "/console/stats".to_owned(),
        ),
        (
            "statistics, 2025",
            "/console/stats?from=2025-01-01&to=2026-01-01".to_owned(),
        ),
        ("risk map page", "/console/map".to_owned()),
        (
            "risk map: the server's drawing (SVG, 5,000 newest)",
            "/console/map/points.svg".to_owned(),
        ),
        (
            "risk map: the points for Leaflet (GeoJSON)",
            "/console/map/hazards.geojson".to_owned(),
        ),
    ];
    println!("\n| console page (prefecture supervisor) | median (p90) ms | KB |");
    println!("|---|---|---|");
    for (name, path) in pages {
        let mut times = Vec::new();
        let mut size = 0;
        for round in 0..samples + 2 {
            let request = TestRequest::get()
                .uri(&path)
                .insert_header(("cookie", format!("safeloop_session={session}")))
                .to_request();
            let started = Instant::now();
            let response = test::call_service(service, request).await;
            let status = response.status();
            let body = test::read_body(response).await;
            let took = started.elapsed();
            assert!(
                status.is_success(),
                "{name}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            size = body.len();
            if round >= 2 {
                times.push(took);
            }
        }
        let (median, p90) = median_and_p90(times);
        println!(
            "| {name} | {median:.1} ({p90:.1}) | {:.1} |",
            size as f64 / 1024.0
        );
    }
}

fn cookie<B>(response: &actix_web::dev::ServiceResponse<B>, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .expect("the cookie is set")
        .to_owned()
}

/// Runs hand-written statements one after another and returns how long they took together.
fn time_sql(conn: &mut DbConnection, statements: &[String]) -> Duration {
    let started = Instant::now();
    for sql in statements {
        // Every row and column comes back, as the API's do (a COUNT(*) around the query would
        // let PostgreSQL drop the unused aggregates).
        diesel::sql_query(sql)
            .execute(conn)
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    started.elapsed()
}

const PASSWORD: &str = "a long benchmark password";

fn seed_user(conn: &mut DbConnection, username: &str, role: &str, prefix: Option<&str>) {
    let mut user = safeloop::registry::user::NewUser::admin(
        username,
        safeloop::auth::password::hash(PASSWORD),
    );
    user.role = role.to_owned();
    user.region_prefix = prefix.map(str::to_owned);
    safeloop::registry::user::insert(conn, &user).expect("seed a user");
}

fn token(answer: Value) -> String {
    answer["access_token"]
        .as_str()
        .expect("signed in")
        .to_owned()
}
