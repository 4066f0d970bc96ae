//! The user administration endpoints (admin only) and the user's public shape.

use actix_web::{HttpResponse, get, http::header, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::enterprise;
use super::user::{self, NewUser, UserChanges, UserFilter, UserRow};
use super::user_rules::{UserScope, display_name_error, scope_errors, username_error};
use crate::AppState;
use crate::auth::{AuthUser, Role, password, session};
use crate::db;
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{Json, double_option};
use crate::ids::UserId;
use crate::pagination::{self, Cursor};
use crate::text;

/// A user as the API shows it; never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub enterprise_id: Option<String>,
    /// GB/T 2260 code prefix of the area an inspector or supervisor covers.
    pub region_prefix: Option<String>,
    /// Sector codes the user is limited to; empty means all sectors in the region.
    pub sectors: Vec<String>,
    /// Enforcement certificate number (执法证号) of an inspector.
    pub certificate_no: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        UserView {
            id: row.id.parse().expect("user ids are UUIDs"),
            sectors: user::sector_list(&row.sectors),
            role: Role::parse(&row.role).expect("roles are checked by the database"),
            username: row.username,
            display_name: row.display_name,
            enterprise_id: row.enterprise_id,
            region_prefix: row.region_prefix,
            certificate_no: row.certificate_no,
            active: row.active,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3-64 letters, digits and `.` `_` `@` `-`; unique whatever its case (`Li.Wei` and
    /// `li.wei` are one user), and signed in with in any case.
    #[schema(pattern = "^[A-Za-z0-9._@-]{3,64}$", min_length = 3, max_length = 64)]
    pub username: String,
    /// At least 10 characters, not the username.
    #[schema(min_length = 10)]
    pub password: String,
    /// 1-100 characters of plain text.
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    pub role: Role,
    /// The enterprise of an `enterprise` user; only they have one.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub enterprise_id: Option<String>,
    /// For inspectors and supervisors: the GB/T 2260 code prefix they cover (2-12 digits).
    #[schema(pattern = "^[0-9]{2,12}$")]
    pub region_prefix: Option<String>,
    /// For inspectors and supervisors: sector codes they are limited to (a set; at most 64).
    pub sectors: Option<Vec<String>>,
    /// An inspector's enforcement certificate number (执法证号).
    pub certificate_no: Option<String>,
}

/// Fields to change; absent fields stay. `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub enterprise_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub region_prefix: Option<Option<String>>,
    pub sectors: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub certificate_no: Option<Option<String>>,
    /// `false` deactivates the user and revokes their refresh tokens.
    pub active: Option<bool>,
    /// A new password (reset by the admin); revokes the user's refresh tokens.
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// Create a user.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, body = UserView),
        (status = 409, description = "username taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let _permit = state.hashing_permit().await;
    let created = db::run(&state.pool, move |conn| register(conn, body)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.id)))
        .json(UserView::from(created)))
}

/// Checks and stores a new user (argon2 inside: call off the workers, holding a hashing
/// permit): the one way in, for the API and the console alike.
pub fn register(conn: &mut crate::db::DbConnection, body: CreateUser) -> Result<UserRow, ApiError> {
    let mut body = body;
    body.username = text::fold_username(&body.username);
    let sectors = body.sectors.clone().unwrap_or_default();
    let mut errors: Vec<FieldError> = [
        username_error(&body.username),
        display_name_error(&body.display_name),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(why) = password::weakness(&body.password, &body.username) {
        errors.push(FieldError::new("password", why));
    }
    errors.extend(scope_errors(&UserScope {
        role: body.role,
        enterprise_id: body.enterprise_id.as_deref(),
        region_prefix: body.region_prefix.as_deref(),
        sectors: &sectors,
        certificate_no: body.certificate_no.as_deref(),
    }));
    ApiError::check_fields(errors)?;
    // An officer's name and certificate are printed on the papers they sign.
    crate::documents::fonts::printable(&[
        ("display_name", Some(&body.display_name)),
        ("certificate_no", body.certificate_no.as_deref()),
    ])?;
    if let Some(enterprise_id) = &body.enterprise_id {
        require_enterprise(conn, enterprise_id)?;
    }
    let now = db::now();
    let new_user = NewUser {
        id: UserId::new().to_string(),
        username: body.username,
        password_hash: password::hash(&body.password),
        display_name: body.display_name.trim().to_owned(),
        role: body.role.as_str().to_owned(),
        enterprise_id: body.enterprise_id,
        region_prefix: body.region_prefix,
        sectors: user::sector_text(&sectors),
        certificate_no: body.certificate_no.map(|c| c.trim().to_owned()),
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    user::insert(conn, &new_user)
}

/// List users, newest first.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses((status = 200, body = UserPage)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let query = query.into_inner();
    let filter = UserFilter {
        role: query.role,
        active: query.active,
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit: pagination::limit(query.limit)?,
    };
    let rows = db::run(&state.pool, move |conn| user::list(conn, &filter)).await?;
    let limit = pagination::limit(query.limit)?;
    let (rows, next_cursor) = pagination::finish(rows, limit, |row| Cursor {
        at: row.created_at,
        id: row.id.clone(),
    });
    Ok(HttpResponse::Ok().json(UserPage {
        items: rows.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// Read one user.
#[utoipa::path(
    tag = "users",
    params(("id" = UserId, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = id.into_inner().to_string();
    let row = db::run(&state.pool, move |conn| user::find(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(row)))
}

/// Change a user's name, role, scope, active flag or password.
#[utoipa::path(
    tag = "users",
    params(("id" = UserId, Path)),
    request_body = UserPatch,
    responses(
        (status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<UserId>,
    Json(patch): Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = id.into_inner().to_string();
    let _permit = match patch.password {
        Some(_) => Some(state.hashing_permit().await),
        None => None,
    };
    let updated = db::run(&state.pool, move |conn| change(conn, &id, patch)).await?;
    Ok(HttpResponse::Ok().json(UserView::from(updated)))
}

/// Applies an admin's patch to a user; deactivation and a new password revoke their tokens.
pub fn change(
    conn: &mut crate::db::DbConnection,
    id: &str,
    patch: UserPatch,
) -> Result<UserRow, ApiError> {
    use diesel::Connection;
    conn.transaction(|conn| {
        let current = user::find(conn, id)?;
        if let Some(Some(enterprise_id)) = &patch.enterprise_id {
            require_enterprise(conn, enterprise_id)?;
        }
        let changes = changes_for(&current, patch)?;
        let revoke = changes.password_hash.is_some() || changes.active == Some(false);
        let updated = user::update(conn, &current, changes)?;
        if revoke {
            session::revoke_all_for_user(conn, &updated.id)?;
        }
        Ok(updated)
    })
}

fn require_enterprise(conn: &mut crate::db::DbConnection, id: &str) -> Result<(), ApiError> {
    if enterprise::exists(conn, id)? {
        Ok(())
    } else {
        Err(ApiError::validation(
            "enterprise_id",
            "is not a registered enterprise",
        ))
    }
}

/// Checks the patched user as a whole and turns the patch into column changes.
fn changes_for(current: &UserRow, patch: UserPatch) -> Result<UserChanges, ApiError> {
    let role = patch
        .role
        .unwrap_or_else(|| Role::parse(&current.role).expect("valid role"));
    let enterprise_id = patch
        .enterprise_id
        .clone()
        .unwrap_or_else(|| current.enterprise_id.clone());
    let region_prefix = patch
        .region_prefix
        .clone()
        .unwrap_or_else(|| current.region_prefix.clone());
    let sectors = patch
        .sectors
        .clone()
        .unwrap_or_else(|| user::sector_list(&current.sectors));
    let certificate_no = patch
        .certificate_no
        .clone()
        .unwrap_or_else(|| current.certificate_no.clone());
    let mut errors = scope_errors(&UserScope {
        role,
        enterprise_id: enterprise_id.as_deref(),
        region_prefix: region_prefix.as_deref(),
        sectors: &sectors,
        certificate_no: certificate_no.as_deref(),
    });
    if let Some(name) = &patch.display_name {
        errors.extend(display_name_error(name));
    }
    if let Some(new_password) = &patch.password
        && let Some(why) = password::weakness(new_password, &current.username)
    {
        errors.push(FieldError::new("password", why));
    }
    ApiError::check_fields(errors)?;
    crate::documents::fonts::printable(&[
        ("display_name", patch.display_name.as_deref()),
        ("certificate_no", certificate_no.as_deref()),
    ])?;
    Ok(UserChanges {
        password_hash: patch.password.as_deref().map(password::hash),
        display_name: patch.display_name.map(|n| n.trim().to_owned()),
        role: patch.role.map(|r| r.as_str().to_owned()),
        enterprise_id: patch.enterprise_id,
        region_prefix: patch.region_prefix,
        sectors: patch.sectors.map(|s| user::sector_text(&s)),
        certificate_no: patch.certificate_no,
        active: patch.active,
        ..UserChanges::default()
    })
}
