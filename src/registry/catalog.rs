//! Catalogs: administrative regions (GB/T 2260) and sectors (行业领域).

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{regions, sectors};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = regions)]
pub struct Region {
    /// 2-digit province, 4-digit prefecture, 6-digit county, 9-digit township, 12-digit village.
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = sectors)]
pub struct Sector {
    pub code: String,
    /// The Chinese name, as the bureau's reports use it.
    pub name: String,
    /// The umbrella sector, e.g. `industry_trade` (工贸) for `metallurgy` (冶金).
    pub parent_code: Option<String>,
    #[serde(skip)]
    pub position: i32,
}

type SectorMatch = diesel::dsl::Or<
    diesel::dsl::EqAny<sectors::code, Vec<String>>,
    diesel::dsl::EqAny<sectors::parent_code, Vec<String>>,
>;
pub type SectorCodes =
    diesel::dsl::Select<diesel::dsl::Filter<sectors::table, SectorMatch>, sectors::code>;

/// A subquery: the given sector codes and every sector under them.
pub fn sector_and_children(codes: &[String]) -> SectorCodes {
    sectors::table
        .filter(
            sectors::code
                .eq_any(codes.to_vec())
                .or(sectors::parent_code.eq_any(codes.to_vec())),
        )
        .select(sectors::code)
}

/// The regions directly under `parent`, or the top level when `None`.
pub fn regions_under(
    conn: &mut DbConnection,
    parent: Option<&str>,
) -> Result<Vec<Region>, ApiError> {
    let query = regions::table
        .select(Region::as_select())
        .order(regions::code)
        .into_boxed();
    let query = match parent {
        Some(parent) => query.filter(regions::parent_code.eq(parent.to_owned())),
        None => query.filter(regions::parent_code.is_null()),
    };
    Ok(query.load(conn)?)
}

pub fn region_exists(conn: &mut DbConnection, code: &str) -> Result<bool, ApiError> {
    Ok(regions::table.find(code).count().get_result::<i64>(conn)? > 0)
}

pub fn all_sectors(conn: &mut DbConnection) -> Result<Vec<Sector>, ApiError> {
    Ok(sectors::table
        .select(Sector::as_select())
        .order(sectors::position)
        .load(conn)?)
}

pub fn find_sector(conn: &mut DbConnection, code: &str) -> Result<Option<Sector>, ApiError> {
    Ok(sectors::table
        .find(code)
        .select(Sector::as_select())
        .first(conn)
        .optional()?)
}

pub fn region_count(conn: &mut DbConnection) -> Result<i64, ApiError> {
    Ok(regions::table.count().get_result(conn)?)
}

/// Reads `code,name[,parent_code]` rows (a header line first). A missing parent is derived from
/// the code: 12 -> 9 -> 6 -> 4 -> 2 digits.
pub fn parse_regions_csv(text: &str) -> Result<Vec<Region>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let code = record.get(0).unwrap_or("").to_owned();
        let name = record.get(1).unwrap_or("").to_owned();
        if ![2, 4, 6, 9, 12].contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "line {line}: `{code}` is not a 2, 4, 6, 9 or 12 digit region code"
            ));
        }
        if name.is_empty() || name.chars().count() > 100 {
            return Err(format!("line {line}: the name must be 1-100 characters"));
        }
        if let Some(problem) = crate::text::name_error("name", &name) {
            return Err(format!("line {line}: the name {}", problem.message));
        }
        let parent_code = match record.get(2).filter(|p| !p.is_empty()) {
            Some(parent) => Some(parent.to_owned()),
            None => derived_parent(&code),
        };
        rows.push(Region {
            code,
            name,
            parent_code,
        });
    }
    // Parents before children, so each insert finds its parent.
    rows.sort_by(|a, b| a.code.len().cmp(&b.code.len()).then(a.code.cmp(&b.code)));
    Ok(rows)
}

fn derived_parent(code: &str) -> Option<String> {
    let parent_len = match code.len() {
        12 => 9,
        9 => 6,
        6 => 4,
        4 => 2,
        _ => return None,
    };
    Some(code[..parent_len].to_owned())
}

/// Inserts or renames regions, in one transaction. Returns how many rows were written.
pub fn import_regions(conn: &mut DbConnection, rows: &[Region]) -> Result<usize, ApiError> {
    conn.transaction(|conn| {
        for region in rows {
            let updated = diesel::update(regions::table.find(&region.code))
                .set((
                    regions::name.eq(&region.name),
                    regions::parent_code.eq(&region.parent_code),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(regions::table)
                    .values(region)
                    .execute(conn)
                    .map_err(|e| match ApiError::from(e) {
                        ApiError::Validation { .. } => ApiError::validation(
                            "parent_code",
                            format!(
                                "region {} names a parent that is not in the file or the database",
                                region.code
                            ),
                        ),
                        other => other,
                    })?;
            }
        }
        Ok(rows.len())
    })
}

/// The provinces, prefectures, counties and townships of China (GB/T 2260 and the 9-digit
/// township codes of 国家统计局's 2023 edition, 44,703 regions), compressed into the binary.
/// `scripts/refresh-regions` rebuilds the file; README says where it comes from.
const NATIONAL_REGIONS: &[u8] = include_bytes!("../../assets/regions-gbt2260.csv.gz");

/// The shipped national list, parents first. Not kept: a server needs it once, to fill an
/// empty database, and 44,703 parsed regions are 7 MiB of heap.
pub fn national_regions() -> Vec<Region> {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(NATIONAL_REGIONS)
        .read_to_string(&mut text)
        .expect("the shipped list is gzip of UTF-8");
    parse_regions_csv(&text).expect("the shipped list is valid")
}

/// The national list as insert statements, kept for the next empty database: every test makes
/// one, and parsing again costs each 300 ms in a debug build. A server fills one database once
/// and lets them go (`forget_national_statements`): they are 1.8 MiB.
static NATIONAL_STATEMENTS: std::sync::Mutex<Option<std::sync::Arc<NationalStatements>>> =
    std::sync::Mutex::new(None);

/// The insert statements and how many regions they hold.
type NationalStatements = (Vec<String>, usize);

/// Loads the national list into a database that has no regions yet, many rows a statement
/// (a fraction of a second), parents first.
pub fn load_national(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let prepared = NATIONAL_STATEMENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get_or_insert_with(|| {
            let regions = national_regions();
            std::sync::Arc::new((insert_statements(&regions), regions.len()))
        })
        .clone();
    let (statements, count) = &*prepared;
    conn.transaction(|conn| {
        for statement in statements {
            diesel::sql_query(statement).execute(conn)?;
        }
        Ok(*count)
    })
}

/// Lets go of the statements `load_national` keeps.
pub fn forget_national_statements() {
    *NATIONAL_STATEMENTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
}

/// `rows` as multi-row inserts, written out as literals: diesel's batch insert does not reach
/// through the connection that spans both backends, and one statement per row took seconds.
/// Codes are digits and names plain text (`parse_regions_csv` holds both); quotes are doubled
/// all the same.
fn insert_statements(rows: &[Region]) -> Vec<String> {
    let literal = |text: &str| format!("'{}'", text.replace('\'', "''"));
    rows.chunks(2000)
        .map(|chunk| {
            let values: Vec<String> = chunk
                .iter()
                .map(|r| {
                    let parent = r.parent_code.as_deref().map_or("NULL".into(), literal);
                    format!("({}, {}, {parent})", literal(&r.code), literal(&r.name))
                })
                .collect();
            format!(
                "INSERT INTO regions (code, name, parent_code) VALUES {}",
                values.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_derived_and_sorted_first() {
        let rows = parse_regions_csv("code,name\n360704101,王母渡镇\n360704,赣县区\n3607,赣州市\n")
            .unwrap();
        let codes: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|r| (r.code.as_str(), r.parent_code.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("3607", Some("36")),
                ("360704", Some("3607")),
                ("360704101", Some("360704"))
            ]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_regions_csv("code,name\n36,江西省\n3607x,赣州市\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        assert!(
            parse_regions_csv("code,name\n36,\n")
                .unwrap_err()
                .contains("name")
        );
        let national = national_regions();
        assert_eq!(national.len(), 44_703);
        let find = |code: &str| {
            national
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.name.as_str())
        };
        assert_eq!(
            find("360704"),
            Some("赣县区"),
            "since 2016; 360721 was the old code"
        );
        assert_eq!(find("360704101"), Some("王母渡镇"));
        assert_eq!(find("632323"), Some("泽库县"));
        assert_eq!(find("65"), Some("新疆维吾尔自治区"));
    }
}
