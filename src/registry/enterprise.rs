//! Enterprise rows (生产经营单位) and the scoped queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::db::DbConnection;
use crate::db::schema::enterprises;
use crate::error::ApiError;
use crate::pagination::Cursor;
use crate::registry::catalog::sector_and_children;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub id: String,
    pub credit_code: String,
    pub credit_code_override_reason: Option<String>,
    pub name: String,
    pub sector_code: String,
    pub region_code: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub risk_level: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub above_scale: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseChanges {
    pub credit_code: Option<String>,
    pub credit_code_override_reason: Option<Option<String>>,
    pub name: Option<String>,
    pub sector_code: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<Option<f64>>,
    pub longitude: Option<Option<f64>>,
    pub risk_level: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub above_scale: Option<bool>,
    pub version: Option<i64>,
    pub updated_at: Option<NaiveDateTime>,
}

type BoxedQuery<'a> = enterprises::BoxedQuery<'a, crate::db::DbBackend>;

/// Restricts a query on enterprises to what `scope` may see, inside the SQL.
pub fn scoped<'a>(query: BoxedQuery<'a>, scope: &Scope) -> BoxedQuery<'a> {
    crate::apply_scope!(
        query,
        scope,
        enterprise: enterprises::id,
        region: enterprises::region_code,
        sector: enterprises::sector_code
    )
}

/// Filters of the enterprise list.
#[derive(Debug, Default)]
pub struct EnterpriseFilter {
    /// A name fragment or a credit code.
    pub text: Option<String>,
    pub sector: Option<String>,
    pub region: Option<String>,
    pub risk_level: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

fn base() -> BoxedQuery<'static> {
    enterprises::table.into_boxed()
}

/// Newest first, `limit + 1` rows.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &EnterpriseFilter,
) -> Result<Vec<EnterpriseRow>, ApiError> {
    let mut query = scoped(base(), scope);
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            enterprises::name
                .like(pattern)
                .escape('\\')
                .or(enterprises::credit_code.eq(text.trim().to_ascii_uppercase())),
        );
    }
    if let Some(sector) = &filter.sector {
        query = query.filter(
            enterprises::sector_code.eq_any(sector_and_children(std::slice::from_ref(sector))),
        );
    }
    if let Some(region) = &filter.region {
        query = crate::apply_region!(query, enterprises::region_code, region);
    }
    if let Some(risk_level) = &filter.risk_level {
        query = query.filter(enterprises::risk_level.eq(risk_level.clone()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(enterprises::updated_at.gt(since));
    }
    if let Some(after) = &filter.after {
        // The plain bound lets the (created_at, id) index start at the cursor; the OR alone
        // would read every newer row again on each page.
        query = query.filter(enterprises::created_at.le(after.at)).filter(
            enterprises::created_at
                .lt(after.at)
                .or(enterprises::created_at
                    .eq(after.at)
                    .and(enterprises::id.lt(after.id.clone()))),
        );
    }
    Ok(query
        .order((enterprises::created_at.desc(), enterprises::id.desc()))
        .limit(filter.limit + 1)
        .select(EnterpriseRow::as_select())
        .load(conn)?)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The enterprise if `scope` may see it; 404 otherwise (existence is not revealed).
pub fn find_in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    id: &str,
) -> Result<EnterpriseRow, ApiError> {
    scoped(base(), scope)
        .filter(enterprises::id.eq(id.to_owned()))
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("enterprise"))
}

pub fn exists(conn: &mut DbConnection, id: &str) -> Result<bool, ApiError> {
    Ok(enterprises::table
        .find(id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

pub fn insert(conn: &mut DbConnection, row: &EnterpriseRow) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        diesel::insert_into(enterprises::table)
            .values(row)
            .execute(conn)?;
        touch(conn, row)
    })?;
    Ok(())
}

fn facts_of(row: &EnterpriseRow) -> crate::sync::log::Facts {
    crate::sync::log::Facts::of_enterprise(&row.id, &row.region_code, &row.sector_code)
}

fn touch(conn: &mut DbConnection, row: &EnterpriseRow) -> Result<(), diesel::result::Error> {
    use crate::sync::log::{self, Entity};
    log::touch(conn, Entity::Enterprise, &row.id, &facts_of(row))
}

/// Applies changes if the row is still at `current.version`; 412 otherwise.
pub fn update(
    conn: &mut DbConnection,
    current: &EnterpriseRow,
    mut changes: EnterpriseChanges,
) -> Result<EnterpriseRow, ApiError> {
    changes.version = Some(current.version + 1);
    changes.updated_at = Some(crate::db::now());
    conn.transaction(|conn| {
        let updated = diesel::update(
            enterprises::table
                .filter(enterprises::id.eq(&current.id))
                .filter(enterprises::version.eq(current.version)),
        )
        .set(&changes)
        .execute(conn)?;
        if updated == 0 {
            return Err(ApiError::PreconditionFailed(
                "the enterprise was changed meanwhile; read it again".into(),
            ));
        }
        let updated: EnterpriseRow = enterprises::table
            .find(&current.id)
            .select(EnterpriseRow::as_select())
            .first(conn)?;
        touch(conn, &updated)?;
        if facts_of(&updated) != facts_of(current) {
            // Moved: whoever saw it where it was is told to let it go.
            touch(conn, current)?;
        }
        if updated.name != current.name {
            // Its hazards' tasks carry the name.
            let hazard_ids: Vec<String> = crate::db::schema::hazards::table
                .filter(crate::db::schema::hazards::enterprise_id.eq(&current.id))
                .select(crate::db::schema::hazards::id)
                .load(conn)?;
            for hazard_id in hazard_ids {
                crate::sync::log::touch_hazard(conn, &hazard_id, false)?;
            }
        }
        Ok(updated)
    })
}
