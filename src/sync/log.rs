//! The sync log: which entity changed last, under which scope facts, in commit order.
//!
//! Every write the phone app shows offline calls one of the `touch_*` functions in its own
//! transaction. A touch moves the entity's row for its facts (enterprise, region, sector; or
//! the owner of a private row) to the end of the log. When an entity's facts change (an
//! enterprise moved to another county), the row of the old facts is touched as well: the
//! callers who saw it there read that row again and are told to remove the entity.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::{extension_requests, hazards, sync_changes};
use crate::db::{self, Backend, DbConnection};
use crate::error::ApiError;
use crate::sync::feed::RowFilter;

/// What the feed carries, by the names the app stores them under.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Enterprise,
    Checklist,
    Inspection,
    Hazard,
    ExtensionRequest,
    EnforcementAction,
    /// The caller's own photos not yet attached to a hazard (attached ones travel inside
    /// their hazard).
    Photo,
    /// What waits for the caller on one hazard (`GET /api/v1/me/tasks`), keyed by the
    /// hazard's id; derived from the hazard, never logged by itself.
    Task,
}

impl Entity {
    pub const LOGGED: [Entity; 7] = [
        Entity::Enterprise,
        Entity::Checklist,
        Entity::Inspection,
        Entity::Hazard,
        Entity::ExtensionRequest,
        Entity::EnforcementAction,
        Entity::Photo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Enterprise => "enterprise",
            Entity::Checklist => "checklist",
            Entity::Inspection => "inspection",
            Entity::Hazard => "hazard",
            Entity::ExtensionRequest => "extension_request",
            Entity::EnforcementAction => "enforcement_action",
            Entity::Photo => "photo",
            Entity::Task => "task",
        }
    }

    pub fn parse(text: &str) -> Option<Entity> {
        Entity::LOGGED.into_iter().find(|e| e.as_str() == text)
    }
}

/// The facts that decide who may see a row: the scope's enterprise, region and sector, or
/// the one user who owns a private row. All empty: everyone (the catalogs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub enterprise_id: String,
    pub region_code: String,
    pub sector_code: String,
    pub owner_id: String,
}

impl Facts {
    pub fn of_enterprise(id: &str, region_code: &str, sector_code: &str) -> Facts {
        Facts {
            enterprise_id: id.to_owned(),
            region_code: region_code.to_owned(),
            sector_code: sector_code.to_owned(),
            owner_id: String::new(),
        }
    }

    pub fn owned_by(user_id: &str) -> Facts {
        Facts {
            owner_id: user_id.to_owned(),
            ..Facts::default()
        }
    }
}

/// Moves the entity's row for `facts` to the end of the log; call inside the change's
/// transaction.
pub fn touch(
    conn: &mut DbConnection,
    entity: Entity,
    id: &str,
    facts: &Facts,
) -> Result<(), diesel::result::Error> {
    debug_assert!(entity != Entity::Task, "tasks follow their hazard");
    let now = db::now();
    let backend = conn.backend();
    for (i, statement) in backend.sync_touch_statements().iter().enumerate() {
        let query = diesel::sql_query(*statement)
            .bind::<Text, _>(entity.as_str())
            .bind::<Text, _>(id)
            .bind::<Text, _>(&facts.enterprise_id)
            .bind::<Text, _>(&facts.region_code)
            .bind::<Text, _>(&facts.sector_code)
            .bind::<Text, _>(&facts.owner_id);
        let deletes = backend == Backend::Sqlite && i == 0;
        if deletes {
            query.execute(conn)?;
        } else {
            query.bind::<Timestamp, _>(now).execute(conn)?;
        }
    }
    Ok(())
}

/// Touches a hazard under its own facts, with what hangs on it: its extension requests when
/// `with_extensions` (their decisions are the hazard's events too).
pub fn touch_hazard(
    conn: &mut DbConnection,
    hazard_id: &str,
    with_extensions: bool,
) -> Result<(), diesel::result::Error> {
    let (enterprise_id, region_code, sector_code): (String, String, String) = hazards::table
        .find(hazard_id)
        .select((
            hazards::enterprise_id,
            hazards::region_code,
            hazards::sector_code,
        ))
        .first(conn)?;
    let facts = Facts::of_enterprise(&enterprise_id, &region_code, &sector_code);
    touch(conn, Entity::Hazard, hazard_id, &facts)?;
    if with_extensions {
        let requests: Vec<String> = extension_requests::table
            .filter(extension_requests::hazard_id.eq(hazard_id))
            .select(extension_requests::id)
            .load(conn)?;
        for request in requests {
            touch(conn, Entity::ExtensionRequest, &request, &facts)?;
        }
    }
    Ok(())
}

/// A position in the log: `(commit_order, position)`.
pub type Key = (i64, i64);

/// One row of the log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sync_changes)]
pub struct LogRow {
    pub position: i64,
    pub commit_order: i64,
    pub entity: String,
    pub entity_id: String,
    pub enterprise_id: String,
    pub region_code: String,
    pub sector_code: String,
    pub owner_id: String,
    pub changed_at: NaiveDateTime,
}

impl LogRow {
    pub fn key(&self) -> Key {
        (self.commit_order, self.position)
    }

    pub fn facts(&self) -> Facts {
        Facts {
            enterprise_id: self.enterprise_id.clone(),
            region_code: self.region_code.clone(),
            sector_code: self.sector_code.clone(),
            owner_id: self.owner_id.clone(),
        }
    }
}

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
}

/// The first `commit_order` not yet settled: rows below it can no longer be joined by a row
/// that sorts before them. `i64::MAX` where every committed row is settled.
pub fn settled_horizon(conn: &mut DbConnection) -> Result<i64, ApiError> {
    match conn.backend().settled_horizon_query() {
        None => Ok(i64::MAX),
        Some(query) => Ok(diesel::sql_query(query)
            .get_result::<Horizon>(conn)?
            .horizon),
    }
}

/// `(commit_order, position) <op> (order, position)`, as a row value both backends seek in
/// the `(commit_order, position)` index (an OR of the two columns would scan from the start).
fn key_compared(op: &str, key: Key) -> RowFilter {
    Box::new(
        diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("(commit_order, position) {op} ("))
            .bind::<BigInt, _>(key.0)
            .sql(", ")
            .bind::<BigInt, _>(key.1)
            .sql(")"),
    )
}

/// Rows strictly after `after` and at most `upto`, settled below `horizon`, in log order, at
/// most `limit`, of the rows the filter keeps (built by `feed::relevant`).
pub fn read(
    conn: &mut DbConnection,
    after: Key,
    upto: Option<Key>,
    horizon: i64,
    relevant: RowFilter,
    limit: i64,
) -> Result<Vec<LogRow>, ApiError> {
    let mut query = sync_changes::table
        .filter(key_compared(">", after))
        .filter(sync_changes::commit_order.lt(horizon))
        .filter(relevant)
        .into_boxed();
    if let Some(upto) = upto {
        query = query.filter(key_compared("<=", upto));
    }
    Ok(query
        .order((sync_changes::commit_order, sync_changes::position))
        .limit(limit)
        .select(LogRow::as_select())
        .load(conn)?)
}

/// The last settled key of the whole log, or the start.
pub fn last_settled_key(conn: &mut DbConnection, horizon: i64) -> Result<Key, ApiError> {
    Ok(sync_changes::table
        .filter(sync_changes::commit_order.lt(horizon))
        .order((
            sync_changes::commit_order.desc(),
            sync_changes::position.desc(),
        ))
        .select((sync_changes::commit_order, sync_changes::position))
        .first(conn)
        .optional()?
        .unwrap_or((0, 0)))
}

/// Every row of these entities, for telling whether a later one will speak for them.
pub fn rows_of(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<LogRow>, ApiError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        rows.extend(
            sync_changes::table
                .filter(sync_changes::entity_id.eq_any(chunk))
                .select(LogRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// The latest key of each of these entities among the rows the filter keeps (the caller's),
/// for write checkpoints.
pub fn latest_keys(
    conn: &mut DbConnection,
    ids: &[String],
    relevant: impl Fn() -> RowFilter,
) -> Result<std::collections::HashMap<String, Key>, ApiError> {
    let mut latest = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, i64, i64)> = sync_changes::table
            .filter(sync_changes::entity_id.eq_any(chunk))
            .filter(relevant())
            .select((
                sync_changes::entity_id,
                sync_changes::commit_order,
                sync_changes::position,
            ))
            .load(conn)?;
        for (id, order, position) in rows {
            let entry = latest.entry(id).or_insert((order, position));
            *entry = (*entry).max((order, position));
        }
    }
    Ok(latest)
}

/// The last key of the log, if it has any row.
pub fn last_key(conn: &mut DbConnection) -> Result<Option<Key>, ApiError> {
    Ok(sync_changes::table
        .order((
            sync_changes::commit_order.desc(),
            sync_changes::position.desc(),
        ))
        .select((sync_changes::commit_order, sync_changes::position))
        .first(conn)
        .optional()?)
}

/// Whether a committed row after `after` waits behind the horizon (an older transaction is
/// still open): the reader must come back for it.
pub fn any_unsettled(
    conn: &mut DbConnection,
    after: Key,
    horizon: i64,
    relevant: RowFilter,
) -> Result<bool, ApiError> {
    if horizon == i64::MAX {
        return Ok(false);
    }
    let found: Option<i64> = sync_changes::table
        .filter(key_compared(">", after))
        .filter(sync_changes::commit_order.ge(horizon))
        .filter(relevant)
        .select(sync_changes::position)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
