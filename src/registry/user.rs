//! User rows and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;
use crate::text;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub enterprise_id: Option<String>,
    pub region_prefix: Option<String>,
    pub sectors: String,
    pub certificate_no: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub enterprise_id: Option<String>,
    pub region_prefix: Option<String>,
    pub sectors: String,
    pub certificate_no: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser {
    /// An active administrator with the given, already hashed, password.
    pub fn admin(username: &str, password_hash: String) -> Self {
        let now = db::now();
        NewUser {
            id: uuid::Uuid::now_v7().to_string(),
            username: username.to_owned(),
            password_hash,
            display_name: username.to_owned(),
            role: Role::Admin.as_str().to_owned(),
            enterprise_id: None,
            region_prefix: None,
            sectors: String::new(),
            certificate_no: None,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

diesel::define_sql_function! {
    /// SQL `lower`, which both backends have.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Stores a new user; a username that differs from a stored one only in case or width
/// (`text::username_key`) answers 409.
pub fn insert(conn: &mut DbConnection, user: &NewUser) -> Result<UserRow, ApiError> {
    if find_by_username(conn, &user.username)?.is_some() {
        return Err(ApiError::Conflict {
            code: "already_exists",
            detail: "a record with this `username` already exists (usernames ignore case)".into(),
        });
    }
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(users::table
        .find(&user.id)
        .select(UserRow::as_select())
        .first(conn)?)
}

/// The user whose name is `username` up to case and width, as sign-in and uniqueness see it.
pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(lower(users::username).eq(text::username_key(username)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn any_admin_exists(conn: &mut DbConnection) -> Result<bool, ApiError> {
    let count: i64 = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<UserRow, ApiError> {
    users::table
        .find(id)
        .filter(users::id.ne(SYSTEM_USER))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("user"))
}

/// Sectors are stored comma-separated; codes never contain commas.
pub fn sector_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Sectors are a set: stored sorted, each once.
pub fn sector_text(sectors: &[String]) -> String {
    let mut set: Vec<&str> = sectors.iter().map(String::as_str).collect();
    set.sort_unstable();
    set.dedup();
    set.join(",")
}

/// Filters of the user list.
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Newest first; fetches one row more than the limit so the caller knows a next page exists.
/// The user the server's own actions are recorded under (the scheduler's automatic listing);
/// made by migration 20, never signs in, and is no one's to administer.
pub const SYSTEM_USER: &str = "00000000-0000-0000-0000-000000000000";

pub fn list(conn: &mut DbConnection, filter: &UserFilter) -> Result<Vec<UserRow>, ApiError> {
    let mut query = users::table
        .filter(users::id.ne(SYSTEM_USER))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(after) = &filter.after {
        // The plain bound lets the (created_at, id) index start at the cursor; the OR alone
        // would read every newer row again on each page.
        query = query.filter(users::created_at.le(after.at)).filter(
            users::created_at.lt(after.at).or(users::created_at
                .eq(after.at)
                .and(users::id.lt(after.id.clone()))),
        );
    }
    Ok(query
        .order((users::created_at.desc(), users::id.desc()))
        .limit(filter.limit + 1)
        .load(conn)?)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub enterprise_id: Option<Option<String>>,
    pub region_prefix: Option<Option<String>>,
    pub sectors: Option<String>,
    pub certificate_no: Option<Option<String>>,
    pub active: Option<bool>,
    pub version: Option<i64>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Applies changes to a user read at `version`; 409 if somebody changed it meanwhile.
pub fn update(
    conn: &mut DbConnection,
    current: &UserRow,
    mut changes: UserChanges,
) -> Result<UserRow, ApiError> {
    changes.version = Some(current.version + 1);
    changes.updated_at = Some(db::now());
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(&current.id))
            .filter(users::version.eq(current.version)),
    )
    .set(&changes)
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::Conflict {
            code: "concurrent_update",
            detail: "the user was changed by someone else; read it again".into(),
        });
    }
    find(conn, &current.id)
}
