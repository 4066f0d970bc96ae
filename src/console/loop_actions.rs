//! The loop's forms: re-check, closure, cancellation, extensions and listed supervision. Each
//! calls the very function the API's endpoint calls; the answer is the hazard page again (303),
//! or, for htmx, the refreshed action panel.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::hazard_page::{self, LoopActionsPartial};
use super::page_error::safe_return_path;
use super::{PageError, Visitor, form, html, messages, notice_for, see_other};
use crate::AppState;
use crate::conditional::IfMatch;
use crate::db;
use crate::error::ApiError;
use crate::hazard::supervision::{self, ListedLevel};
use crate::hazard::transitions::{self, TransitionRequest};
use crate::hazard::workflow::Action;

/// Whether htmx sent the request (it swaps a fragment instead of following a redirect).
fn from_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("hx-request")
}

/// What a loop form leads to: with htmx, the action panel re-read with the notice or the
/// problem; without, the hazard page (303) or the error page.
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    visitor: Visitor,
    hazard_id: String,
    done: &str,
    outcome: Result<(), ApiError>,
) -> Result<HttpResponse, PageError> {
    let after = format!("/console/hazards/{hazard_id}?done={done}");
    if !from_htmx(req) {
        outcome?;
        return Ok(see_other(&after));
    }
    // Done: the whole page again (status, record, forms), as without JavaScript. Refused: only
    // the panel, with the reason beside what was typed.
    if outcome.is_ok() {
        return Ok(HttpResponse::Ok()
            .insert_header(("HX-Redirect", after))
            .finish());
    }
    let status = match &outcome {
        Ok(()) => StatusCode::OK,
        Err(e) => actix_web::ResponseError::status_code(e),
    };
    let reader = visitor.clone();
    let loaded = db::run(&state.pool, move |conn| {
        hazard_page::load(conn, &reader, &hazard_id)
    })
    .await?;
    let mut actions = hazard_page::actions(&visitor, &loaded, state.config.extension_max_days);
    match outcome {
        Ok(()) => actions.notice = notice_for(Some(done)),
        Err(e) => {
            if let ApiError::Internal(cause) = &e {
                tracing::error!(request_id = ?crate::ops::request_id::current(), %cause, "internal error in the console");
            }
            actions.problem = Some(messages::explain(&e));
        }
    }
    Ok(html(status, LoopActionsPartial { actions }.render()))
}

#[derive(Deserialize)]
struct TransitionForm {
    version: Option<i64>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/hazards/{id}/transitions`
pub async fn transition(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = format!("/console/hazards/{}", *id);
    async move {
        let sent: TransitionForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let action = Action::parse(&sent.action)
            .ok_or_else(|| ApiError::validation("action", "is not an action of the loop"))?;
        // The page always sends the version it showed: acting on a page someone else has since
        // changed is refused (412), never silently applied.
        let version = sent.version.ok_or_else(|| {
            ApiError::validation("version", "must be the version the page showed")
        })?;
        let hazard_id = id.into_inner().to_string();
        let request = TransitionRequest {
            action,
            note: Some(sent.note),
            photo_ids: Vec::new(),
        };
        let (caller, target) = (visitor.caller.clone(), hazard_id.clone());
        let outcome = db::run(&state.pool, move |conn| {
            let expected = Some(IfMatch::exactly(version));
            transitions::transition(conn, &caller, &target, &request, expected).map(drop)
        })
        .await;
        answer(&state, &req, visitor, hazard_id, action.as_str(), outcome).await
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[derive(Deserialize)]
struct ExtensionForm {
    #[serde(default)]
    requested_deadline: String,
    #[serde(default)]
    reason: String,
}

/// The end of a day the form names (`YYYY-MM-DD`, China Standard Time).
fn end_of_day(date: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ApiError::validation("requested_deadline", "must be a date (YYYY-MM-DD)"))?;
    let end = day
        .and_hms_opt(23, 59, 59)
        .expect("23:59:59 is a time")
        .and_local_timezone(crate::calendar::offset())
        .single()
        .expect("a fixed offset has one local time");
    Ok(end.with_timezone(&chrono::Utc))
}

/// `POST /console/hazards/{id}/extensions`: an enterprise asks for more time.
pub async fn request_extension(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = format!("/console/hazards/{}", *id);
    async move {
        let sent: ExtensionForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let hazard_id = id.into_inner().to_string();
        let requested_deadline = end_of_day(&sent.requested_deadline)?;
        let max_days = state.config.extension_max_days;
        let (caller, target) = (visitor.caller.clone(), hazard_id.clone());
        db::run(&state.pool, move |conn| {
            let asked = supervision::Extension {
                requested_deadline,
                reason: &sent.reason,
                max_days,
            };
            supervision::request_extension(conn, &caller, &target, asked)
        })
        .await?;
        Ok(see_other(&format!(
            "/console/hazards/{hazard_id}?done=extension_requested"
        )))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

/// `POST /console/extensions/{id}/decision`: 批准延期 or 驳回延期.
pub async fn decide_extension(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = "/console/extensions".to_owned();
    async move {
        let sent: DecisionForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let approve = match sent.decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => return Err(ApiError::validation("decision", "must be approve or deny").into()),
        };
        let extension_id = id.into_inner().to_string();
        let caller = visitor.caller.clone();
        let note = Some(sent.note.trim().to_owned()).filter(|n| !n.is_empty());
        db::run(&state.pool, move |conn| {
            supervision::decide_extension(conn, &caller, &extension_id, approve, note.as_deref())
        })
        .await?;
        let done = if approve {
            "extension_approved"
        } else {
            "extension_denied"
        };
        let back = safe_return_path(if sent.back.is_empty() {
            "/console/extensions"
        } else {
            &sent.back
        });
        let joiner = if back.contains('?') { '&' } else { '?' };
        Ok(see_other(&format!("{back}{joiner}done={done}")))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[derive(Deserialize)]
struct ListingForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/hazards/{id}/listing`: 挂牌督办, or lifting it (an empty level).
pub async fn set_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let back = format!("/console/hazards/{}", *id);
    async move {
        let sent: ListingForm = form::verified(&req, &visitor.csrf_token, &body)?;
        let level = match sent.level.as_str() {
            "" => None,
            "county" => Some(ListedLevel::County),
            "city" => Some(ListedLevel::City),
            "province" => Some(ListedLevel::Province),
            _ => {
                return Err(
                    ApiError::validation("level", "must be county, city or province").into(),
                );
            }
        };
        let hazard_id = id.into_inner().to_string();
        let (caller, target) = (visitor.caller.clone(), hazard_id.clone());
        db::run(&state.pool, move |conn| {
            supervision::set_listing(conn, &caller, &target, level, &sent.note)
        })
        .await?;
        let done = if level.is_some() {
            "listed"
        } else {
            "unlisted"
        };
        Ok(see_other(&format!(
            "/console/hazards/{hazard_id}?done={done}"
        )))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}

#[cfg(test)]
mod tests {
    use super::end_of_day;

    #[test]
    fn a_date_means_the_end_of_that_day_in_china() {
        let end = end_of_day("2026-12-20").unwrap();
        assert_eq!(end.to_rfc3339(), "2026-12-20T15:59:59+00:00");
        assert!(end_of_day("20/12/2026").is_err());
    }
}
