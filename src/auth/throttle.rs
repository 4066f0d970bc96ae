//! Login throttling: failed attempts are rows in the database, so every API process behind a
//! load balancer counts the same attempts.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use crate::db::schema::login_failures;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// The window failures are counted in.
pub const WINDOW_MINUTES: i64 = 15;
/// Failures for one username within the window before it is refused.
pub const MAX_PER_USERNAME: i64 = 5;
/// Failures from one client address within the window before it is refused.
pub const MAX_PER_CLIENT: i64 = 20;

/// Refuses with 429 and the seconds until the oldest counted failure leaves the window.
pub fn check(conn: &mut DbConnection, username: &str, client_addr: &str) -> Result<(), ApiError> {
    let now = db::now();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let (by_user, oldest_user): (i64, Option<NaiveDateTime>) = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::attempted_at.gt(since))
        .select((count_star(), min(login_failures::attempted_at)))
        .first(conn)?;
    let (by_client, oldest_client): (i64, Option<NaiveDateTime>) = login_failures::table
        .filter(login_failures::client_addr.eq(client_addr))
        .filter(login_failures::attempted_at.gt(since))
        .select((count_star(), min(login_failures::attempted_at)))
        .first(conn)?;
    let blocked_since = match (by_user >= MAX_PER_USERNAME, by_client >= MAX_PER_CLIENT) {
        (true, true) => oldest_user.max(oldest_client),
        (true, false) => oldest_user,
        (false, true) => oldest_client,
        (false, false) => return Ok(()),
    };
    let until = blocked_since.unwrap_or(now) + Duration::minutes(WINDOW_MINUTES);
    let retry_after_secs = (until - now).num_seconds().max(1) as u64;
    Err(ApiError::TooManyRequests { retry_after_secs })
}

pub fn record_failure(
    conn: &mut DbConnection,
    username: &str,
    client_addr: &str,
) -> Result<(), ApiError> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(uuid::Uuid::now_v7().to_string()),
            login_failures::username.eq(username),
            login_failures::client_addr.eq(client_addr),
            login_failures::attempted_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A success clears the username's failures (the client's stay counted).
pub fn record_success(conn: &mut DbConnection, username: &str) -> Result<(), ApiError> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username)))
        .execute(conn)?;
    Ok(())
}
