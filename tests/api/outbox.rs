//! The ordered log of committed changes: every change announces itself in its own transaction,
//! a rolled-back one never does, and a reader never skips a row that commits late.

use diesel::prelude::*;
use serde_json::json;

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::{Backend, TestApp};
use safeloop::auth::Role;
use safeloop::notify::outbox::{self, Subject};

/// The committed rows of the log, straight from its table (the settled reader is the subject
/// of the last test, and may wait on other tests' transactions on a shared cluster).
fn rows(app: &TestApp) -> Vec<outbox::LoggedEvent> {
    use safeloop::db::schema::outbox_events;
    outbox_events::table
        .order(outbox_events::position)
        .select(outbox::LoggedEvent::as_select())
        .load(&mut app.db())
        .unwrap()
}

fn logged(app: &TestApp) -> Vec<(String, Option<String>)> {
    rows(app)
        .into_iter()
        .map(|e| (e.event_type, e.hazard_id))
        .collect()
}

backend_test!(async fn every_change_of_the_loop_is_logged_once(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let hazard = report(&app, &inspector.access, &hazard_body(&plant)).await;
    let id = hazard["id"].as_str().unwrap().to_owned();
    // Refused actions write nothing.
    app.post_as(&inspector.access, &format!("/api/v1/hazards/{id}/transitions"), &json!({"action": "approve_closure"})).await.problem(409, "transition_not_allowed");
    let cancelled = app.post_as(&supervisor.access, &format!("/api/v1/hazards/{id}/transitions"), &json!({"action": "cancel", "note": "重复"})).await;
    assert_eq!(cancelled.status, 200);
    let log = logged(&app);
    assert_eq!(log, [("hazard.reported".to_owned(), Some(id.clone())), ("hazard.cancelled".to_owned(), Some(id.clone()))]);
    let events = rows(&app);
    let mut conn = app.db();
    let data: serde_json::Value = serde_json::from_str(&events[1].payload).unwrap();
    assert_eq!(data["status"], "cancelled");
    assert_eq!(data["enterprise_name"], "王母渡烟花有限公司");
    assert_eq!(data["sequence"], 2);
    assert_eq!(data["chain_hash"].as_str().unwrap().len(), 64);
    assert!(events[0].id.starts_with("msg_") && events[0].id != events[1].id);

    // A transaction that fails after writing its event leaves no event behind.
    let failed: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        outbox::record(conn, "ping", Subject::default(), json!({})).unwrap();
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(failed.is_err());
    drop(conn);
    assert_eq!(logged(&app).len(), 2);
});

/// On PostgreSQL a later transaction may commit first; the reader waits for the earlier one
/// instead of moving past it. (SQLite serialises writers, so its positions are commit order.)
#[actix_web::test]
async fn a_row_that_commits_late_is_not_skipped() {
    let app = TestApp::new(Backend::Postgres).await;
    let mut slow = PgConnection::establish(&app.database_url).unwrap();
    let mut fast = app.db();
    let reader = |app: &TestApp| {
        let mut conn = app.db();
        outbox::read_after(&mut conn, (i64::MIN, i64::MIN), 10).unwrap()
    };
    diesel::sql_query("BEGIN").execute(&mut slow).unwrap();
    diesel::sql_query(
        "INSERT INTO outbox_events (id, event_type, payload, occurred_at) VALUES ('msg_slow', 'ping', '{}', now())",
    )
    .execute(&mut slow)
    .unwrap();
    outbox::record(
        &mut fast,
        "ping",
        Subject::default(),
        json!({"which": "fast"}),
    )
    .unwrap();
    assert!(
        reader(&app).is_empty(),
        "nothing past a transaction still open"
    );
    diesel::sql_query("COMMIT").execute(&mut slow).unwrap();
    // Other tests' transactions on the shared cluster may hold the horizon back a moment.
    let mut read: Vec<String> = Vec::new();
    for _ in 0..500 {
        read = reader(&app).into_iter().map(|e| e.id).collect();
        if read.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[0], "msg_slow",
        "the earlier transaction's row comes first"
    );
}
