//! Enforcement endpoints: issue a document (idempotent on the client's id), list, read.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{self, Action, ActionFilter, ActionRow};
use super::rules::{self, ActionKind, Document};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::hazard::{model as hazard_model, supervision};
use crate::idempotency::{self, Created};
use crate::inspection::model as inspection_model;
use crate::pagination::{self, Cursor};
use crate::{calendar, registry::enterprise};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAction {
    /// Made by the client (UUID); sending the same document again returns the stored one.
    pub id: uuid::Uuid,
    pub kind: ActionKind,
    /// 文书号, e.g. `（赣）应急罚〔2026〕12号`; unique per issuing body and year.
    pub document_no: String,
    /// 发文机关, e.g. `赣县区应急管理局`.
    pub issuing_body: String,
    pub enterprise_id: uuid::Uuid,
    /// The inspection the document follows from; a penalty may not follow a self-inspection.
    pub inspection_id: Option<uuid::Uuid>,
    /// The hazards it answers, all of the same enterprise; a penalty may not rest on a
    /// self-inspection hazard (自查不罚).
    #[serde(default)]
    pub hazard_ids: Vec<uuid::Uuid>,
    /// The fine in integer fen (100 = 1 yuan); a `penalty_decision` only, and required there.
    pub fine_fen: Option<i64>,
    /// When the prior notice (行政处罚事先告知书) reached the party; required for a
    /// `penalty_decision` (行政处罚法 art. 44).
    pub notified_at: Option<DateTime<Utc>>,
    /// Whether the party asked for a hearing (听证); required for a `penalty_decision`.
    pub hearing_requested: Option<bool>,
    /// When the hearing was held: between the notice and the decision, and required when the
    /// party asked for one (行政处罚法 art. 65: the decision follows the hearing record).
    pub hearing_held_at: Option<DateTime<Utc>>,
    /// When the document was issued; now when absent. Its year (China Standard Time) scopes
    /// the document number.
    pub issued_at: Option<DateTime<Utc>>,
    /// The facts and grounds, briefly.
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub id: uuid::Uuid,
    pub kind: ActionKind,
    pub document_no: String,
    pub issuing_body: String,
    /// The year the document number belongs to.
    pub issued_year: i32,
    pub enterprise_id: uuid::Uuid,
    pub region_code: String,
    pub sector: String,
    pub inspection_id: Option<uuid::Uuid>,
    pub hazard_ids: Vec<uuid::Uuid>,
    pub fine_fen: Option<i64>,
    pub notified_at: Option<DateTime<Utc>>,
    pub hearing_requested: Option<bool>,
    pub hearing_held_at: Option<DateTime<Utc>>,
    pub summary: String,
    pub issued_by: uuid::Uuid,
    pub issued_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

fn uuid_of(text: &str) -> uuid::Uuid {
    text.parse().expect("ids are UUIDs")
}

impl From<Action> for ActionView {
    fn from(Action { row, hazard_ids }: Action) -> Self {
        ActionView {
            id: uuid_of(&row.id),
            kind: ActionKind::parse(&row.kind).expect("kinds are checked on the way in"),
            document_no: row.document_no,
            issuing_body: row.issuing_body,
            issued_year: row.issued_year,
            enterprise_id: uuid_of(&row.enterprise_id),
            region_code: row.region_code,
            sector: row.sector_code,
            inspection_id: row.inspection_id.as_deref().map(uuid_of),
            hazard_ids: hazard_ids.iter().map(|h| uuid_of(h)).collect(),
            fine_fen: row.fine_fen,
            notified_at: row.notified_at.map(|t| t.and_utc()),
            hearing_requested: row.hearing_requested,
            hearing_held_at: row.hearing_held_at.map(|t| t.and_utc()),
            summary: row.summary,
            issued_by: uuid_of(&row.issued_by),
            issued_at: row.issued_at.and_utc(),
            created_at: row.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    pub kind: Option<ActionKind>,
    pub enterprise_id: Option<uuid::Uuid>,
    /// Documents that answer this hazard.
    pub hazard_id: Option<uuid::Uuid>,
    /// A sector code; an umbrella sector includes its children.
    pub sector: Option<String>,
    /// A region code prefix.
    pub region: Option<String>,
    /// Issued at or after: a date (China Standard Time) or an RFC 3339 time.
    pub issued_from: Option<String>,
    /// Issued before: a date (China Standard Time) or an RFC 3339 time.
    pub issued_to: Option<String>,
    pub cursor: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionPage {
    pub items: Vec<ActionView>,
    pub next_cursor: Option<String>,
}

/// Hazards one document may answer.
const MAX_HAZARDS: usize = 100;

/// Checks the links: the inspection and every hazard in scope, of the same enterprise, and
/// none self-found when this is a penalty.
fn check_links(
    conn: &mut DbConnection,
    scope: &Scope,
    body: &CreateAction,
    enterprise_id: &str,
) -> Result<Vec<hazard_model::HazardRow>, ApiError> {
    if let Some(inspection_id) = body.inspection_id {
        let inspection = inspection_model::find_in_scope(conn, scope, &inspection_id.to_string())
            .map_err(|_| ApiError::validation("inspection_id", "is not an inspection you can see"))?
            .row;
        if inspection.enterprise_id != enterprise_id {
            return Err(ApiError::validation(
                "inspection_id",
                "is an inspection of another enterprise",
            ));
        }
        rules::check_not_self_found(body.kind, "inspection_id", inspection.kind == "self")?;
    }
    if body.hazard_ids.len() > MAX_HAZARDS {
        return Err(ApiError::validation(
            "hazard_ids",
            format!("at most {MAX_HAZARDS} hazards"),
        ));
    }
    let mut hazards = Vec::with_capacity(body.hazard_ids.len());
    for (i, hazard_id) in body.hazard_ids.iter().enumerate() {
        let field = format!("hazard_ids[{i}]");
        if body.hazard_ids[..i].contains(hazard_id) {
            return Err(ApiError::validation(field, "is listed twice"));
        }
        let hazard = hazard_model::find_in_scope(conn, scope, &hazard_id.to_string())
            .map_err(|_| ApiError::validation(field.clone(), "is not a hazard you can see"))?;
        if hazard.enterprise_id != enterprise_id {
            return Err(ApiError::validation(
                field,
                "is a hazard of another enterprise",
            ));
        }
        rules::check_not_self_found(body.kind, &field, hazard.source == "self_inspection")?;
        hazards.push(hazard);
    }
    Ok(hazards)
}

fn issue(
    conn: &mut DbConnection,
    caller: &AuthUser,
    body: CreateAction,
    hash: String,
) -> Result<Created<Action>, ApiError> {
    let id = body.id.to_string();
    let scope = Scope::of(caller);
    if let Some(existing) = model::find_any(conn, &id)? {
        return replay(conn, &scope, existing, &hash);
    }
    let now = Utc::now();
    let issued_at = body.issued_at.unwrap_or(now);
    let document = Document {
        kind: body.kind,
        document_no: &body.document_no,
        issuing_body: &body.issuing_body,
        summary: &body.summary,
        fine_fen: body.fine_fen,
        notified_at: body.notified_at,
        hearing_requested: body.hearing_requested,
        hearing_held_at: body.hearing_held_at,
        issued_at,
    };
    ApiError::check_fields(rules::field_errors(&document, now))?;
    crate::documents::fonts::printable(&[
        ("document_no", Some(&body.document_no)),
        ("issuing_body", Some(&body.issuing_body)),
        ("summary", Some(&body.summary)),
    ])?;
    rules::check_penalty_procedure(&document)?;
    rules::check_hearing(&document)?;
    let enterprise = enterprise::find_in_scope(conn, &scope, &body.enterprise_id.to_string())
        .map_err(|_| ApiError::validation("enterprise_id", "is not an enterprise you can see"))?;
    let hazards = check_links(conn, &scope, &body, &enterprise.id)?;
    let row = ActionRow {
        id: id.clone(),
        kind: body.kind.as_str().to_owned(),
        issuing_body: body.issuing_body.trim().to_owned(),
        issued_year: calendar::year_of(issued_at),
        document_no: body.document_no.trim().to_owned(),
        enterprise_id: enterprise.id,
        region_code: enterprise.region_code,
        sector_code: enterprise.sector_code,
        inspection_id: body.inspection_id.map(|i| i.to_string()),
        fine_fen: body.fine_fen,
        notified_at: body.notified_at.map(db::stored_time),
        hearing_requested: body.hearing_requested,
        summary: body.summary.trim().to_owned(),
        issued_by: caller.id.to_string(),
        issued_at: db::stored_time(issued_at),
        request_hash: hash.clone(),
        created_at: db::now(),
        hearing_held_at: body.hearing_held_at.map(db::stored_time),
    };
    let hazard_ids: Vec<String> = hazards.iter().map(|h| h.id.clone()).collect();
    let stored = conn.transaction(|conn| {
        model::insert(conn, &row, &hazard_ids).map_err(|e| {
            if idempotency::is_unique_violation(&e) {
                ApiError::Conflict {
                    code: TAKEN,
                    detail: String::new(),
                }
            } else {
                e.into()
            }
        })?;
        // The document is a decision on each hazard it answers: it goes into their records.
        let detail = serde_json::json!({
            "enforcement_action_id": row.id, "kind": row.kind, "document_no": row.document_no,
            "issuing_body": row.issuing_body, "fine_fen": row.fine_fen,
        });
        for hazard in &hazards {
            supervision::record_decision(
                conn,
                hazard,
                caller,
                "enforcement_action",
                None,
                detail.clone(),
                |_| Ok(()),
            )?;
        }
        crate::notify::outbox::record(
            conn,
            "enforcement_action.issued",
            crate::notify::outbox::Subject {
                hazard_id: None,
                enterprise_id: Some(row.enterprise_id.clone()),
                region_code: Some(row.region_code.clone()),
                sector_code: Some(row.sector_code.clone()),
            },
            serde_json::json!({
                "enforcement_action_id": row.id, "kind": row.kind, "document_no": row.document_no,
                "issuing_body": row.issuing_body, "enterprise_id": row.enterprise_id,
                "hazard_ids": hazard_ids, "fine_fen": row.fine_fen,
                "issued_at": row.issued_at.and_utc(),
            }),
        )?;
        Ok(())
    });
    match stored {
        Ok(()) => Ok(Created::New(Action {
            row,
            hazard_ids: sorted(hazard_ids),
        })),
        // Either another try of the same document won the race, or the number is taken.
        Err(ApiError::Conflict { code: TAKEN, .. }) => match model::find_any(conn, &id)? {
            Some(existing) => replay(conn, &scope, existing, &hash),
            None => Err(ApiError::Conflict {
                code: "document_number_taken",
                detail: format!(
                    "{} already issued document number {} in {}; numbers are unique per issuing body and year",
                    row.issuing_body, row.document_no, row.issued_year
                ),
            }),
        },
        Err(e) => Err(e),
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Marks a unique key taken inside the transaction.
const TAKEN: &str = "taken";

fn replay(
    conn: &mut DbConnection,
    scope: &Scope,
    existing: ActionRow,
    hash: &str,
) -> Result<Created<Action>, ApiError> {
    let visible = model::find_in_scope(conn, scope, &existing.id).is_ok();
    idempotency::replay_or_conflict(&existing.request_hash, hash, visible)?;
    Ok(Created::Replayed(model::complete(conn, existing)?))
}

/// Issue an enforcement document (执法文书). Idempotent on `id`. A `penalty_decision` needs its
/// fine and its prior notice (行政处罚法 art. 44), and may not rest on a self-inspection (自查不罚).
/// Each linked hazard gets an `enforcement_action` event in its record.
#[utoipa::path(
    tag = "enforcement",
    request_body = CreateAction,
    responses(
        (status = 201, body = ActionView),
        (status = 200, description = "the same document was already stored", body = ActionView),
        (status = 409, description = "the id or the document number is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a field or a rule (`prior_notice_required`, `self_inspection_not_penalised`) is broken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/enforcement-actions")]
pub async fn create_action(
    state: web::Data<AppState>,
    caller: AuthUser,
    Json(body): Json<CreateAction>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Inspector, Role::Supervisor])?;
    let hash = idempotency::request_hash(&body);
    let created = db::run(&state.pool, move |conn| issue(conn, &caller, body, hash)).await?;
    Ok(match created {
        Created::New(action) => HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/enforcement-actions/{}", action.row.id),
            ))
            .json(ActionView::from(action)),
        Created::Replayed(action) => HttpResponse::Ok().json(ActionView::from(action)),
    })
}

/// Enforcement documents in the caller's scope, newest first. An enterprise sees those
/// issued to it.
#[utoipa::path(tag = "enforcement", params(ActionQuery), responses((status = 200, body = ActionPage)), security(("bearer" = [])))]
#[get("/enforcement-actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<ActionQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = ActionFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        enterprise_id: query.enterprise_id.map(|e| e.to_string()),
        hazard_id: query.hazard_id.map(|h| h.to_string()),
        sector: query.sector,
        region: query.region,
        issued_from: calendar::bound_param("issued_from", query.issued_from.as_deref())?,
        issued_to: calendar::bound_param("issued_to", query.issued_to.as_deref())?,
        after: query.cursor.as_deref().map(Cursor::decode).transpose()?,
        limit: pagination::limit(query.limit)?,
    };
    let limit = filter.limit;
    let scope = Scope::of(&caller);
    let actions = db::run(&state.pool, move |conn| {
        let rows = model::list(conn, &scope, &filter)?;
        let (rows, next_cursor) = pagination::finish(rows, limit, |a| Cursor {
            at: a.created_at,
            id: a.id.clone(),
        });
        let actions = rows
            .into_iter()
            .map(|row| model::complete(conn, row))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((actions, next_cursor))
    })
    .await?;
    let (actions, next_cursor) = actions;
    Ok(HttpResponse::Ok().json(ActionPage {
        items: actions.into_iter().map(ActionView::from).collect(),
        next_cursor,
    }))
}

/// One enforcement document in the caller's scope.
#[utoipa::path(
    tag = "enforcement",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ActionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/enforcement-actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let scope = Scope::of(&caller);
    let action = db::run(&state.pool, move |conn| {
        model::find_in_scope(conn, &scope, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ActionView::from(action)))
}
