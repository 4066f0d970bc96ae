//! What a document says, read from the record once, when it is first issued: the party, the
//! officers, the hazards with their measures and deadlines, and what is decided. The result is
//! the JSON the templates read (`/data.json`), kept with the document so the paper never
//! changes after it is issued, whatever happens to the record.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::kind::DocumentKind;
use crate::db::DbConnection;
use crate::db::schema::{checklist_items, checklists, enterprises, hazards, regions, users};
use crate::enforcement::model::Action;
use crate::error::ApiError;
use crate::hazard::events::EventRow;
use crate::hazard::model::HazardRow;
use crate::inspection::model::Inspection;
use crate::registry::enterprise::EnterpriseRow;

/// A document's facts, before its code is known.
pub struct Paper {
    pub kind: DocumentKind,
    /// What it is about, unique per kind: an inspection, an action, a hazard's re-check.
    pub subject: String,
    pub number: Option<String>,
    pub issuing_body: String,
    pub enterprise_name: String,
    /// The record's own time: the document's date.
    pub at: NaiveDateTime,
    /// The hazards whose chained records receive the document's hash.
    pub hazard_ids: Vec<String>,
    /// The rest of what the template reads.
    pub facts: Value,
}

/// `2026年12月1日`, in China Standard Time.
pub fn chinese_date(at: NaiveDateTime) -> String {
    let local = at.and_utc().with_timezone(&crate::calendar::offset());
    local.format("%Y年%-m月%-d日").to_string()
}

fn chinese_minute(at: NaiveDateTime) -> String {
    let local = at.and_utc().with_timezone(&crate::calendar::offset());
    local.format("%Y年%-m月%-d日%H时%M分").to_string()
}

/// The parts of the record's time, in China Standard Time, for the document's date.
pub fn date_parts(at: NaiveDateTime) -> Value {
    use chrono::{Datelike, Timelike};
    let local = at.and_utc().with_timezone(&crate::calendar::offset());
    json!({
        "year": local.year(), "month": local.month(), "day": local.day(),
        "hour": local.hour(), "minute": local.minute(), "second": local.second(),
    })
}

fn enterprise(conn: &mut DbConnection, id: &str) -> Result<EnterpriseRow, ApiError> {
    Ok(enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .first(conn)?)
}

fn party(row: &EnterpriseRow) -> Value {
    json!({
        "name": row.name, "credit_code": row.credit_code, "address": row.address,
        "contact_name": row.contact_name, "contact_phone": row.contact_phone,
    })
}

fn region_name(conn: &mut DbConnection, code: &str) -> Result<String, ApiError> {
    Ok(regions::table
        .find(code)
        .select(regions::name)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| code.to_owned()))
}

/// Where the party may seek review and sue: the county's government (行政复议法, as revised in
/// 2023, 第二十四条: a county bureau's act is reviewed by the government at its level), and the
/// county's court.
fn remedies(conn: &mut DbConnection, region_code: &str) -> Result<(String, String), ApiError> {
    let county = region_name(conn, &region_code[..region_code.len().min(6)])?;
    Ok((format!("{county}人民政府"), format!("{county}人民法院")))
}

/// The county's bureau, for papers that name no issuing body of their own.
fn county_bureau(conn: &mut DbConnection, region_code: &str) -> Result<String, ApiError> {
    Ok(format!(
        "{}应急管理局",
        region_name(conn, &region_code[..region_code.len().min(6)])?
    ))
}

fn officers(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<Value>, ApiError> {
    let rows: Vec<(String, String, Option<String>)> = users::table
        .filter(users::id.eq_any(ids))
        .order(users::id)
        .select((users::id, users::display_name, users::certificate_no))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(_, name, certificate)| {
            json!({"name": name, "certificate_no": certificate.unwrap_or_else(|| "—".into())})
        })
        .collect())
}

fn hazard_rows(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<HazardRow>, ApiError> {
    Ok(hazards::table
        .filter(hazards::id.eq_any(ids))
        .order((hazards::created_at, hazards::id))
        .select(HazardRow::as_select())
        .load(conn)?)
}

/// Each hazard's deadline as it stood at `at`: an extension approved later records the
/// deadline it replaced, so a paper first printed after it still shows the one it ordered.
fn deadlines_at(
    conn: &mut DbConnection,
    rows: &[HazardRow],
    at: NaiveDateTime,
) -> Result<std::collections::HashMap<String, NaiveDateTime>, ApiError> {
    use crate::db::schema::hazard_events;
    let ids: Vec<&str> = rows.iter().map(|h| h.id.as_str()).collect();
    let later: Vec<(String, Option<String>)> = hazard_events::table
        .filter(hazard_events::hazard_id.eq_any(ids))
        .filter(hazard_events::action.eq("approve_extension"))
        .filter(hazard_events::at.gt(at))
        .order((hazard_events::at, hazard_events::sequence))
        .select((hazard_events::hazard_id, hazard_events::detail))
        .load(conn)?;
    let mut deadlines: std::collections::HashMap<String, NaiveDateTime> =
        rows.iter().map(|h| (h.id.clone(), h.deadline)).collect();
    let mut seen = std::collections::HashSet::new();
    for (hazard_id, detail) in later {
        if !seen.insert(hazard_id.clone()) {
            continue;
        }
        let previous = detail
            .and_then(|d| serde_json::from_str::<Value>(&d).ok())
            .and_then(|d| d["previous_deadline"].as_str().map(str::to_owned))
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
        if let Some(previous) = previous {
            deadlines.insert(hazard_id, previous.naive_utc());
        }
    }
    Ok(deadlines)
}

fn hazard_lines(
    rows: &[HazardRow],
    deadlines: &std::collections::HashMap<String, NaiveDateTime>,
) -> Vec<Value> {
    rows.iter()
        .map(|h| {
            let deadline = deadlines.get(&h.id).copied().unwrap_or(h.deadline);
            json!({
                "description": h.description, "location": h.location,
                "legal_basis": h.legal_basis, "measures": h.measures,
                "deadline": chinese_date(deadline), "level": h.level,
            })
        })
        .collect()
}

fn common(
    conn: &mut DbConnection,
    party_row: &EnterpriseRow,
    officer_ids: &[String],
    hazards: &[HazardRow],
    at: NaiveDateTime,
) -> Result<Value, ApiError> {
    let (review_body, court) = remedies(conn, &party_row.region_code)?;
    let deadlines = deadlines_at(conn, hazards, at)?;
    Ok(json!({
        "party": party(party_row),
        "officers": officers(conn, officer_ids)?,
        "review_body": review_body,
        "court": court,
        "hazards": hazard_lines(hazards, &deadlines),
    }))
}

const INSPECTION_KINDS: [(&str, &str); 6] = [
    ("routine", "日常检查"),
    ("special", "专项检查"),
    ("random", "双随机抽查"),
    ("covert", "暗查暗访"),
    ("joint", "联合检查"),
    ("self", "企业自查"),
];

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "pass" => "符合",
        "fail" => "不符合",
        _ => "不适用",
    }
}

/// 现场检查记录 of a submitted inspection.
pub fn inspection_record(
    conn: &mut DbConnection,
    inspection: &Inspection,
) -> Result<Paper, ApiError> {
    let row = &inspection.row;
    let submitted_at = row.submitted_at.ok_or_else(|| ApiError::Conflict {
        code: "document_not_available",
        detail: "an inspection's record is printed once it is submitted".into(),
    })?;
    let party_row = enterprise(conn, &row.enterprise_id)?;
    // A hazard cancelled (a duplicate, a mistake) is not one the inspection found.
    let found: Vec<String> = hazards::table
        .filter(hazards::inspection_id.eq(&row.id))
        .filter(hazards::status.ne("cancelled"))
        .select(hazards::id)
        .load(conn)?;
    let hazards = hazard_rows(conn, &found)?;
    let mut facts = common(
        conn,
        &party_row,
        &inspection.officer_ids,
        &hazards,
        submitted_at,
    )?;
    let (checklist, items) = match &row.checklist_id {
        Some(id) => {
            let name: Option<String> = checklists::table
                .find(id)
                .select(checklists::name)
                .first(conn)
                .optional()?;
            let items: Vec<(String, String)> = checklist_items::table
                .filter(checklist_items::checklist_id.eq(id))
                .order(checklist_items::position)
                .select((checklist_items::code, checklist_items::text))
                .load(conn)?;
            (name, items)
        }
        None => (None, Vec::new()),
    };
    // In the checklist's own order (YH-2 before YH-10), the same on every backend.
    let mut ordered: Vec<&crate::inspection::model::ResultRow> =
        inspection.results.iter().collect();
    ordered.sort_by_key(|r| {
        (
            items
                .iter()
                .position(|(code, _)| *code == r.item_code)
                .unwrap_or(usize::MAX),
            r.item_code.clone(),
        )
    });
    let results: Vec<Value> = ordered
        .into_iter()
        .map(|r| {
            let text = items
                .iter()
                .find(|(code, _)| *code == r.item_code)
                .map(|(_, text)| text.clone())
                .unwrap_or_default();
            json!({"code": r.item_code, "text": text, "outcome": outcome_label(&r.outcome), "note": r.note})
        })
        .collect();
    let kind = INSPECTION_KINDS
        .iter()
        .find(|(k, _)| *k == row.kind)
        .map_or(row.kind.as_str(), |(_, label)| label);
    let finished = row.finished_at.unwrap_or(submitted_at);
    facts["inspection"] = json!({
        "period": format!("{} 至 {}", chinese_minute(row.started_at), chinese_minute(finished)),
        "kind": kind,
        "checklist": checklist,
        "results": results,
        "summary": row.summary,
    });
    // An enterprise's self-inspection is its own paper, never the bureau's.
    if row.kind == "self" {
        facts["officers_label"] = json!("检查人员");
    }
    let issuing_body = if row.kind == "self" {
        format!("{}（企业自查）", party_row.name)
    } else {
        county_bureau(conn, &row.region_code)?
    };
    Ok(Paper {
        kind: DocumentKind::InspectionRecord,
        subject: row.id.clone(),
        number: None,
        issuing_body,
        enterprise_name: party_row.name,
        at: submitted_at,
        hazard_ids: found,
        facts,
    })
}

/// The document of an enforcement action (`kind` already says which, with its stage).
pub fn action_document(
    conn: &mut DbConnection,
    action: &Action,
    kind: DocumentKind,
    decisions: &Value,
) -> Result<Paper, ApiError> {
    let row = &action.row;
    let party_row = enterprise(conn, &row.enterprise_id)?;
    let hazards = hazard_rows(conn, &action.hazard_ids)?;
    let officer_ids = match &row.inspection_id {
        Some(inspection) => crate::db::schema::inspection_officers::table
            .filter(crate::db::schema::inspection_officers::inspection_id.eq(inspection))
            .select(crate::db::schema::inspection_officers::user_id)
            .load(conn)?,
        None => vec![row.issued_by.clone()],
    };
    // The notice is dated when the party was told; everything else when it was issued.
    let at = match kind {
        DocumentKind::PenaltyNotice => row.notified_at.unwrap_or(row.issued_at),
        _ => row.issued_at,
    };
    let mut facts = common(conn, &party_row, &officer_ids, &hazards, at)?;
    facts["summary"] = json!(row.summary);
    if matches!(
        kind,
        DocumentKind::PenaltyNotice | DocumentKind::PenaltyDecision
    ) {
        let fine = row.fine_fen.unwrap_or(0);
        let hearing = match (row.hearing_requested, row.hearing_held_at) {
            (Some(true), Some(held)) => format!(
                "你单位要求听证，本机关于{}依法举行了听证。",
                chinese_date(held)
            ),
            _ => "你单位在规定期限内未要求听证。".to_owned(),
        };
        facts["penalty"] = json!({
            "measure": format!("罚款人民币{}（￥{}）", super::money::in_capitals(fine), super::money::in_figures(fine)),
            "notified_on": row.notified_at.map(chinese_date).unwrap_or_default(),
            "hearing": hearing,
        });
    }
    if let Some(wording) = kind.decision_key().and_then(|key| decisions.get(key)) {
        facts["decision"] = wording.clone();
    }
    Ok(Paper {
        kind,
        subject: row.id.clone(),
        number: Some(row.document_no.clone()),
        issuing_body: row.issuing_body.clone(),
        enterprise_name: party_row.name,
        at,
        hazard_ids: action.hazard_ids.clone(),
        facts,
    })
}

/// 整改复查意见书 of a hazard's latest re-check.
pub fn recheck(
    conn: &mut DbConnection,
    hazard: &HazardRow,
    events: &[EventRow],
) -> Result<Paper, ApiError> {
    let check = events
        .iter()
        .rev()
        .find(|e| matches!(e.action.as_str(), "verify_pass" | "verify_fail"))
        .ok_or_else(|| ApiError::Conflict {
            code: "document_not_available",
            detail: "a re-check opinion is printed once a re-check is recorded".into(),
        })?;
    let proof = events
        .iter()
        .rfind(|e| e.sequence < check.sequence && e.action == "submit_rectification");
    let ordered = events
        .iter()
        .find(|e| e.action == "report")
        .map_or(hazard.created_at, |e| e.at);
    let party_row = enterprise(conn, &hazard.enterprise_id)?;
    let mut facts = common(
        conn,
        &party_row,
        std::slice::from_ref(&check.actor_id),
        std::slice::from_ref(hazard),
        check.at,
    )?;
    let passed = check.action == "verify_pass";
    facts["recheck"] = json!({
        "ordered_on": chinese_date(ordered),
        "rectified_on": proof.map(|e| chinese_date(e.at)).unwrap_or_default(),
        "rectification_note": proof.and_then(|e| e.note.clone()).unwrap_or_default(),
        "checked_on": chinese_date(check.at),
        "conclusion": if passed {
            "经复查，上述事故隐患已整改完毕，符合要求。"
        } else {
            "经复查，上述事故隐患未整改到位，你单位应当继续整改，整改完毕后再次提交复查。"
        },
        "note": check.note,
    });
    Ok(Paper {
        kind: DocumentKind::Recheck,
        subject: format!("{}:{}", hazard.id, check.sequence),
        number: None,
        issuing_body: county_bureau(conn, &hazard.region_code)?,
        enterprise_name: party_row.name,
        at: check.at,
        hazard_ids: vec![hazard.id.clone()],
        facts,
    })
}
