//! Refresh tokens: random, stored only as SHA-256, rotated on every use. A token presented a
//! second time means it was stolen, so its whole family (one login) is revoked.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{refresh_tokens, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::registry::user::UserRow;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshTokenRow {
    user_id: String,
    family_id: String,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshToken<'a> {
    id: String,
    user_id: &'a str,
    family_id: &'a str,
    token_hash: String,
    issued_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// What presenting a refresh token led to.
pub enum Rotation {
    /// The token was good: here is its successor and whom it belongs to.
    Rotated {
        user: Box<UserRow>,
        refresh_token: String,
    },
    /// Refused; the reason is safe to show.
    Refused(&'static str),
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts (with `family_id: None`) or continues a family; returns the token to hand out.
pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: Option<&str>,
    ttl: Duration,
) -> Result<String, ApiError> {
    let token = random_token();
    let now = db::now();
    let new_family = uuid::Uuid::now_v7().to_string();
    let row = NewRefreshToken {
        id: uuid::Uuid::now_v7().to_string(),
        user_id,
        family_id: family_id.unwrap_or(&new_family),
        token_hash: hash(&token),
        issued_at: now,
        expires_at: now + ttl,
    };
    diesel::insert_into(refresh_tokens::table)
        .values(&row)
        .execute(conn)?;
    Ok(token)
}

/// Exchanges a refresh token for its successor. Run inside a transaction: a reused token's
/// family revocation must be committed even though the answer is a refusal.
pub fn rotate(
    conn: &mut DbConnection,
    presented: &str,
    ttl: Duration,
) -> Result<Rotation, ApiError> {
    let now = db::now();
    // Claim the token first: the guarded update is the write that serialises two racing
    // refreshes, so exactly one of them wins.
    let claimed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash(presented)))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    let Some(row) = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash(presented)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(Rotation::Refused("the refresh token is not valid"));
    };
    if claimed == 0 {
        if row.revoked_at.is_none() && row.used_at.is_none() && row.expires_at <= now {
            return Ok(Rotation::Refused(
                "the refresh token has expired; sign in again",
            ));
        }
        if row.used_at.is_some() {
            revoke_family(conn, &row.family_id)?;
            tracing::warn!(family = %row.family_id, "refresh token reused; family revoked");
            return Ok(Rotation::Refused(
                "the refresh token was already used; sign in again",
            ));
        }
        return Ok(Rotation::Refused(
            "the refresh token has been revoked; sign in again",
        ));
    }
    let user: UserRow = users::table
        .find(&row.user_id)
        .select(UserRow::as_select())
        .first(conn)?;
    if !user.active {
        revoke_family(conn, &row.family_id)?;
        return Ok(Rotation::Refused("the account is deactivated"));
    }
    let refresh_token = issue(conn, &user.id, Some(&row.family_id), ttl)?;
    Ok(Rotation::Rotated {
        user: Box::new(user),
        refresh_token,
    })
}

/// Revokes the family the presented token belongs to (logout). Unknown tokens are ignored.
pub fn revoke_presented(conn: &mut DbConnection, presented: &str) -> Result<(), ApiError> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash(presented)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family)?;
    }
    Ok(())
}

fn revoke_family(conn: &mut DbConnection, family_id: &str) -> Result<(), ApiError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)?;
    Ok(())
}

/// Revokes every refresh token and console session of a user (deactivation, password change).
pub fn revoke_all_for_user(conn: &mut DbConnection, user_id: &str) -> Result<(), ApiError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)?;
    // The console's sign-ins too: a deactivated user made active again, or one whose password
    // was reset, starts from the sign-in page.
    crate::console::session::close_all_for_user(conn, user_id)
}
