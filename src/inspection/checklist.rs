//! Checklist rows (检查表) and their items.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{checklist_items, checklists};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checklists)]
pub struct ChecklistRow {
    pub id: String,
    pub sector_code: String,
    pub name: String,
    pub created_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checklist_items)]
pub struct ItemRow {
    pub checklist_id: String,
    pub position: i32,
    pub code: String,
    pub text: String,
    pub legal_basis: String,
    pub major: bool,
}

pub fn insert(
    conn: &mut DbConnection,
    checklist: &ChecklistRow,
    items: &[ItemRow],
) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        diesel::insert_into(checklists::table)
            .values(checklist)
            .execute(conn)?;
        // MultiConnection has no batch insert: one statement per item, in one transaction.
        for item in items {
            diesel::insert_into(checklist_items::table)
                .values(item)
                .execute(conn)?;
        }
        // A catalog: everyone's feed carries it.
        crate::sync::log::touch(
            conn,
            crate::sync::log::Entity::Checklist,
            &checklist.id,
            &crate::sync::log::Facts::default(),
        )?;
        Ok(())
    })
}

pub fn find(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(ChecklistRow, Vec<ItemRow>)>, ApiError> {
    let Some(checklist) = checklists::table
        .find(id)
        .select(ChecklistRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let items = items_of(conn, id)?;
    Ok(Some((checklist, items)))
}

pub fn items_of(conn: &mut DbConnection, checklist_id: &str) -> Result<Vec<ItemRow>, ApiError> {
    Ok(checklist_items::table
        .filter(checklist_items::checklist_id.eq(checklist_id))
        .order(checklist_items::position)
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// Checklists, optionally of one sector, newest first.
pub fn list(conn: &mut DbConnection, sector: Option<&str>) -> Result<Vec<ChecklistRow>, ApiError> {
    let mut query = checklists::table
        .select(ChecklistRow::as_select())
        .into_boxed();
    if let Some(sector) = sector {
        query = query.filter(checklists::sector_code.eq(sector.to_owned()));
    }
    Ok(query
        .order((checklists::created_at.desc(), checklists::id.desc()))
        .limit(500)
        .load(conn)?)
}
