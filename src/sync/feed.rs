//! One page of the sync feed: which log rows speak to the caller, and what each one says.
//!
//! A pass reads the log from the checkpoint's cursor to the settled horizon. Each row the
//! caller's scope covers names an entity; the entity goes out as `put` (its current
//! representation) if the caller may see it now, else as `remove`. An entity goes out once per
//! pass, at its last row the pass will read, so a page never repeats what a later page says.
//!
//! When the caller's scope changed since the checkpoint, the pass first walks the log already
//! read (up to the cursor) for rows that one scope covers and the other does not: removes for
//! what left, puts for what came in; then it goes on reading, with both scopes, to the end.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::Bool;
use serde_json::Value;

use super::checkpoint::{Checkpoint, Rescan};
use super::entities;
use super::log::{self, Entity, Key, LogRow};
use crate::auth::AuthUser;
use crate::auth::scope::{Scope, region_range};
use crate::db::schema::sync_changes;
use crate::db::{DbBackend, DbConnection};
use crate::error::ApiError;
use crate::registry::catalog::sector_and_children;

/// A condition on log rows, inside the SQL.
pub type RowFilter = Box<dyn BoxableExpression<sync_changes::table, DbBackend, SqlType = Bool>>;

/// The rows `scope` covers, and the private rows of `caller`: the same rule as the scope of
/// the tables themselves (`apply_scope!`), over the facts each row was logged with.
pub fn relevant(scope: &Scope, caller: &str) -> RowFilter {
    let shared = sync_changes::owner_id.eq("");
    let everyone = sync_changes::enterprise_id.eq("");
    let in_scope: RowFilter = match scope {
        Scope::All => Box::new(diesel::dsl::sql::<Bool>("1 = 1")),
        Scope::Nothing => Box::new(everyone),
        Scope::Enterprise(id) => Box::new(everyone.or(sync_changes::enterprise_id.eq(id.clone()))),
        Scope::Area {
            region_prefix,
            sectors,
        } => {
            let (low, high) = region_range(region_prefix);
            let region: RowFilter = match high {
                Some(high) => Box::new(
                    sync_changes::region_code
                        .ge(low)
                        .and(sync_changes::region_code.lt(high)),
                ),
                None => Box::new(sync_changes::region_code.ge(low)),
            };
            let area: RowFilter = if sectors.is_empty() {
                region
            } else {
                Box::new(region.and(sync_changes::sector_code.eq_any(sector_and_children(sectors))))
            };
            Box::new(everyone.or(area))
        }
    };
    Box::new(
        shared
            .and(in_scope)
            .or(sync_changes::owner_id.eq(caller.to_owned())),
    )
}

fn either(a: RowFilter, b: RowFilter) -> RowFilter {
    Box::new(a.or(b))
}

/// One change as the app applies it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Change {
    pub entity: Entity,
    pub op: Op,
    /// The entity's id (for `task`, the hazard's).
    pub id: String,
    /// The entity's own version where it has one (`ETag` of its GET), else absent.
    pub version: Option<i64>,
    /// For `put`: the entity as its GET answers it (`task`: `{hazard_id, tasks}`, the
    /// caller's tasks on the hazard as `/me/tasks` lists them). Absent for `remove`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Put,
    Remove,
}

/// A page and where the next one starts.
pub struct Page {
    pub changes: Vec<Change>,
    pub checkpoint: Checkpoint,
    pub has_more: bool,
}

/// Reads the page after `checkpoint` for `caller`, at most `limit` log rows.
pub fn page(
    conn: &mut DbConnection,
    caller: &AuthUser,
    mut checkpoint: Checkpoint,
    limit: i64,
    now: chrono::NaiveDateTime,
) -> Result<Page, ApiError> {
    let me = caller.id.to_string();
    let scope = Scope::of(caller);
    checkpoint.check_reachable(log::last_key(conn)?)?;
    checkpoint.follow_role(caller.role)?;
    checkpoint.follow_scope(&scope)?;
    let horizon = log::settled_horizon(conn)?;
    if checkpoint.fresh && checkpoint.fresh_until.is_none() {
        // What a first pass reads up to here, the app has never held: no removes for it.
        checkpoint.fresh_until = Some(log::last_settled_key(conn, horizon)?);
    }
    let never_held = checkpoint.fresh_until;
    // The pass as it stood when this page began: which rows it reads again, with which scopes.
    let pass = Pass {
        scope: scope.clone(),
        previous: checkpoint.previous.clone(),
        rescan_upto: checkpoint.rescan.as_ref().map(|r| r.upto),
        horizon,
    };

    let (rows, has_more) = if let Some(rescan) = checkpoint.rescan.clone() {
        let old = pass.previous.clone().expect("a rescan keeps the old scope");
        let mut rows = log::read(
            conn,
            rescan.after,
            Some(rescan.upto),
            horizon,
            pass.relevant(&me),
            limit + 1,
        )?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let positions: Vec<i64> = rows.iter().map(|r| r.position).collect();
        let covered_old = covered(conn, &positions, relevant(&old, &me))?;
        let covered_now = covered(conn, &positions, relevant(&scope, &me))?;
        checkpoint.rescan = match (more, rows.last()) {
            (true, Some(last)) => Some(Rescan {
                after: last.key(),
                upto: rescan.upto,
            }),
            _ => None,
        };
        let differing = rows
            .into_iter()
            .filter(|r| covered_old.contains(&r.position) != covered_now.contains(&r.position))
            .collect();
        (differing, true)
    } else {
        let mut rows = log::read(
            conn,
            checkpoint.cursor,
            None,
            horizon,
            pass.relevant(&me),
            limit + 1,
        )?;
        let mut more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if let Some(last) = rows.last() {
            checkpoint.cursor = last.key();
        }
        if !more {
            // Committed rows behind an older open transaction: not readable yet, not missed.
            more = log::any_unsettled(conn, checkpoint.cursor, horizon, pass.relevant(&me))?;
        }
        if !more {
            // Every settled row has been considered: the next pass starts after all of them,
            // not after the caller's last one, so it does not read the others again.
            checkpoint.cursor = checkpoint.cursor.max(log::last_settled_key(conn, horizon)?);
            // The pass is complete: from here on the app's copy is the view of this scope.
            checkpoint.previous = None;
            checkpoint.fresh = false;
            checkpoint.fresh_until = None;
        }
        (rows, more)
    };

    let rows = last_in_pass(conn, rows, &pass, &me)?;
    let mut changes = describe(conn, caller, &scope, &rows, now)?;
    if let Some(until) = never_held {
        let keys: std::collections::HashMap<(Entity, &str), Key> = rows
            .iter()
            .filter_map(|r| Entity::parse(&r.entity).map(|e| ((e, r.entity_id.as_str()), r.key())))
            .collect();
        changes.retain(|change| {
            let entity = if change.entity == Entity::Task {
                Entity::Hazard
            } else {
                change.entity
            };
            change.op == Op::Put
                || keys
                    .get(&(entity, change.id.as_str()))
                    .is_none_or(|key| *key > until)
        });
    }
    Ok(Page {
        changes,
        checkpoint,
        has_more,
    })
}

/// A pass as it stood when a page began.
struct Pass {
    scope: Scope,
    /// The scope before a change, while the pass that follows it runs.
    previous: Option<Scope>,
    /// Rows up to here are being walked again after a scope change.
    rescan_upto: Option<Key>,
    horizon: i64,
}

impl Pass {
    /// The rows the pass reads: those either scope covers.
    fn relevant(&self, me: &str) -> RowFilter {
        match &self.previous {
            Some(old) => either(relevant(&self.scope, me), relevant(old, me)),
            None => relevant(&self.scope, me),
        }
    }
}

/// Which of these log rows the filter keeps.
fn covered(
    conn: &mut DbConnection,
    positions: &[i64],
    filter: RowFilter,
) -> Result<HashSet<i64>, ApiError> {
    if positions.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(sync_changes::table
        .filter(sync_changes::position.eq_any(positions.to_vec()))
        .filter(filter)
        .select(sync_changes::position)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Drops the rows whose entity a later row of this pass will speak for.
fn last_in_pass(
    conn: &mut DbConnection,
    rows: Vec<LogRow>,
    pass: &Pass,
    me: &str,
) -> Result<Vec<LogRow>, ApiError> {
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.entity_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let all = log::rows_of(conn, &ids)?;
    let positions: Vec<i64> = all.iter().map(|r| r.position).collect();
    let now_covers = covered(conn, &positions, relevant(&pass.scope, me))?;
    let old_covers = match &pass.previous {
        Some(old) => covered(conn, &positions, relevant(old, me))?,
        None => HashSet::new(),
    };
    // Whether the pass will read this row and speak for its entity there: in the rows walked
    // again, only where the two scopes differ; after them, wherever either covers it.
    let speaks = |row: &LogRow| -> bool {
        if row.commit_order >= pass.horizon {
            return false;
        }
        let now = now_covers.contains(&row.position);
        let old = old_covers.contains(&row.position);
        match pass.rescan_upto {
            Some(upto) if row.key() <= upto => now != old,
            _ => now || old,
        }
    };
    let mut latest: HashMap<(&str, &str), Key> = HashMap::new();
    for row in all.iter().filter(|r| speaks(r)) {
        let entry = latest
            .entry((row.entity.as_str(), row.entity_id.as_str()))
            .or_insert(row.key());
        *entry = (*entry).max(row.key());
    }
    let mut seen = HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|row| {
            let last = latest
                .get(&(row.entity.as_str(), row.entity_id.as_str()))
                .copied();
            last.is_none_or(|last| last <= row.key())
                && seen.insert((row.entity.clone(), row.entity_id.clone()))
        })
        .collect())
}

/// The changes these rows announce, in log order, each entity read as the caller sees it now.
fn describe(
    conn: &mut DbConnection,
    caller: &AuthUser,
    scope: &Scope,
    rows: &[LogRow],
    now: chrono::NaiveDateTime,
) -> Result<Vec<Change>, ApiError> {
    let mut by_entity: HashMap<Entity, Vec<String>> = HashMap::new();
    for row in rows {
        if let Some(entity) = Entity::parse(&row.entity) {
            by_entity
                .entry(entity)
                .or_default()
                .push(row.entity_id.clone());
        }
    }
    let mut visible: HashMap<(Entity, String), entities::Current> = HashMap::new();
    for (entity, ids) in &by_entity {
        for (id, current) in entities::load(conn, *entity, ids, caller, scope, now)? {
            visible.insert((*entity, id), current);
        }
    }
    let hazard_ids = by_entity.get(&Entity::Hazard).cloned().unwrap_or_default();
    let mut tasks = entities::tasks(conn, caller, &hazard_ids, now)?;
    let waits_for_tasks = !crate::notify::tasks::TaskKind::for_role(caller.role).is_empty();

    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(entity) = Entity::parse(&row.entity) else {
            continue;
        };
        let id = row.entity_id.clone();
        let current = visible.remove(&(entity, id.clone()));
        changes.push(match current {
            Some(current) => Change {
                entity,
                op: Op::Put,
                id: id.clone(),
                version: current.version,
                data: Some(current.data),
            },
            None => Change {
                entity,
                op: Op::Remove,
                id: id.clone(),
                version: None,
                data: None,
            },
        });
        if entity == Entity::Hazard && waits_for_tasks {
            changes.push(match tasks.remove(&id) {
                Some((version, data)) => Change {
                    entity: Entity::Task,
                    op: Op::Put,
                    id,
                    version: Some(version),
                    data: Some(data),
                },
                None => Change {
                    entity: Entity::Task,
                    op: Op::Remove,
                    id,
                    version: None,
                    data: None,
                },
            });
        }
    }
    Ok(changes)
}
