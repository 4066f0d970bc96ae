//! The morning digest: once a day, from `DIGEST_HOUR` China Standard Time, each work-chat robot
//! gets what waits in its scope (open hazards and how many are overdue, proof to re-check,
//! closures, extension requests, overdue major hazards not yet listed). A row per robot and
//! day, written with the delivery, makes it once however many nodes run the scheduler.

use chrono::{Datelike, FixedOffset, NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde_json::json;

use super::dispatch;
use super::endpoints::{self, EndpointKind, EndpointRow};
use super::tasks::{TaskKind, count_of};
use crate::auth::scope::Scope;
use crate::db::schema::{daily_digests, hazards};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;

/// The hour (China Standard Time) from which the day's digest goes out.
pub const DIGEST_HOUR: u32 = 8;

/// Sends today's digest to every robot that has not had it; how many were sent.
pub fn send_due(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, ApiError> {
    let local = now
        .and_utc()
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid"));
    if local.hour() < DIGEST_HOUR {
        return Ok(0);
    }
    let day = local.date_naive().to_string();
    let robots: Vec<EndpointRow> = endpoints::enabled(conn)?
        .into_iter()
        .filter(|e| e.kind() != EndpointKind::Standard)
        .collect();
    let mut sent = 0;
    for robot in robots {
        let scope = Scope::Area {
            region_prefix: robot.region_prefix.clone().unwrap_or_default(),
            sectors: robot.sector_list(),
        };
        let made = conn.transaction(|conn| {
            diesel::insert_into(daily_digests::table)
                .values((
                    daily_digests::endpoint_id.eq(&robot.id),
                    daily_digests::day.eq(&day),
                    daily_digests::sent_at.eq(now),
                ))
                .execute(conn)?;
            let mut counts = serde_json::Map::new();
            for kind in [
                TaskKind::SubmitRectification,
                TaskKind::Verify,
                TaskKind::DecideClosure,
                TaskKind::DecideExtension,
                TaskKind::SetListing,
            ] {
                counts.insert(
                    serde_json::to_value(kind)
                        .map_err(ApiError::internal)?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    json!(count_of(conn, &scope, kind, now)?),
                );
            }
            let overdue: i64 = crate::apply_scope!(
                hazards::table.into_boxed::<DbBackend>(),
                &scope,
                enterprise: hazards::enterprise_id,
                region: hazards::region_code,
                sector: hazards::sector_code
            )
            .filter(hazards::status.eq("open"))
            .filter(hazards::deadline.lt(now))
            .count()
            .get_result(conn)?;
            let data = json!({
                "day": day, "month": local.month(), "date": local.day(),
                "overdue": overdue, "waiting": counts,
                "region_prefix": robot.region_prefix,
            });
            let body = dispatch::standard_body("digest", now, data);
            let event_id = format!("digest_{}_{day}", robot.id);
            dispatch::new_delivery(conn, &robot.id, &event_id, "digest", &body, now)?;
            Ok::<_, ApiError>(())
        });
        match made {
            Ok(()) => sent += 1,
            // Another node sent it first.
            Err(ApiError::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(sent)
}
