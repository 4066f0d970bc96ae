//! A hazard as a list page reads it: every text of the row in one buffer, borrowed by the view.
//! `HazardRow` takes a `String` per text column, allocations that are freed again as soon as the
//! page is written; with diesel's glue around each column, building the rows was over a quarter
//! of a page's CPU (`scripts/bench-list`, perf).

use chrono::NaiveDateTime;
use diesel::deserialize::{self, FromSqlRow};
use diesel::row::Row;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::model;
use crate::db::{self, DbBackend, StoredTime, TextSpan};

/// The position of each column in `HazardRow` (its field order is its selection's order).
mod column {
    pub const ID: usize = 0;
    pub const INSPECTION_ID: usize = 1;
    pub const ENTERPRISE_ID: usize = 2;
    pub const REGION_CODE: usize = 3;
    pub const SECTOR_CODE: usize = 4;
    pub const SOURCE: usize = 5;
    pub const LEVEL: usize = 6;
    pub const DESCRIPTION: usize = 7;
    pub const LOCATION: usize = 8;
    pub const LEGAL_BASIS: usize = 9;
    pub const CHECKLIST_ITEM_CODE: usize = 10;
    pub const DEADLINE: usize = 11;
    pub const RESPONSIBLE_PERSON: usize = 12;
    pub const MEASURES: usize = 13;
    pub const LISTED_LEVEL: usize = 14;
    pub const STATUS: usize = 15;
    pub const REPORTED_BY: usize = 16;
    // 17, the request's hash, only tells a replayed report from a clashing one.
    pub const VERSION: usize = 18;
    pub const CREATED_AT: usize = 19;
    pub const UPDATED_AT: usize = 20;
    pub const RECTIFIED_AT: usize = 21;
    pub const CLOSED_AT: usize = 22;
    // 23, since when it has stood at its status, is for `/me/tasks`.
    /// The text columns, in order.
    pub const TEXTS: [usize; 16] = [
        ID,
        INSPECTION_ID,
        ENTERPRISE_ID,
        REGION_CODE,
        SECTOR_CODE,
        SOURCE,
        LEVEL,
        DESCRIPTION,
        LOCATION,
        LEGAL_BASIS,
        CHECKLIST_ITEM_CODE,
        RESPONSIBLE_PERSON,
        MEASURES,
        LISTED_LEVEL,
        STATUS,
        REPORTED_BY,
    ];
    /// The text columns that may be `NULL`.
    pub const MAYBE_TEXTS: [usize; 5] = [
        INSPECTION_ID,
        LOCATION,
        LEGAL_BASIS,
        CHECKLIST_ITEM_CODE,
        LISTED_LEVEL,
    ];
}

/// About what one row's texts take (a Chinese description and measures, four ids).
const ROW_TEXT_BYTES: usize = 640;

/// A hazard row with its texts in one buffer.
#[derive(Debug)]
pub struct HazardListRow {
    text: String,
    /// By column position; only the text columns are filled (the last is `REPORTED_BY`).
    spans: [TextSpan; column::REPORTED_BY + 1],
    pub deadline: NaiveDateTime,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub rectified_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

impl HazardListRow {
    fn text(&self, column: usize) -> &str {
        self.maybe_text(column).unwrap_or_default()
    }

    fn maybe_text(&self, column: usize) -> Option<&str> {
        db::text_at(&self.text, self.spans[column])
    }

    pub fn id(&self) -> &str {
        self.text(column::ID)
    }
    pub fn inspection_id(&self) -> Option<&str> {
        self.maybe_text(column::INSPECTION_ID)
    }
    pub fn enterprise_id(&self) -> &str {
        self.text(column::ENTERPRISE_ID)
    }
    pub fn region_code(&self) -> &str {
        self.text(column::REGION_CODE)
    }
    pub fn sector_code(&self) -> &str {
        self.text(column::SECTOR_CODE)
    }
    pub fn source(&self) -> &str {
        self.text(column::SOURCE)
    }
    pub fn level(&self) -> &str {
        self.text(column::LEVEL)
    }
    pub fn description(&self) -> &str {
        self.text(column::DESCRIPTION)
    }
    pub fn location(&self) -> Option<&str> {
        self.maybe_text(column::LOCATION)
    }
    pub fn legal_basis(&self) -> Option<&str> {
        self.maybe_text(column::LEGAL_BASIS)
    }
    pub fn checklist_item_code(&self) -> Option<&str> {
        self.maybe_text(column::CHECKLIST_ITEM_CODE)
    }
    pub fn responsible_person(&self) -> &str {
        self.text(column::RESPONSIBLE_PERSON)
    }
    pub fn measures(&self) -> &str {
        self.text(column::MEASURES)
    }
    pub fn listed_level(&self) -> Option<&str> {
        self.maybe_text(column::LISTED_LEVEL)
    }
    pub fn status(&self) -> &str {
        self.text(column::STATUS)
    }
    pub fn reported_by(&self) -> &str {
        self.text(column::REPORTED_BY)
    }

    /// 逾期, by `model::overdue`.
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        model::overdue(self.status(), self.deadline, now)
    }

    /// Listed or due for it, by `model::listed`.
    pub fn is_listed(&self, now: NaiveDateTime) -> bool {
        model::listed(self.listed_level(), self.level(), self.is_overdue(now))
    }
}

/// The SQL types of `HazardRow`'s selection, spelled out: named through a projection, the
/// compiler could not see that diesel's own `FromSqlRow` (for `Queryable` types) does not
/// apply. `model::list_page` loads this row from that selection, so a column whose type
/// changes stops the build; two columns of one type trading places would not, and the API test
/// `a_list_page_answers_each_hazard_as_reading_it_alone_does` is there for that.
type ColumnTypes = (
    Text,
    Nullable<Text>,
    Text,
    Text,
    Text,
    Text,
    Text,
    Text,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Timestamp,
    Text,
    Text,
    Nullable<Text>,
    Text,
    Text,
    Text,
    BigInt,
    Timestamp,
    Timestamp,
    Nullable<Timestamp>,
    Nullable<Timestamp>,
    Nullable<Timestamp>,
);

impl FromSqlRow<ColumnTypes, DbBackend> for HazardListRow {
    fn build_from_row<'a>(row: &impl Row<'a, DbBackend>) -> deserialize::Result<Self> {
        let mut text = String::with_capacity(ROW_TEXT_BYTES);
        let mut spans = [None; column::REPORTED_BY + 1];
        for position in column::TEXTS {
            spans[position] = db::append_text(row, position, &mut text)?;
            if spans[position].is_none() && !column::MAYBE_TEXTS.contains(&position) {
                return Err(format!("hazard column {position} is NULL").into());
            }
        }
        let optional = |position| -> deserialize::Result<Option<NaiveDateTime>> {
            let time = db::value_at::<StoredTime, Timestamp>(row, position)?;
            Ok(time.map(Into::into))
        };
        let required = |position| -> deserialize::Result<NaiveDateTime> {
            Ok(optional(position)?.ok_or("a required time is NULL")?)
        };
        Ok(HazardListRow {
            text,
            spans,
            deadline: required(column::DEADLINE)?,
            version: db::value_at::<i64, BigInt>(row, column::VERSION)?
                .ok_or("the version is NULL")?,
            created_at: required(column::CREATED_AT)?,
            updated_at: required(column::UPDATED_AT)?,
            rectified_at: optional(column::RECTIFIED_AT)?,
            closed_at: optional(column::CLOSED_AT)?,
        })
    }
}
