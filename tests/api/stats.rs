//! The bureau's figures: a county year in small, checked figure by figure against what a seed
//! report says (001: 整改率95.5%, 重大隐患整改率100%, 责令停产整顿 and 关闭取缔 家数, fines),
//! the breakdowns, and scope.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_test;
use crate::fixtures::{hazard_body, inspector_pair, report, routine_inspection};
use crate::harness::{SignedIn, TestApp};
use crate::photos::{phone_jpeg, upload};
use safeloop::auth::Role;

/// Two plants in two townships of 赣县区, the people who work them, and a year of work.
struct County {
    lead: SignedIn,
    partner: SignedIn,
}

async fn act(app: &TestApp, who: &SignedIn, hazard: &str, body: Value) {
    let path = format!("/api/v1/hazards/{hazard}/transitions");
    let done = app.post_as(&who.access, &path, &body).await;
    assert_eq!(done.status, 200, "{}", done.json());
}

async fn issue(app: &TestApp, who: &SignedIn, body: Value) {
    let created = app
        .post_as(&who.access, "/api/v1/enforcement-actions", &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.json());
}

fn document(kind: &str, number: u32, enterprise: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4(), "kind": kind, "issuing_body": "赣县区应急管理局",
        "document_no": format!("赣县应急〔2026〕{number}号"), "enterprise_id": enterprise,
    })
}

/// 200 hazards (9 major, all rectified; 191 rectified in all, so 95.5%), 150 of them closed,
/// 4 overdue, 3 cancelled; 6 submitted inspections of 2 plants (and a draft and a
/// self-inspection that do not count); 3 suspension orders on 2 plants, a shutdown, and two
/// penalties of 10,000.00 and 12,365.00 yuan.
async fn a_year(app: &TestApp) -> County {
    let fireworks = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let mine = app.seed_enterprise("360704102", "non_coal_mines", "韩坊采石场");
    let (lead, partner) = inspector_pair(app, "360704").await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let manager = app
        .signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(mine.clone()))
        .await;

    for (i, plant) in [&fireworks, &mine, &fireworks, &mine, &fireworks, &fireworks]
        .into_iter()
        .enumerate()
    {
        let inspection = routine_inspection(app, &lead, &partner, plant, None).await;
        let path = format!(
            "/api/v1/inspections/{}/submit",
            inspection["id"].as_str().unwrap()
        );
        let submitted = app.post_as(&lead.access, &path, &json!({})).await;
        assert_eq!(
            submitted.status,
            200,
            "inspection {i}: {}",
            submitted.json()
        );
    }
    routine_inspection(app, &lead, &partner, &mine, None).await; // a draft
    let own = app.post_as(&manager.access, "/api/v1/inspections", &json!({
        "id": uuid::Uuid::new_v4(), "enterprise_id": mine, "kind": "self", "officer_ids": [],
        "started_at": Utc::now() - Duration::hours(2),
    })).await.json();
    let own_path = format!("/api/v1/inspections/{}/submit", own["id"].as_str().unwrap());
    assert_eq!(
        app.post_as(&manager.access, &own_path, &json!({}))
            .await
            .status,
        200
    );

    let proof = upload(app, &lead.access, &phone_jpeg(40), "rectification")
        .await
        .json()["id"]
        .clone();
    let mut ids = Vec::new();
    for i in 0..200 {
        let plant = if i < 120 { &fireworks } else { &mine };
        let mut body = hazard_body(plant);
        if i < 9 {
            body["level"] = json!("major");
        }
        let id = report(app, &lead.access, &body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        if i < 191 {
            // 现场整改: rectified on the spot, re-checked by the partner.
            act(app, &lead, &id, json!({"action": "submit_rectification", "note": "现场整改完毕", "photo_ids": [proof]})).await;
            act(
                app,
                &partner,
                &id,
                json!({"action": "verify_pass", "note": "复查合格"}),
            )
            .await;
        }
        if i < 150 {
            act(app, &supervisor, &id, json!({"action": "approve_closure"})).await;
        }
        ids.push(id);
    }
    for _ in 0..3 {
        let id = report(app, &lead.access, &hazard_body(&fireworks)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        act(
            app,
            &supervisor,
            &id,
            json!({"action": "cancel", "note": "重复登记"}),
        )
        .await;
    }
    // Time passes for four of the open ones: their deadlines lie behind.
    {
        use safeloop::db::schema::hazards;
        let mut conn = app.db();
        diesel::update(hazards::table.filter(hazards::id.eq_any(&ids[191..195])))
            .set(hazards::deadline.eq(safeloop::db::now() - Duration::days(3)))
            .execute(&mut conn)
            .unwrap();
    }

    issue(app, &lead, document("suspension", 1, &fireworks)).await;
    issue(app, &lead, document("suspension", 2, &fireworks)).await;
    issue(app, &partner, document("suspension", 3, &mine)).await;
    issue(app, &lead, document("shutdown", 4, &mine)).await;
    for (number, fen) in [(5, 1_000_000), (6, 1_236_500)] {
        let mut penalty = document("penalty_decision", number, &fireworks);
        penalty["fine_fen"] = json!(fen);
        penalty["notified_at"] = json!(Utc::now() - Duration::days(7));
        penalty["hearing_requested"] = json!(number == 6);
        if number == 6 {
            penalty["hearing_held_at"] = json!(Utc::now() - Duration::days(2));
        }
        issue(app, &lead, penalty).await;
    }
    County { lead, partner }
}

async fn stats(app: &TestApp, who: &SignedIn, query: &str) -> Value {
    let answer = app
        .get_as(&who.access, &format!("/api/v1/stats{query}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.json());
    answer.json()
}

fn group<'a>(answer: &'a Value, key: &str) -> &'a Value {
    answer["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {answer}"))
}

backend_test!(async fn a_county_year_in_small_gives_the_reports_figures(app) {
    let county = a_year(&app).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let answer = stats(&app, &supervisor, "").await;

    assert_eq!(answer["inspections"], 6, "{answer}");
    assert_eq!(answer["enterprises_inspected"], 2);
    assert_eq!(answer["hazards_found"], 200);
    assert_eq!(answer["hazards_rectified"], 191);
    assert_eq!(answer["rectification_rate"].as_f64(), Some(0.955));
    assert_eq!(answer["rectification_ratio"], json!({"numerator": 191, "denominator": 200}));
    assert_eq!(format!("{:.1}%", answer["rectification_rate"].as_f64().unwrap() * 100.0), "95.5%");
    assert_eq!(answer["major_hazards_found"], 9);
    assert_eq!(answer["major_hazards_rectified"], 9);
    assert_eq!(answer["major_rectification_rate"].as_f64(), Some(1.0));
    assert_eq!(answer["hazards_closed"], 150);
    assert_eq!(answer["overdue"], 4);
    assert_eq!(answer["suspension"], 2, "责令停产整顿家数 counts plants, not orders");
    assert_eq!(answer["documents_by_kind"]["suspension"], 3);
    assert_eq!(answer["shutdown"], 1);
    assert_eq!(answer["penalty_decision"], 1);
    assert_eq!(answer["documents_by_kind"]["penalty_decision"], 2);
    assert_eq!(answer["fines_total_fen"], 2_236_500);
    assert_eq!(answer["seal_up"], 0);
    assert_eq!(answer["region"], "3607");
    assert!(answer["groups"].as_array().unwrap().is_empty());

    let by_sector = stats(&app, &supervisor, "?group_by=sector").await;
    let fireworks = group(&by_sector, "fireworks");
    assert_eq!(fireworks["name"], "烟花爆竹");
    assert_eq!((fireworks["hazards_found"].as_i64(), fireworks["hazards_rectified"].as_i64()), (Some(120), Some(120)));
    assert_eq!((fireworks["major_hazards_found"].as_i64(), fireworks["inspections"].as_i64()), (Some(9), Some(4)));
    assert_eq!((fireworks["suspension"].as_i64(), fireworks["fines_total_fen"].as_i64()), (Some(1), Some(2_236_500)));
    let mines = group(&by_sector, "non_coal_mines");
    assert_eq!((mines["hazards_found"].as_i64(), mines["hazards_rectified"].as_i64()), (Some(80), Some(71)));
    assert_eq!((mines["hazards_closed"].as_i64(), mines["overdue"].as_i64()), (Some(30), Some(4)));
    assert_eq!(mines["major_rectification_rate"], Value::Null);
    assert_eq!((mines["shutdown"].as_i64(), mines["suspension"].as_i64()), (Some(1), Some(1)));
    assert_eq!(by_sector["hazards_found"], 200, "totals come with the groups");

    let by_region = stats(&app, &supervisor, "?group_by=region&region=360704").await;
    let keys: Vec<&str> = by_region["groups"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["360704101", "360704102"]);
    assert_eq!(group(&by_region, "360704102")["name"], "沙地镇");
    assert_eq!(group(&by_region, "360704102")["hazards_found"], 80);

    let by_month = stats(&app, &supervisor, "?group_by=month").await;
    let month = safeloop::calendar::month_of(safeloop::db::now());
    assert_eq!(group(&by_month, &month)["hazards_found"], 200);

    let by_officer = stats(&app, &supervisor, "?group_by=inspector").await;
    let lead = group(&by_officer, &county.lead.id);
    assert_eq!((lead["hazards_found"].as_i64(), lead["inspections"].as_i64()), (Some(200), Some(6)));
    let partner = group(&by_officer, &county.partner.id);
    assert_eq!(partner["documents_by_kind"]["suspension"], 1);
    assert_eq!(partner["inspections"], 6, "each officer present counts the inspection");
    assert_eq!(partner["hazards_found"], 0, "hazards count for the one who reported them");
    assert_eq!(by_officer["inspections"], 6, "the totals count each inspection once");

    let mine_only = stats(&app, &supervisor, "?sector=non_coal_mines").await;
    assert_eq!((mine_only["hazards_found"].as_i64(), mine_only["inspections"].as_i64()), (Some(80), Some(2)));
});

backend_test!(async fn each_caller_sees_the_figures_of_its_own_scope(app) {
    a_year(&app).await;
    let township = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("360704102".into())).await;
    let answer = stats(&app, &township, "").await;
    assert_eq!((answer["hazards_found"].as_i64(), answer["hazards_rectified"].as_i64()), (Some(80), Some(71)));
    assert_eq!((answer["inspections"].as_i64(), answer["shutdown"].as_i64()), (Some(2), Some(1)));
    assert_eq!(answer["fines_total_fen"], 0);
    // Asking for a region outside the scope does not widen it.
    let wider = stats(&app, &township, "?region=3607").await;
    assert_eq!(wider["hazards_found"], 80);

    let far = app.signed_in_with(Role::Inspector, |u| u.region_prefix = Some("530524".into())).await;
    let nothing = stats(&app, &far, "?group_by=sector").await;
    assert_eq!((nothing["hazards_found"].as_i64(), nothing["inspections"].as_i64()), (Some(0), Some(0)));
    assert_eq!(nothing["rectification_rate"], Value::Null);
    assert!(nothing["groups"].as_array().unwrap().is_empty());

    let trade_only = app.signed_in_with(Role::Supervisor, |u| u.sectors = "fireworks".into()).await;
    assert_eq!(stats(&app, &trade_only, "").await["hazards_found"], 120);

    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(stats(&app, &admin, "").await["hazards_found"], 200);
    let manager = app.signed_in(Role::Enterprise).await;
    app.get_as(&manager.access, "/api/v1/stats").await.problem(403, "forbidden");
});

backend_test!(async fn periods_bound_the_figures_and_bad_ones_are_refused(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    report(&app, &inspector.access, &hazard_body(&plant)).await;
    let year = safeloop::calendar::year_of(Utc::now());
    let this_year = stats(&app, &inspector, &format!("?from={year}-01-01&to={}-01-01", year + 1)).await;
    assert_eq!(this_year["hazards_found"], 1);
    let last_year = stats(&app, &inspector, &format!("?from={}-01-01&to={year}-01-01", year - 1)).await;
    assert_eq!(last_year["hazards_found"], 0);
    let just_now = (Utc::now() - Duration::minutes(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = stats(&app, &inspector, &format!("?from={just_now}")).await;
    assert_eq!(recent["hazards_found"], 1);

    for (query, field) in [
        ("?from=2023-13-01", "from"),
        ("?from=2024-01-01&to=2023-01-01", "to"),
        ("?region=36x", "region"),
        ("?sector=mining", "sector"),
    ] {
        let refused = app.get_as(&inspector.access, &format!("/api/v1/stats{query}")).await.problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["field"], field, "{query}");
    }
    app.get_as(&inspector.access, "/api/v1/stats?group_by=county").await.problem(400, "invalid_query");
});

/// A recount writes each tally in its primary key's order, as tallies grown day by day lie on
/// disk: read in the order the rows are stored, the keys ascend.
fn recounted_in_key_order(conn: &mut safeloop::db::DbConnection) {
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
    }
    let stored_order = match conn.backend() {
        safeloop::db::Backend::Postgres => "ctid",
        safeloop::db::Backend::Sqlite => "rowid",
    };
    let tables = [
        ("report_tallies", "month, county_code, sector_code"),
        (
            "officer_tallies",
            "month, officer_id, county_code, sector_code",
        ),
        ("day_tallies", "day, county_code, sector_code"),
        (
            "officer_day_tallies",
            "day, officer_id, county_code, sector_code",
        ),
        (
            "inspected_enterprises",
            "year, enterprise_id, region_code, sector_code",
        ),
        (
            "officer_inspected_enterprises",
            "year, officer_id, enterprise_id, region_code, sector_code",
        ),
    ];
    let mut officer_rows = 0;
    for (table, columns) in tables {
        // The key as one text: a space sorts before every character the key columns hold.
        let key = columns
            .split(", ")
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect::<Vec<_>>()
            .join(" || ' ' || ");
        let keys: Vec<String> = diesel::sql_query(format!(
            "SELECT {key} AS key FROM {table} ORDER BY {stored_order}"
        ))
        .load::<Key>(conn)
        .unwrap()
        .into_iter()
        .map(|k| k.key)
        .collect();
        assert!(
            keys.windows(2).all(|pair| pair[0] < pair[1]),
            "{table}: {keys:#?}"
        );
        if columns.contains("officer_id") {
            officer_rows += keys.len();
        }
    }
    assert!(officer_rows > 20, "enough rows to be out of order");
}

/// Moves each hazard's report and each inspection's submission back by 0 to 44 days, so the
/// records fall on many days across month ends (the tallies are then recounted).
fn spread_over_days(app: &TestApp) {
    use safeloop::db::schema::{hazards, inspections};
    let mut conn = app.db();
    let reported: Vec<(String, chrono::NaiveDateTime)> = hazards::table
        .select((hazards::id, hazards::created_at))
        .order(hazards::id)
        .load(&mut conn)
        .unwrap();
    for (n, (id, at)) in reported.into_iter().enumerate() {
        let earlier = at - Duration::days((n as i64 * 7) % 45);
        diesel::update(hazards::table.find(id))
            .set(hazards::created_at.eq(earlier))
            .execute(&mut conn)
            .unwrap();
    }
    let submitted: Vec<(String, Option<chrono::NaiveDateTime>)> = inspections::table
        .select((inspections::id, inspections::submitted_at))
        .order(inspections::id)
        .load(&mut conn)
        .unwrap();
    for (n, (id, at)) in submitted.into_iter().enumerate() {
        let Some(at) = at else { continue };
        let earlier = at - Duration::days((n as i64 * 11) % 45);
        diesel::update(inspections::table.find(id))
            .set(inspections::submitted_at.eq(earlier))
            .execute(&mut conn)
            .unwrap();
    }
}

/// The answer without the moment it was computed and the bounds as given.
fn figures_of(mut answer: Value) -> Value {
    for volatile in ["generated_at", "from", "to"] {
        answer.as_object_mut().unwrap().remove(volatile);
    }
    answer
}

backend_test!(async fn the_tallies_answer_as_the_rows_do(app) {
    let county = a_year(&app).await;
    // Moves the fixture does not make: a closure refused, a verified hazard cancelled.
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花二厂");
    let supervisor = app.signed_in_with(Role::Supervisor, |u| u.region_prefix = Some("3607".into())).await;
    let proof = upload(&app, &county.lead.access, &phone_jpeg(41), "rectification").await.json()["id"].clone();
    for last in ["reject_closure", "cancel"] {
        let id = report(&app, &county.lead.access, &hazard_body(&plant)).await["id"].as_str().unwrap().to_owned();
        act(&app, &county.lead, &id, json!({"action": "submit_rectification", "note": "整改完毕", "photo_ids": [proof]})).await;
        act(&app, &county.partner, &id, json!({"action": "verify_pass", "note": "复查合格"})).await;
        act(&app, &supervisor, &id, json!({"action": last, "note": "材料不全"})).await;
    }
    assert_eq!(safeloop::stats::tally::differences(&mut app.db()).unwrap(), 0, "every write kept the tallies in step");

    let year = safeloop::calendar::year_of(Utc::now());
    let months = format!("from={year}-01-01&to={}-01-01", year + 1);
    // The same hazards, bounded a second before the year begins: counted from the rows.
    let odd = format!("from={}-12-31T15:59:59Z&to={}-01-01", year - 1, year + 1);
    let admin = app.signed_in(Role::Admin).await;
    for (who, rest) in [
        (&admin, ""),
        (&admin, "&group_by=sector"),
        (&admin, "&group_by=month"),
        (&admin, "&group_by=region"),
        (&supervisor, "&group_by=region"),
        (&supervisor, "&sector=fireworks&group_by=sector"),
        (&admin, "&region=360704&group_by=month"),
        (&admin, "&group_by=inspector"),
        (&supervisor, "&sector=fireworks&group_by=inspector"),
    ] {
        let tallied = figures_of(stats(&app, who, &format!("?{months}{rest}")).await);
        let counted = figures_of(stats(&app, who, &format!("?{odd}{rest}")).await);
        assert_eq!(tallied, counted, "{rest}");
        assert!(tallied["hazards_found"].as_i64().unwrap() > 0 && tallied["enterprises_inspected"].as_i64().unwrap() > 0, "{rest}: {tallied}");
    }

    // Whole months are answered from the tallies: a tally put wrong behind the API's back
    // shows, until a recount mends it.
    let before = figures_of(stats(&app, &admin, &format!("?{months}")).await);
    {
        use safeloop::db::schema::report_tallies;
        diesel::update(report_tallies::table)
            .set(report_tallies::hazards_found.eq(report_tallies::hazards_found + 1000))
            .execute(&mut app.db())
            .unwrap();
    }
    let mut conn = app.db();
    assert!(safeloop::stats::tally::differences(&mut conn).unwrap() > 0);
    let wrong = stats(&app, &admin, &format!("?{months}")).await;
    assert!(wrong["hazards_found"].as_i64().unwrap() >= 1200, "{wrong}");
    assert_eq!(stats(&app, &admin, &format!("?{odd}")).await["hazards_found"], before["hazards_found"]);
    safeloop::stats::tally::rebuild(&mut conn).unwrap();
    assert_eq!(safeloop::stats::tally::differences(&mut conn).unwrap(), 0);
    assert_eq!(figures_of(stats(&app, &admin, &format!("?{months}")).await), before);
    spread_over_days(&app);
    safeloop::stats::tally::rebuild(&mut conn).unwrap();
    assert_eq!(safeloop::stats::tally::differences(&mut conn).unwrap(), 0);
    recounted_in_key_order(&mut conn);
    // Any run of whole days: whole months from the monthly tallies, the edges from the daily
    // ones, against the same run from a microsecond earlier, counted from the rows.
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    let first = |day: chrono::NaiveDate| day - Duration::days(i64::from(chrono::Datelike::day0(&day)));
    let periods = [
        (today - Duration::days(40), today + Duration::days(1)),
        (first(first(today) - Duration::days(1)) + Duration::days(9), today),
        (first(today - Duration::days(45)) + Duration::days(3), first(today) + Duration::days(1)),
        (today - Duration::days(12), today - Duration::days(2)),
        (today - Duration::days(3), today - Duration::days(2)),
        // Days at its end in the year 9999, whole years between: a hostile client's period.
        (today - Duration::days(20), chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
    ];
    let mut seen = 0;
    for (from, to) in periods {
        let days = format!("from={from}&to={to}");
        // A microsecond before midnight in Beijing: no record falls in it, but it is no day.
        let odd = format!("from={}T15:59:59.999999Z&to={to}", from - Duration::days(1));
        for (who, rest) in [
            (&admin, ""),
            (&admin, "&group_by=sector"),
            (&admin, "&group_by=month"),
            (&supervisor, "&group_by=region"),
            (&admin, "&region=360704&group_by=month"),
            (&admin, "&group_by=inspector"),
            (&supervisor, "&sector=fireworks&group_by=inspector"),
        ] {
            let tallied = figures_of(stats(&app, who, &format!("?{days}{rest}")).await);
            let counted = figures_of(stats(&app, who, &format!("?{odd}{rest}")).await);
            assert_eq!(tallied, counted, "{days}{rest}");
            seen += tallied["enterprises_inspected"].as_i64().unwrap();
        }
    }
    assert!(seen > 0, "the periods hold inspections");
    // Days at a period's edge are read from the daily tallies: one put wrong shows.
    {
        use safeloop::db::schema::day_tallies;
        diesel::update(day_tallies::table)
            .set(day_tallies::hazards_found.eq(day_tallies::hazards_found + 1000))
            .execute(&mut conn)
            .unwrap();
    }
    let (from, to) = periods[0];
    let wrong = stats(&app, &admin, &format!("?from={from}&to={to}")).await;
    assert!(wrong["hazards_found"].as_i64().unwrap() >= 1000, "{wrong}");
    safeloop::stats::tally::rebuild(&mut conn).unwrap();
});
