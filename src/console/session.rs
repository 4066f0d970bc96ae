//! Console sign-ins: a random token in an HttpOnly cookie, only its SHA-256 in the database.
//! Each page reads the session and its user together, so sign-out, expiry and deactivation all
//! take effect at the next request.

use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{console_sessions, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::registry::user::UserRow;

/// The cookie that carries the session token.
pub const COOKIE: &str = "safeloop_session";
/// How long a sign-in lasts: one working day.
pub const LIFETIME_HOURS: i64 = 12;

#[derive(Insertable)]
#[diesel(table_name = console_sessions)]
struct NewSession<'a> {
    token_hash: String,
    user_id: &'a str,
    csrf_token: &'a str,
    created_at: chrono::NaiveDateTime,
    expires_at: chrono::NaiveDateTime,
}

/// A signed-in browser: who, and the token its forms must carry.
pub struct Signed {
    pub user: UserRow,
    pub csrf_token: String,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex::encode(bytes)
}

/// Opens a session for `user_id`; returns the cookie's token.
pub fn open(conn: &mut DbConnection, user_id: &str) -> Result<String, ApiError> {
    let token = random_token();
    let now = db::now();
    diesel::insert_into(console_sessions::table)
        .values(NewSession {
            token_hash: hash(&token),
            user_id,
            csrf_token: &random_token(),
            created_at: now,
            expires_at: now + Duration::hours(LIFETIME_HOURS),
        })
        .execute(conn)?;
    // Expired sessions of anyone are swept as new ones open: sign-ins are rare enough.
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.lt(now)))
        .execute(conn)?;
    Ok(token)
}

/// The live session of `token` with its active user, if there is one.
pub fn find(conn: &mut DbConnection, token: &str) -> Result<Option<Signed>, ApiError> {
    let found = console_sessions::table
        .inner_join(users::table)
        .filter(console_sessions::token_hash.eq(hash(token)))
        .filter(console_sessions::expires_at.gt(db::now()))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), console_sessions::csrf_token))
        .first::<(UserRow, String)>(conn)
        .optional()?;
    Ok(found.map(|(user, csrf_token)| Signed { user, csrf_token }))
}

/// Ends the session of `token`; the cookie is worthless afterwards, wherever it was copied.
pub fn close(conn: &mut DbConnection, token: &str) -> Result<(), ApiError> {
    diesel::delete(console_sessions::table.filter(console_sessions::token_hash.eq(hash(token))))
        .execute(conn)?;
    Ok(())
}

/// Ends every console session of a user (deactivation, a new password).
pub fn close_all_for_user(conn: &mut DbConnection, user_id: &str) -> Result<(), ApiError> {
    diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}
