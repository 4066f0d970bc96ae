//! Issuing a document: the first request for it typesets the record, keeps the PDF in the
//! store, records its hash under a verification code and appends that hash to the chained
//! record of every hazard the paper concerns. Every later request gets those same bytes.

use actix_web::web::Bytes;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::kind::DocumentKind;
use super::record::{self, Paper};
use super::typeset::{self, Sheet};
use super::{fonts, templates};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db::schema::{documents, hazards};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::hazard::events::{self, NewEvent};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub code: String,
    pub kind: String,
    pub subject: String,
    pub number: Option<String>,
    pub issuing_body: String,
    pub issued_on: String,
    pub enterprise_name: String,
    pub data: String,
    pub sha256: String,
    pub object_key: String,
    pub size: i64,
    pub issued_by: String,
    pub issued_at: NaiveDateTime,
}

/// The verification code of a kind's paper about `subject`: twelve letters and digits
/// (Crockford's alphabet: no I, L, O, U), the same on every server and every day.
pub fn code_for(kind: DocumentKind, subject: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let digest = Sha256::digest(format!("safeloop document\0{}\0{subject}", kind.as_str()));
    let mut bits: u64 = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    (0..12)
        .map(|_| {
            let c = ALPHABET[(bits >> 59) as usize] as char;
            bits <<= 5;
            c
        })
        .collect()
}

/// `ABCD-EFGH-JKMN`, as printed.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed by a person: case and dashes do not matter.
pub fn normalise(typed: &str) -> Option<String> {
    // Crockford's reading: O is 0, I and L are 1; dashes and spaces are for people.
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (code.len() == 12 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

pub fn find(
    conn: &mut DbConnection,
    kind: DocumentKind,
    subject: &str,
) -> Result<Option<DocumentRow>, ApiError> {
    Ok(documents::table
        .filter(documents::kind.eq(kind.as_str()))
        .filter(documents::subject.eq(subject))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<DocumentRow>, ApiError> {
    Ok(documents::table
        .find(code)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The template's whole input: the paper's facts with its title, number, dates and code.
pub fn sheet_data(paper: &Paper, code: &str, public_url: &str) -> Value {
    let mut data = paper.facts.clone();
    data["kind"] = json!(paper.kind.as_str());
    data["title"] = json!(paper.kind.title());
    data["number"] = json!(paper.number);
    data["issuing_body"] = json!(paper.issuing_body);
    data["issued_on"] = json!(record::chinese_date(paper.at));
    data["date"] = record::date_parts(paper.at);
    data["verify"] = json!({"code": grouped(code), "url": format!("{public_url}/verify/{code}")});
    for key in ["summary", "hazards"] {
        if data.get(key).is_none() {
            data[key] = if key == "summary" {
                json!("")
            } else {
                json!([])
            };
        }
    }
    data
}

/// Every string composed (NFC), as it will be printed.
fn compose(value: &mut Value) {
    match value {
        Value::String(text) => *text = fonts::composed(text),
        Value::Array(items) => items.iter_mut().for_each(compose),
        Value::Object(fields) => fields.values_mut().for_each(compose),
        _ => {}
    }
}

/// Every string in the data with where it sits (`party.name`, `hazards[2].measures`).
fn texts(value: &Value, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => out.push((path, text.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                texts(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                texts(item, path, out);
            }
        }
        _ => {}
    }
}

fn qr_svg(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(ApiError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// Typesets the data with the kind's template: a pure function of its inputs.
pub fn render(
    kind: DocumentKind,
    data: &Value,
    templates: Vec<(String, String)>,
    font_dirs: &[std::path::PathBuf],
    at: NaiveDateTime,
) -> Result<Vec<u8>, ApiError> {
    let mut data = data.clone();
    compose(&mut data);
    let data = &data;
    let mut strings = Vec::new();
    texts(data, String::new(), &mut strings);
    let fonts = fonts::for_texts(
        strings
            .iter()
            .map(|(path, text)| (path.clone(), text.as_str())),
        font_dirs,
    )
    .map_err(|missing| {
        ApiError::validation(
            missing.field.clone(),
            format!(
                "「{}」(U+{:04X}) is in no font this server has, so the document cannot show it; \
                 write it with a standard character or install a font that has it \
                 (SAFELOOP_FONT_DIRS)",
                missing.character, missing.character as u32
            ),
        )
    })?;
    let main = templates
        .iter()
        .find(|(name, _)| name == kind.template())
        .map(|(_, text)| text.clone())
        .ok_or_else(|| ApiError::internal(format!("no template {}", kind.template())))?;
    let url = data["verify"]["url"].as_str().unwrap_or_default();
    let sheet = Sheet {
        templates,
        main,
        data: serde_json::to_vec(data).map_err(ApiError::internal)?,
        qr_svg: qr_svg(url)?,
        date: at,
        ident: data["verify"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        fonts,
    };
    typeset::typeset(sheet).map_err(|cause| {
        if cause.contains("could not be displayed") {
            // A glyph the fonts have but cannot set (a rare cluster): the paper's text is at
            // fault, not the server.
            ApiError::validation("document", format!("the text cannot be printed: {cause}"))
        } else {
            ApiError::internal(format!("typesetting {}: {cause}", kind.as_str()))
        }
    })
}

/// The key of a document's bytes in the store.
fn object_key(sha256: &str) -> String {
    format!("documents/{}/{}/{sha256}.pdf", &sha256[..2], &sha256[2..4])
}

/// The paper's document, issuing it if this is the first request for it.
pub async fn issue(
    state: &AppState,
    caller: &AuthUser,
    paper: Paper,
) -> Result<(DocumentRow, Bytes), ApiError> {
    let (kind, subject) = (paper.kind, paper.subject.clone());
    if let Some(row) = db::run(&state.pool, move |conn| find(conn, kind, &subject)).await? {
        let bytes = state.store.get(&row.object_key).await?;
        return Ok((row, bytes));
    }
    let code = code_for(paper.kind, &paper.subject);
    let data = sheet_data(&paper, &code, &state.config.public_url);
    let templates = templates::load(state.config.document_templates.as_deref())?;
    let font_dirs = state.config.font_dirs.clone();
    let at = paper.at;
    let pdf = {
        let _permit = state.image_permit().await;
        let data = data.clone();
        actix_web::web::block(move || render(kind, &data, templates, &font_dirs, at))
            .await
            .map_err(ApiError::internal)??
    };
    let sha256 = hex::encode(Sha256::digest(&pdf));
    let key = object_key(&sha256);
    let size = pdf.len() as i64;
    let bytes = Bytes::from(pdf);
    state
        .store
        .put_new(&key, bytes.clone(), "application/pdf")
        .await?;
    let row = DocumentRow {
        code,
        kind: kind.as_str().to_owned(),
        subject: paper.subject.clone(),
        number: paper.number.clone(),
        issuing_body: paper.issuing_body.clone(),
        issued_on: record::chinese_date(paper.at),
        enterprise_name: paper.enterprise_name.clone(),
        data: data.to_string(),
        sha256,
        object_key: key,
        size,
        issued_by: caller.id.to_string(),
        issued_at: db::now(),
    };
    let (stored, actor, hazard_ids) = (row.clone(), caller.clone(), paper.hazard_ids.clone());
    let recorded = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| record_issue(conn, &stored, &actor, &hazard_ids))
    })
    .await?;
    match recorded {
        true => Ok((row, bytes)),
        // Another request issued it first: its paper is the one (the same bytes, as the
        // record is the same).
        false => {
            let (kind, subject) = (paper.kind, paper.subject);
            let row = db::run(&state.pool, move |conn| find(conn, kind, &subject))
                .await?
                .ok_or_else(|| ApiError::internal("a document vanished after a conflict"))?;
            let bytes = state.store.get(&row.object_key).await?;
            Ok((row, bytes))
        }
    }
}

/// The document's row and its hash in each hazard's chained record, together; `false` when
/// another request recorded the document first.
fn record_issue(
    conn: &mut DbConnection,
    row: &DocumentRow,
    actor: &AuthUser,
    hazard_ids: &[String],
) -> Result<bool, ApiError> {
    match diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => {}
        Err(e) if crate::idempotency::is_unique_violation(&e) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let detail = json!({
        "document": row.kind, "code": row.code, "number": row.number, "sha256": row.sha256,
    })
    .to_string();
    for hazard_id in hazard_ids {
        // Take the hazard's row first, as a transition does, so two appends to its record
        // wait for each other instead of colliding on the next sequence.
        diesel::update(hazards::table.find(hazard_id))
            .set(hazards::version.eq(hazards::version))
            .execute(conn)?;
        let status: String = hazards::table
            .find(hazard_id)
            .select(hazards::status)
            .first(conn)?;
        events::append(
            conn,
            NewEvent {
                hazard_id,
                actor_id: &actor.id.to_string(),
                actor_role: actor.role.as_str(),
                action: "document_issued",
                from_status: Some(&status),
                to_status: &status,
                note: None,
                photo_ids: &[],
                detail: Some(detail.clone()),
            },
        )?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_short_and_unambiguous() {
        let code = code_for(DocumentKind::RectificationNotice, "01a2-action");
        assert_eq!(
            code,
            code_for(DocumentKind::RectificationNotice, "01a2-action")
        );
        assert_ne!(code, code_for(DocumentKind::PenaltyNotice, "01a2-action"));
        assert_eq!(code.len(), 12);
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        assert_eq!(normalise(&grouped(&code).to_lowercase()), Some(code));
        assert_eq!(normalise("ABC"), None);
        assert_eq!(
            normalise("o1il 2345 6789").as_deref(),
            Some("0111".to_owned() + "23456789").as_deref()
        );
        assert_eq!(normalise("ABCD-EFGH-JK%N"), None);
    }
}
