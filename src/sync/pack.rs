//! The offline pack: the catalogs a phone needs with no signal, in one answer. Sectors, the
//! regions of the caller's scope (and the ones above them, for names), and every checklist
//! with its items and legal basis.

use std::collections::{BTreeSet, HashMap};

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::scope::Scope;
use crate::db::DbConnection;
use crate::db::schema::{checklist_items, checklists, enterprises, regions};
use crate::error::ApiError;
use crate::inspection::checklist::{ChecklistRow, ItemRow};
use crate::inspection::checklist_api::{self, ChecklistView};
use crate::registry::catalog::{self, Region, Sector};

#[derive(Debug, Serialize, ToSchema)]
pub struct OfflinePack {
    pub sectors: Vec<Sector>,
    /// The regions the caller works in, and those above them; ordered by code.
    pub regions: Vec<Region>,
    /// Every checklist, oldest first, with its items.
    pub checklists: Vec<ChecklistView>,
}

pub fn build(conn: &mut DbConnection, scope: &Scope) -> Result<OfflinePack, ApiError> {
    Ok(OfflinePack {
        sectors: catalog::all_sectors(conn)?,
        regions: regions_of(conn, scope)?,
        checklists: all_checklists(conn)?,
    })
}

fn regions_of(conn: &mut DbConnection, scope: &Scope) -> Result<Vec<Region>, ApiError> {
    let prefix = match scope {
        Scope::Nothing => return Ok(Vec::new()),
        Scope::All => String::new(),
        Scope::Area { region_prefix, .. } => region_prefix.clone(),
        Scope::Enterprise(id) => enterprises::table
            .find(id)
            .select(enterprises::region_code)
            .first(conn)
            .optional()?
            .unwrap_or_default(),
    };
    let mut query = regions::table.select(Region::as_select()).into_boxed();
    if !prefix.is_empty() {
        query = crate::apply_region!(query, regions::code, &prefix);
    }
    let mut found: Vec<Region> = query.order(regions::code).load(conn)?;
    // The regions above, for their names: a township's county, city and province.
    let mut wanted: BTreeSet<String> = found.iter().filter_map(|r| r.parent_code.clone()).collect();
    let mut known: BTreeSet<String> = found.iter().map(|r| r.code.clone()).collect();
    while let Some(code) = wanted.iter().find(|c| !known.contains(*c)).cloned() {
        known.insert(code.clone());
        if let Some(region) = regions::table
            .find(&code)
            .select(Region::as_select())
            .first(conn)
            .optional()?
        {
            wanted.extend(region.parent_code.clone());
            found.push(region);
        }
    }
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}

fn all_checklists(conn: &mut DbConnection) -> Result<Vec<ChecklistView>, ApiError> {
    let rows: Vec<ChecklistRow> = checklists::table
        .order((checklists::created_at, checklists::id))
        .select(ChecklistRow::as_select())
        .load(conn)?;
    let items: Vec<ItemRow> = checklist_items::table
        .order((checklist_items::checklist_id, checklist_items::position))
        .select(ItemRow::as_select())
        .load(conn)?;
    let mut items_of: HashMap<String, Vec<ItemRow>> = HashMap::new();
    for item in items {
        items_of
            .entry(item.checklist_id.clone())
            .or_default()
            .push(item);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let items = items_of.remove(&row.id).unwrap_or_default();
            checklist_api::view(row, items)
        })
        .collect())
}
