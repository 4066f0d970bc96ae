//! The SQL that differs between SQLite and PostgreSQL, for the few hand-written statements
//! (tally upserts, recounts, group keys): everything else goes through diesel's query builder.

use super::Backend;

/// A calendar part of a time column, as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    /// The day of the month, 1-31.
    Day,
}

impl Backend {
    /// `n` bind placeholders: `$1, $2` or `?, ?`.
    pub fn placeholders(self, n: usize) -> String {
        let one = |i: usize| match self {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        };
        (1..=n).map(one).collect::<Vec<_>>().join(", ")
    }

    /// Empties a table in the current transaction and leaves it no free space to fill, so
    /// rows inserted next lie in the order they are written: PostgreSQL's `TRUNCATE` (which
    /// holds the table from readers until commit) gives it a new file, where `DELETE` would
    /// leave holes that vacuum hands to the next inserts; SQLite's `DELETE` without a `WHERE`
    /// already drops the table's pages.
    pub fn emptying(self, table: &str) -> String {
        match self {
            Backend::Sqlite => format!("DELETE FROM {table}"),
            Backend::Postgres => format!("TRUNCATE {table}"),
        }
    }

    /// A condition keeping only log rows (`outbox_events`) whose writing transaction is older
    /// than every one still running, so no row can later appear before them; `None` where
    /// writers are serialised and positions already come in commit order (SQLite).
    pub fn settled_log_rows(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => {
                Some("commit_order < pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            }
        }
    }

    /// The oldest transaction still running (PostgreSQL): log rows written by older ones are
    /// settled. `None` where writers are serialised (SQLite): every committed row is.
    pub fn settled_horizon_query(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => {
                Some("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon")
            }
        }
    }

    /// The statements that move an entity's row of the sync log (one set of scope facts) to
    /// the end of the log, binding entity, entity id, enterprise, region, sector, owner and
    /// time (the delete takes the first six). SQLite serialises writers, so deleting and inserting again takes the next
    /// position; PostgreSQL upserts with a fresh position and the writing transaction's id.
    pub fn sync_touch_statements(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                "DELETE FROM sync_changes WHERE entity = ? AND entity_id = ? AND enterprise_id = ? \
                 AND region_code = ? AND sector_code = ? AND owner_id = ?",
                "INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, \
                 sector_code, owner_id, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ],
            Backend::Postgres => &[
                "INSERT INTO sync_changes (entity, entity_id, enterprise_id, region_code, \
                 sector_code, owner_id, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (entity_id, entity, enterprise_id, region_code, sector_code, owner_id) \
                 DO UPDATE SET position = nextval('sync_changes_position_seq'), \
                 commit_order = pg_current_xact_id()::text::bigint, changed_at = EXCLUDED.changed_at",
            ],
        }
    }

    /// `YYYY-MM` of a time column moved `hours` east of UTC.
    pub fn month_text(self, column: &str, hours: i32) -> String {
        match self {
            Backend::Sqlite => format!("strftime('%Y-%m', {column}, '+{hours} hours')"),
            Backend::Postgres => format!("to_char({column} + interval '{hours} hours', 'YYYY-MM')"),
        }
    }

    /// `YYYY-MM-DD` of a time column moved `hours` east of UTC.
    pub fn day_text(self, column: &str, hours: i32) -> String {
        match self {
            Backend::Sqlite => format!("strftime('%Y-%m-%d', {column}, '+{hours} hours')"),
            Backend::Postgres => {
                format!("to_char({column} + interval '{hours} hours', 'YYYY-MM-DD')")
            }
        }
    }

    /// The year or month number of a time column moved `hours` east of UTC, as an integer.
    pub fn date_part(self, part: DatePart, column: &str, hours: i32) -> String {
        match (self, part) {
            (Backend::Sqlite, DatePart::Year) => {
                format!("CAST(strftime('%Y', {column}, '+{hours} hours') AS INTEGER)")
            }
            (Backend::Sqlite, DatePart::Month) => {
                format!("CAST(strftime('%m', {column}, '+{hours} hours') AS INTEGER)")
            }
            (Backend::Sqlite, DatePart::Day) => {
                format!("CAST(strftime('%d', {column}, '+{hours} hours') AS INTEGER)")
            }
            (Backend::Postgres, part) => {
                let field = match part {
                    DatePart::Year => "YEAR",
                    DatePart::Month => "MONTH",
                    DatePart::Day => "DAY",
                };
                format!(
                    "CAST(EXTRACT({field} FROM {column} + interval '{hours} hours') AS INTEGER)"
                )
            }
        }
    }
}
