//! Signing in, refreshing and signing out: the session side of identity.

use std::time::Duration;

use diesel::Connection;

use super::token::{Claims, TokenKeys};
use super::{Role, password, session, throttle};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::registry::user::{self, UserRow};

/// A fresh access token and refresh token for a user.
pub struct Session {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: UserRow,
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthenticated {
        code: "invalid_credentials",
        detail: "the username or password is wrong, or the account is deactivated".into(),
    }
}

/// Checks the password (argon2: call off the workers) and opens a session.
pub fn sign_in(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    username: &str,
    password_given: &str,
    client_addr: &str,
) -> Result<Session, ApiError> {
    let user = check_credentials(conn, username, password_given, client_addr)?;
    let refresh_token = session::issue(conn, &user.id, None, refresh_ttl)?;
    Ok(open(keys, user, refresh_token))
}

/// The user whose password this is, counted by the throttle either way: the one check of
/// credentials the API and the console share (argon2: call off the workers).
pub fn check_credentials(
    conn: &mut DbConnection,
    username: &str,
    password_given: &str,
    client_addr: &str,
) -> Result<UserRow, ApiError> {
    if username.chars().count() > 64 || password_given.chars().count() > password::MAX_LENGTH {
        return Err(ApiError::validation(
            "username",
            "username or password is too long",
        ));
    }
    // `Admin` and `ａｄｍｉｎ` are `admin`, for sign-in and for the throttle's count alike.
    let username = &crate::text::username_key(username);
    throttle::check(conn, username, client_addr)?;
    let found = user::find_by_username(conn, username)?;
    // An unknown user costs one argon2 verification too, so timing does not reveal who exists.
    let stored = found
        .as_ref()
        .map_or(password::decoy_hash(), |u| u.password_hash.as_str());
    let matches = password::verify(password_given, stored);
    match found {
        Some(user) if matches && user.active => {
            throttle::record_success(conn, username)?;
            Ok(user)
        }
        _ => {
            throttle::record_failure(conn, username, client_addr)?;
            Err(invalid_credentials())
        }
    }
}

/// Rotates a refresh token into a new session.
pub fn refresh(
    conn: &mut DbConnection,
    keys: &TokenKeys,
    refresh_ttl: Duration,
    presented: &str,
) -> Result<Session, ApiError> {
    let rotation = conn.transaction(|conn| session::rotate(conn, presented, refresh_ttl))?;
    match rotation {
        session::Rotation::Rotated {
            user,
            refresh_token,
        } => Ok(open(keys, *user, refresh_token)),
        session::Rotation::Refused(why) => Err(ApiError::Unauthenticated {
            code: "invalid_refresh_token",
            detail: why.into(),
        }),
    }
}

fn open(keys: &TokenKeys, user: UserRow, refresh_token: String) -> Session {
    let claims = Claims {
        sub: user.id.clone(),
        role: Role::parse(&user.role).expect("roles are checked by the database"),
        enterprise_id: user.enterprise_id.clone(),
        region_prefix: user.region_prefix.clone(),
        sectors: user::sector_list(&user.sectors),
        iat: 0,
        exp: 0,
        jti: String::new(),
        iss: String::new(),
        aud: String::new(),
    };
    let access_token = keys.issue(claims, chrono::Utc::now().timestamp());
    Session {
        access_token,
        expires_in: keys.ttl_secs(),
        refresh_token,
        user,
    }
}
