//! `POST /console/hazards/{id}/rectification`: an enterprise's proof from a phone browser, the
//! photos taken with its camera (整改照片) and what was done (整改说明). The photos go through
//! the same ingest as `POST /api/v1/photos`, then the same `submit_rectification` transition.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{PageError, Visitor, form, see_other};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::conditional::IfMatch;
use crate::db;
use crate::error::ApiError;
use crate::evidence::form_data::FormData;
use crate::evidence::ingest::{self, Declared};
use crate::evidence::spool::{Spooled, spool};
use crate::hazard::model;
use crate::hazard::transitions::{self, TransitionRequest};
use crate::hazard::workflow::Action;

/// As many photos as one transition takes.
const MAX_PHOTOS: usize = 20;
const MAX_TEXT: usize = 8 * 1024;

#[derive(Default)]
struct Proof {
    version: Option<i64>,
    note: String,
    photos: Vec<Spooled>,
}

/// Reads the form. The session's token must come first (the form puts it first): no photo is
/// spooled before it has been checked. Photos are spooled (`evidence::spool`), not looked at.
async fn read(
    mut body: FormData<web::Payload>,
    state: &AppState,
    req: &HttpRequest,
    visitor: &Visitor,
) -> Result<Proof, PageError> {
    let max_bytes = state.config.photo_max_bytes;
    let mut proof = Proof::default();
    let mut checked = false;
    while let Some(field) = body.next_field().await? {
        if field.name == "photo" {
            if !checked {
                return Err(PageError::ForgedForm);
            }
            // A file input left empty still sends a part with no bytes.
            let photo = spool(body.chunks(), max_bytes, None, &state.upload_memory).await?;
            if !photo.is_empty() {
                if proof.photos.len() == MAX_PHOTOS {
                    return Err(ApiError::validation("photo", "at most 20 photos").into());
                }
                proof.photos.push(photo);
            }
            continue;
        }
        let text = body.text(&field.name, MAX_TEXT).await?;
        match field.name.as_str() {
            "csrf" => {
                form::check(req, &visitor.csrf_token, &text)?;
                checked = true;
            }
            "note" => proof.note = text,
            "version" => {
                let version = text.trim().parse().map_err(|_| {
                    ApiError::validation("version", "must be the version the page showed")
                })?;
                proof.version = Some(version);
            }
            _ => {}
        }
    }
    if !checked {
        return Err(PageError::ForgedForm);
    }
    Ok(proof)
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
    body: web::Payload,
) -> Result<HttpResponse, PageError> {
    let back = format!("/console/hazards/{}", *id);
    async move {
        if !form::same_site(&req) {
            return Err(PageError::ForgedForm);
        }
        let hazard_id = id.into_inner().to_string();
        // Whether the loop lets this visitor rectify this hazard now, before any photo is read:
        // the transition below decides again, in its transaction.
        let (caller, target) = (visitor.caller.clone(), hazard_id.clone());
        db::run(&state.pool, move |conn| {
            let hazard = model::find_in_scope(conn, &Scope::of(&caller), &target)?;
            transitions::may_take(conn, &caller, &hazard, Action::SubmitRectification).map(drop)
        })
        .await?;
        let proof = read(FormData::of(&req, body)?, &state, &req, &visitor).await?;
        let Some(version) = proof.version else {
            return Err(
                ApiError::validation("version", "must be the version the page showed").into(),
            );
        };
        if proof.photos.is_empty() {
            return Err(ApiError::validation(
                "photo",
                "take at least one photo of the rectification",
            )
            .into());
        }
        let mut photo_ids = Vec::with_capacity(proof.photos.len());
        for photo in proof.photos {
            let row = ingest::ingest(
                &state,
                visitor.caller.id,
                "rectification",
                Declared::default(),
                photo,
            )
            .await?;
            photo_ids.push(row.id.parse().map_err(PageError::internal)?);
        }
        let request = TransitionRequest {
            action: Action::SubmitRectification,
            note: Some(proof.note),
            photo_ids,
        };
        let (caller, target) = (visitor.caller.clone(), hazard_id.clone());
        let expected = Some(IfMatch::exactly(version));
        db::run(&state.pool, move |conn| {
            transitions::transition(conn, &caller, &target, &request, expected)
        })
        .await?;
        Ok(see_other(&format!(
            "/console/hazards/{hazard_id}?done=submit_rectification"
        )))
    }
    .await
    .map_err(|e: PageError| e.returning_to(&back))
}
