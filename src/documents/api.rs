//! The papers of the loop as PDF: an inspection's record, an enforcement action's document, a
//! hazard's re-check opinion. Each is read in the caller's scope, exactly as the record is.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::issue::{self, DocumentRow};
use super::kind::DocumentKind;
use super::{record, templates};
use crate::AppState;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::db;
use crate::error::{ApiError, Problem};

/// The PDF as served: inline, named by its title and code, its hash as `ETag`.
fn pdf(row: &DocumentRow, bytes: Bytes) -> HttpResponse {
    let title = DocumentKind::parse(&row.kind).map_or("document", |k| k.title());
    let name = format!("{title}-{}.pdf", issue::grouped(&row.code));
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"{}.pdf\"; filename*=UTF-8''{}",
                row.code,
                encoded.replace('+', "%20")
            ),
        ))
        .insert_header((header::ETAG, format!("\"{}\"", row.sha256)))
        .insert_header(("Verification-Code", row.code.clone()))
        .insert_header((header::CACHE_CONTROL, "private, max-age=0"))
        .body(bytes)
}

/// 现场检查记录 of a submitted inspection, with its checklist results and the hazards found.
/// The first request issues it; every later one gets the same bytes.
#[utoipa::path(
    tag = "documents",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "the PDF (PDF/A-2b); `ETag` is its SHA-256, `Verification-Code` its code", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`document_not_available`: not submitted yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a character no font has", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/inspections/{id}/record.pdf")]
pub async fn inspection_record(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner().to_string(), Scope::of(&caller));
    let paper = db::run(&state.pool, move |conn| {
        let inspection = crate::inspection::model::find_in_scope(conn, &scope, &id)?;
        record::inspection_record(conn, &inspection)
    })
    .await?;
    let (row, bytes) = issue::issue(&state, &caller, paper).await?;
    Ok(pdf(&row, bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `notice`: a penalty decision's prior notice (行政处罚告知书) instead of the decision.
    pub stage: Option<String>,
}

/// The document of an enforcement action, by its kind: 责令限期整改指令书, 行政处罚决定书 (and
/// with `stage=notice` its 行政处罚告知书), 查封扣押决定书, 责令停产停业整顿决定书, 提请关闭告知书,
/// 约谈通知书, 联合惩戒告知书, 案件移送书.
#[utoipa::path(
    tag = "documents",
    params(("id" = uuid::Uuid, Path), DocumentQuery),
    responses(
        (status = 200, description = "the PDF (PDF/A-2b); `ETag` is its SHA-256, `Verification-Code` its code", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a stage the kind does not have, or a character no font has", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enforcement-actions/{id}/document.pdf")]
pub async fn action_document(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
    query: web::Query<DocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner().to_string(), Scope::of(&caller));
    let stage = query.into_inner().stage;
    let files = templates::load(state.config.document_templates.as_deref())?;
    let decisions = templates::decisions(&files)?;
    let paper = db::run(&state.pool, move |conn| {
        let action = crate::enforcement::model::find_in_scope(conn, &scope, &id)?;
        let kind = DocumentKind::of_action(&action.row.kind, stage.as_deref())?;
        if kind == DocumentKind::PenaltyNotice && action.row.notified_at.is_none() {
            return Err(ApiError::Conflict {
                code: "document_not_available",
                detail: "this penalty records no prior notice".into(),
            });
        }
        record::action_document(conn, &action, kind, &decisions)
    })
    .await?;
    let (row, bytes) = issue::issue(&state, &caller, paper).await?;
    Ok(pdf(&row, bytes))
}

/// 整改复查意见书 of the hazard's latest re-check (passed or failed).
#[utoipa::path(
    tag = "documents",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 200, description = "the PDF (PDF/A-2b); `ETag` is its SHA-256, `Verification-Code` its code", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`document_not_available`: no re-check recorded yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a character no font has", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/hazards/{id}/recheck.pdf")]
pub async fn recheck_opinion(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner().to_string(), Scope::of(&caller));
    let paper = db::run(&state.pool, move |conn| {
        let hazard = crate::hazard::model::find_in_scope(conn, &scope, &id)?;
        let events = crate::hazard::events::list(conn, &id)?;
        record::recheck(conn, &hazard, &events)
    })
    .await?;
    let (row, bytes) = issue::issue(&state, &caller, paper).await?;
    Ok(pdf(&row, bytes))
}
