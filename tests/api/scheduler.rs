//! Deadlines that act: reminders before, the deadline passing, and an overdue major hazard
//! listed by the system itself, each once however many nodes tick, caught up after a pause.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use crate::backend_test;
use crate::fixtures::{hazard_body, report};
use crate::harness::TestApp;
use safeloop::auth::Role;
use safeloop::db::schema::hazards;
use safeloop::notify::scheduler::{self, Rules, Tick};

fn tick(app: &TestApp, at: chrono::NaiveDateTime, listing: Option<&str>) -> Tick {
    let rules = Rules {
        reminder_days: &[3, 1],
        auto_listing_level: listing,
    };
    scheduler::tick(&mut app.db(), &rules, at).unwrap()
}

/// The hazards of the committed events of a type, read straight from the log's table (the
/// settled reader may wait on other tests' transactions on a shared cluster).
fn logged(app: &TestApp, event_type: &str) -> Vec<String> {
    use safeloop::db::schema::outbox_events;
    outbox_events::table
        .filter(outbox_events::event_type.eq(event_type))
        .order(outbox_events::position)
        .select(outbox_events::hazard_id)
        .load::<Option<String>>(&mut app.db())
        .unwrap()
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

backend_test!(async fn deadlines_remind_pass_and_list_once(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let manager = app.signed_in_with(Role::Enterprise, |u| u.enterprise_id = Some(plant.clone())).await;
    let supervisor = app.signed_in(Role::Supervisor).await;
    let now = safeloop::db::now();
    let mut ids = Vec::new();
    for (hours, level) in [(60, "general"), (12, "general"), (20, "major"), (24 * 20, "general")] {
        let mut body = hazard_body(&plant);
        body["deadline"] = json!((now + Duration::hours(hours)).and_utc());
        body["level"] = json!(level);
        ids.push(report(&app, &inspector.access, &body).await["id"].as_str().unwrap().to_owned());
    }

    // Three days before: all but the far one; one day before: the two due within a day.
    assert_eq!(tick(&app, now, Some("county")), Tick { reminders: 5, ..Tick::default() });
    assert_eq!(tick(&app, now, Some("county")), Tick::default(), "nothing twice");
    let reminded = logged(&app, "hazard.deadline_approaching");
    assert_eq!(reminded.len(), 5);
    assert!(!reminded.contains(&ids[3]));

    // Two nodes ticking at once a day later: the two deadlines pass once, the major one is
    // listed once, by the system, in its record.
    let other = app.second_process().await;
    let later = now + Duration::days(1);
    let pools = [app.state.pool.clone(), other.state.pool.clone()];
    let [a, b] = pools.map(|pool| {
        std::thread::spawn(move || {
            let rules = Rules { reminder_days: &[3, 1], auto_listing_level: Some("county") };
            scheduler::tick(&mut pool.get().unwrap(), &rules, later).unwrap()
        })
    });
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.overdue + b.overdue, 2);
    assert_eq!(a.listed + b.listed, 1);
    assert_eq!(logged(&app, "hazard.overdue").len(), 2);
    assert_eq!(logged(&app, "hazard.listed"), [ids[2].clone()]);
    let listed: Option<String> = hazards::table.find(&ids[2]).select(hazards::listed_level).first(&mut app.db()).unwrap();
    assert_eq!(listed.as_deref(), Some("county"));
    let record = app.get_as(&supervisor.access, &format!("/api/v1/hazards/{}/events", ids[2])).await.json();
    let last = record.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["action"].as_str(), last["actor_role"].as_str()), (Some("auto_listing"), Some("system")));
    let chain = app.get_as(&supervisor.access, &format!("/api/v1/hazards/{}/events/verify", ids[2])).await.json();
    assert_eq!(chain["valid"], true);

    // A moved deadline is announced anew.
    let asked = app.post_as(&manager.access, &format!("/api/v1/hazards/{}/extensions", ids[0]), &json!({"requested_deadline": (now + Duration::days(10)).and_utc(), "reason": "设备到货延迟"})).await;
    let decided = app.post_as(&supervisor.access, &format!("/api/v1/extensions/{}/decision", asked.json()["id"].as_str().unwrap()), &json!({"approve": true})).await;
    assert_eq!(decided.status, 200, "{}", decided.json());
    let reminded = tick(&app, now + Duration::days(8), Some("county"));
    assert_eq!(reminded.reminders, 1, "three days before the new deadline");
});

backend_test!(async fn automatic_listing_can_be_turned_off(app) {
    let plant = app.seed_enterprise("360704101", "fireworks", "王母渡烟花");
    let inspector = app.signed_in(Role::Inspector).await;
    let mut body = hazard_body(&plant);
    body["level"] = json!("major");
    let hazard = report(&app, &inspector.access, &body).await;
    let after = safeloop::db::now() + Duration::days(9);
    let done = tick(&app, after, None);
    assert_eq!((done.overdue, done.listed), (1, 0));
    let listed: Option<String> = hazards::table.find(hazard["id"].as_str().unwrap()).select(hazards::listed_level).first(&mut app.db()).unwrap();
    assert_eq!(listed, None);
});
