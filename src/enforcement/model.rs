//! Enforcement action rows, their linked hazards, and the scoped queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::db::schema::{enforcement_action_hazards, enforcement_actions};
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::pagination::Cursor;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enforcement_actions)]
pub struct ActionRow {
    pub id: String,
    pub kind: String,
    pub issuing_body: String,
    pub issued_year: i32,
    pub document_no: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub sector_code: String,
    pub inspection_id: Option<String>,
    pub fine_fen: Option<i64>,
    pub notified_at: Option<NaiveDateTime>,
    pub hearing_requested: Option<bool>,
    pub summary: String,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
    pub request_hash: String,
    pub created_at: NaiveDateTime,
    pub hearing_held_at: Option<NaiveDateTime>,
}

/// An action with the hazards it answers.
pub struct Action {
    pub row: ActionRow,
    pub hazard_ids: Vec<String>,
}

type BoxedQuery<'a> = enforcement_actions::BoxedQuery<'a, DbBackend>;

pub fn scoped<'a>(scope: &Scope) -> BoxedQuery<'a> {
    crate::apply_scope!(
        enforcement_actions::table.into_boxed(),
        scope,
        enterprise: enforcement_actions::enterprise_id,
        region: enforcement_actions::region_code,
        sector: enforcement_actions::sector_code
    )
}

/// Stores the action and its hazard links; call inside a transaction.
pub fn insert(
    conn: &mut DbConnection,
    row: &ActionRow,
    hazard_ids: &[String],
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(enforcement_actions::table)
        .values(row)
        .execute(conn)?;
    for hazard_id in hazard_ids {
        diesel::insert_into(enforcement_action_hazards::table)
            .values((
                enforcement_action_hazards::action_id.eq(&row.id),
                enforcement_action_hazards::hazard_id.eq(hazard_id),
            ))
            .execute(conn)?;
    }
    let facts = crate::sync::log::Facts::of_enterprise(
        &row.enterprise_id,
        &row.region_code,
        &row.sector_code,
    );
    crate::sync::log::touch(
        conn,
        crate::sync::log::Entity::EnforcementAction,
        &row.id,
        &facts,
    )?;
    Ok(())
}

/// Whatever the scope: for telling a replayed create from a clashing one.
pub fn find_any(conn: &mut DbConnection, id: &str) -> Result<Option<ActionRow>, ApiError> {
    Ok(enforcement_actions::table
        .find(id)
        .select(ActionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_in_scope(conn: &mut DbConnection, scope: &Scope, id: &str) -> Result<Action, ApiError> {
    let row = scoped(scope)
        .filter(enforcement_actions::id.eq(id.to_owned()))
        .select(ActionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("enforcement action"))?;
    complete(conn, row)
}

/// The ones of `ids` in `scope`, complete.
pub fn in_scope(
    conn: &mut DbConnection,
    scope: &Scope,
    ids: Vec<String>,
) -> Result<Vec<Action>, ApiError> {
    let rows: Vec<ActionRow> = scoped(scope)
        .filter(enforcement_actions::id.eq_any(ids))
        .select(ActionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

pub fn complete(conn: &mut DbConnection, row: ActionRow) -> Result<Action, ApiError> {
    let hazard_ids = enforcement_action_hazards::table
        .filter(enforcement_action_hazards::action_id.eq(&row.id))
        .order(enforcement_action_hazards::hazard_id)
        .select(enforcement_action_hazards::hazard_id)
        .load(conn)?;
    Ok(Action { row, hazard_ids })
}

#[derive(Debug, Default, Clone)]
pub struct ActionFilter {
    pub kind: Option<String>,
    pub enterprise_id: Option<String>,
    pub hazard_id: Option<String>,
    pub sector: Option<String>,
    pub region: Option<String>,
    pub issued_from: Option<NaiveDateTime>,
    pub issued_to: Option<NaiveDateTime>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Newest first, `limit + 1` rows.
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &ActionFilter,
) -> Result<Vec<ActionRow>, ApiError> {
    use enforcement_actions as ea;
    let mut query = scoped(scope);
    if let Some(kind) = &filter.kind {
        query = query.filter(ea::kind.eq(kind.clone()));
    }
    if let Some(enterprise_id) = &filter.enterprise_id {
        query = query.filter(ea::enterprise_id.eq(enterprise_id.clone()));
    }
    if let Some(hazard_id) = &filter.hazard_id {
        query = query.filter(
            ea::id.eq_any(
                enforcement_action_hazards::table
                    .filter(enforcement_action_hazards::hazard_id.eq(hazard_id.clone()))
                    .select(enforcement_action_hazards::action_id),
            ),
        );
    }
    if let Some(sector) = &filter.sector {
        let codes = crate::registry::catalog::sector_and_children(std::slice::from_ref(sector));
        query = query.filter(ea::sector_code.eq_any(codes));
    }
    if let Some(region) = &filter.region {
        query = crate::apply_region!(query, ea::region_code, region);
    }
    if let Some(from) = filter.issued_from {
        query = query.filter(ea::issued_at.ge(from));
    }
    if let Some(to) = filter.issued_to {
        query = query.filter(ea::issued_at.lt(to));
    }
    if let Some(after) = &filter.after {
        // The plain bound lets the (created_at, id) index start at the cursor; the OR alone
        // would read every newer row again on each page.
        query = query.filter(ea::created_at.le(after.at)).filter(
            ea::created_at
                .lt(after.at)
                .or(ea::created_at.eq(after.at).and(ea::id.lt(after.id.clone()))),
        );
    }
    Ok(query
        .order((ea::created_at.desc(), ea::id.desc()))
        .limit(filter.limit + 1)
        .select(ActionRow::as_select())
        .load(conn)?)
}
