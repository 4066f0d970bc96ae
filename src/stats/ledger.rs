//! The hazard ledger (隐患台账) as a bureau prints it: one line per hazard with Chinese
//! headers, read in keyset-paged batches so an export of any size holds one batch in memory.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::calendar;
use crate::db::DbConnection;
use crate::db::schema::{enterprises, regions, sectors};
use crate::error::ApiError;
use crate::hazard::model::{self, HazardFilter, HazardRow};
use crate::pagination::Cursor;

/// The columns, in the order printed.
pub const HEADERS: [&str; 15] = [
    "隐患编号",
    "企业名称",
    "统一社会信用代码",
    "行业领域",
    "所属区域",
    "隐患等级",
    "隐患描述",
    "发现日期",
    "整改期限",
    "整改责任人",
    "整改状态",
    "整改完成日期",
    "销号日期",
    "逾期天数",
    "挂牌督办",
];

/// Rows read per query.
pub const BATCH: i64 = 500;

/// One printed line; `overdue_days` is the only number.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerLine {
    pub text: [String; 13],
    pub overdue_days: i64,
    pub listed: String,
}

pub fn status_name(status: &str) -> &'static str {
    match status {
        "open" => "待整改",
        "submitted" => "待复查",
        "verified" => "待销号",
        "closed" => "已销号",
        "cancelled" => "已撤销",
        _ => "未知",
    }
}

pub fn listed_name(level: Option<&str>) -> &'static str {
    match level {
        Some("county") => "县级挂牌",
        Some("city") => "市级挂牌",
        Some("province") => "省级挂牌",
        _ => "",
    }
}

/// Whole days past the deadline: until rectification, or until now while not rectified;
/// 0 when rectified in time or not yet due. A cancelled hazard is never overdue.
pub fn overdue_days(row: &HazardRow, now: NaiveDateTime) -> i64 {
    let end = match (row.status.as_str(), row.rectified_at) {
        ("cancelled", _) => return 0,
        (_, Some(rectified)) => rectified,
        ("open" | "submitted", None) => now,
        _ => return 0,
    };
    let late = end - row.deadline;
    if late <= chrono::Duration::zero() {
        0
    } else {
        // A day begun counts: 1 hour late is 1 day overdue.
        (late.num_seconds() + 86_399) / 86_400
    }
}

fn date(at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&calendar::offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// Names looked up once per export.
#[derive(Default)]
pub struct Names {
    sectors: HashMap<String, String>,
    regions: HashMap<String, String>,
}

impl Names {
    pub fn load(conn: &mut DbConnection) -> Result<Self, ApiError> {
        Ok(Names {
            sectors: sectors::table
                .select((sectors::code, sectors::name))
                .load::<(String, String)>(conn)?
                .into_iter()
                .collect(),
            regions: HashMap::new(),
        })
    }

    /// Looks up the names of regions not seen yet.
    fn learn_regions(
        &mut self,
        conn: &mut DbConnection,
        codes: Vec<String>,
    ) -> Result<(), ApiError> {
        let unknown: Vec<String> = codes
            .into_iter()
            .filter(|c| !self.regions.contains_key(c))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let found: Vec<(String, String)> = regions::table
            .filter(regions::code.eq_any(&unknown))
            .select((regions::code, regions::name))
            .load(conn)?;
        for code in unknown {
            self.regions.insert(code.clone(), code);
        }
        self.regions.extend(found);
        Ok(())
    }
}

/// The next batch after `after`, as printed lines, and the cursor for the one after it.
pub fn batch(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &HazardFilter,
    names: &mut Names,
    now: NaiveDateTime,
) -> Result<(Vec<LedgerLine>, Option<Cursor>), ApiError> {
    let mut filter = filter.clone();
    filter.limit = BATCH;
    let mut rows = model::list(conn, scope, &filter, now)?;
    let more = rows.len() as i64 > BATCH;
    rows.truncate(BATCH as usize);
    let next = more.then(|| {
        let last = rows.last().expect("a full batch");
        Cursor {
            at: last.created_at,
            id: last.id.clone(),
        }
    });
    let mut enterprise_ids: Vec<&str> = rows.iter().map(|r| r.enterprise_id.as_str()).collect();
    enterprise_ids.sort_unstable();
    enterprise_ids.dedup();
    let companies: HashMap<String, (String, String)> = enterprises::table
        .filter(enterprises::id.eq_any(&enterprise_ids))
        .select((enterprises::id, enterprises::name, enterprises::credit_code))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, code)| (id, (name, code)))
        .collect();
    names.learn_regions(conn, rows.iter().map(|r| r.region_code.clone()).collect())?;
    let lines = rows
        .iter()
        .map(|row| {
            let (company, credit_code) = companies
                .get(&row.enterprise_id)
                .cloned()
                .unwrap_or_default();
            LedgerLine {
                text: [
                    row.id.clone(),
                    company,
                    credit_code,
                    names
                        .sectors
                        .get(&row.sector_code)
                        .cloned()
                        .unwrap_or_else(|| row.sector_code.clone()),
                    names
                        .regions
                        .get(&row.region_code)
                        .cloned()
                        .unwrap_or_else(|| row.region_code.clone()),
                    if row.level == "major" {
                        "重大隐患"
                    } else {
                        "一般隐患"
                    }
                    .to_owned(),
                    row.description.clone(),
                    date(row.created_at),
                    date(row.deadline),
                    row.responsible_person.clone(),
                    status_name(&row.status).to_owned(),
                    row.rectified_at.map(date).unwrap_or_default(),
                    row.closed_at.map(date).unwrap_or_default(),
                ],
                overdue_days: overdue_days(row, now),
                listed: listed_name(row.listed_level.as_deref()).to_owned(),
            }
        })
        .collect();
    Ok((lines, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn hazard(
        status: &str,
        deadline: NaiveDateTime,
        rectified: Option<NaiveDateTime>,
    ) -> HazardRow {
        HazardRow {
            id: "h".into(),
            inspection_id: None,
            enterprise_id: "e".into(),
            region_code: "360704101".into(),
            sector_code: "fireworks".into(),
            source: "inspection".into(),
            level: "general".into(),
            description: "d".into(),
            location: None,
            legal_basis: None,
            checklist_item_code: None,
            deadline,
            responsible_person: "p".into(),
            measures: "m".into(),
            listed_level: None,
            status: status.into(),
            reported_by: "u".into(),
            request_hash: String::new(),
            version: 1,
            created_at: deadline - Duration::days(30),
            updated_at: deadline,
            rectified_at: rectified,
            closed_at: None,
            status_since: None,
        }
    }

    #[test]
    fn overdue_days_count_begun_days_until_rectified() {
        let now = crate::db::now();
        let day = Duration::days(1);
        assert_eq!(overdue_days(&hazard("open", now + day, None), now), 0);
        assert_eq!(
            overdue_days(&hazard("open", now - Duration::hours(1), None), now),
            1
        );
        assert_eq!(overdue_days(&hazard("open", now - day * 3, None), now), 3);
        assert_eq!(
            overdue_days(&hazard("submitted", now - day * 2, None), now),
            2
        );
        let late = hazard("closed", now - day * 10, Some(now - day * 6));
        assert_eq!(overdue_days(&late, now), 4);
        let in_time = hazard("verified", now - day * 10, Some(now - day * 11));
        assert_eq!(overdue_days(&in_time, now), 0);
        assert_eq!(
            overdue_days(&hazard("cancelled", now - day * 5, None), now),
            0
        );
    }

    #[test]
    fn dates_are_printed_in_beijing() {
        let at = chrono::DateTime::parse_from_rfc3339("2023-12-31T17:00:00Z")
            .unwrap()
            .naive_utc();
        assert_eq!(date(at), "2024-01-01");
        assert_eq!(status_name("verified"), "待销号");
        assert_eq!(listed_name(Some("city")), "市级挂牌");
    }
}
