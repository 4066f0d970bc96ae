//! Sign in, refresh, sign out, and the caller's own account.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sign_in::{self, Session};
use super::{AuthUser, password, session};
use crate::AppState;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::registry::user::{self, UserChanges};
use crate::registry::user_api::UserView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[schema(min_length = 1, max_length = 256)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    /// At least 10 characters, not the username.
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque; exchange it at `/auth/refresh` before it expires (30 days). Each use returns a
    /// new one and kills the old; presenting an old one signs out every device of that login.
    pub refresh_token: String,
    pub user: UserView,
}

impl From<Session> for TokenResponse {
    fn from(session: Session) -> Self {
        TokenResponse {
            access_token: session.access_token,
            token_type: "Bearer",
            expires_in: session.expires_in,
            refresh_token: session.refresh_token,
            user: session.user.into(),
        }
    }
}

/// The client's address for throttling: the peer, or `X-Forwarded-For` when configured.
pub fn client_addr(req: &HttpRequest, state: &AppState) -> String {
    let info = req.connection_info();
    let addr = if state.config.trust_forwarded_for {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    addr.unwrap_or("unknown").to_owned()
}

/// Sign in with username and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many failed attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    Json(body): Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let client = client_addr(&req, &state);
    let _permit = state.hashing_permit().await;
    let worker = state.clone();
    let session = db::run(&state.pool, move |conn| {
        let ttl = worker.config.refresh_token_ttl;
        sign_in::sign_in(
            conn,
            &worker.tokens,
            ttl,
            &body.username,
            &body.password,
            &client,
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse::from(session)))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    Json(body): Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let worker = state.clone();
    let session = db::run(&state.pool, move |conn| {
        sign_in::refresh(
            conn,
            &worker.tokens,
            worker.config.refresh_token_ttl,
            &body.refresh_token,
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse::from(session)))
}

/// Sign out: the refresh token (and every token rotated from the same login) stops working.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 204)))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    Json(body): Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    db::run(&state.pool, move |conn| {
        session::revoke_presented(conn, &body.refresh_token)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: role and scope.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, body = UserView), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = caller.id.to_string();
    let row = db::run(&state.pool, move |conn| user::find(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}

/// Change one's own password; signs out every other session.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 204), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let id = caller.id.to_string();
    let _permit = state.hashing_permit().await;
    db::run(&state.pool, move |conn| {
        use diesel::Connection;
        let current = user::find(conn, &id)?;
        if !password::verify(&body.old_password, &current.password_hash) {
            return Err(ApiError::validation(
                "old_password",
                "is not your current password",
            ));
        }
        if let Some(why) = password::weakness(&body.new_password, &current.username) {
            return Err(ApiError::validation("new_password", why));
        }
        let changes = UserChanges {
            password_hash: Some(password::hash(&body.new_password)),
            ..Default::default()
        };
        conn.transaction(|conn| {
            user::update(conn, &current, changes)?;
            session::revoke_all_for_user(conn, &current.id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
