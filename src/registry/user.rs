//! User rows and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

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

pub fn insert(conn: &mut DbConnection, user: &NewUser) -> Result<UserRow, ApiError> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    Ok(users::table
        .find(&user.id)
        .select(UserRow::as_select())
        .first(conn)?)
}

pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
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
