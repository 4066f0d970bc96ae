//! Direct-upload endpoints: declare a photo and get a slot, PUT the bytes (on S3 straight to
//! the store; on local disk to safeloop's signed URL), then complete.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, post, put, web};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::api::PhotoView;
use super::ingest::{self, Declared};
use super::model;
use super::s3::PutDeclaration;
use super::spool::Spooled;
use super::store::Store;
use super::upload::{self, UploadRow};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::extract::Json;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclareUpload {
    /// The SHA-256 of the bytes to come, 64 lowercase hex digits.
    pub sha256: String,
    /// Their exact size in bytes (at most the photo limit, 20 MiB by default).
    pub size: i64,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// `site`, `hazard`, `rectification` or `verification`.
    #[schema(value_type = crate::evidence::ingest::PhotoPurpose)]
    pub purpose: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadSlot {
    pub id: uuid::Uuid,
    /// Where to send the bytes: an S3 presigned URL, or safeloop's own signed URL.
    pub url: String,
    /// Always `PUT`.
    pub method: String,
    /// Headers to send with the bytes, exactly as given.
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Ask for a slot to upload one photo into directly. Valid 15 minutes; then
/// `POST /photo-uploads/{id}/complete`.
#[utoipa::path(
    tag = "photos",
    request_body = DeclareUpload,
    responses(
        (status = 201, body = UploadSlot),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/photo-uploads")]
pub async fn declare_upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    Json(body): Json<DeclareUpload>,
) -> Result<HttpResponse, ApiError> {
    upload::declaration_errors(
        &body.sha256,
        body.size,
        &body.content_type,
        &body.purpose,
        state.config.photo_max_bytes as u64,
    )?;
    let id = uuid::Uuid::now_v7();
    let created_at = db::now();
    let expires_at = created_at + Duration::minutes(upload::VALID_MINUTES);
    let row = UploadRow {
        id: id.to_string(),
        sha256: body.sha256,
        size: body.size,
        content_type: body.content_type,
        purpose: body.purpose,
        staging_key: upload::staging_key(&id.to_string()),
        uploaded_by: caller.id.to_string(),
        created_at,
        expires_at,
        photo_id: None,
        completed_at: None,
        claimed_at: None,
    };
    let (url, headers) = match &state.store {
        Store::S3(s3) => {
            let valid = std::time::Duration::from_secs(upload::VALID_MINUTES as u64 * 60);
            let declared = PutDeclaration {
                sha256: &row.sha256,
                size: row.size as u64,
                content_type: &row.content_type,
            };
            s3.presign_put(&row.staging_key, &declared, valid).await?
        }
        Store::Local(_) => {
            let expires = expires_at.and_utc().timestamp();
            let signature = upload::signature(state.config.token_secret_bytes(), &row.id, expires);
            let info = req.connection_info();
            let url = format!(
                "{}://{}/api/v1/photo-uploads/{id}/content?expires={expires}&signature={signature}",
                info.scheme(),
                info.host()
            );
            (
                url,
                vec![("content-type".to_owned(), row.content_type.clone())],
            )
        }
    };
    let stored = row.clone();
    db::run(&state.pool, move |conn| upload::insert(conn, &stored)).await?;
    Ok(HttpResponse::Created().json(UploadSlot {
        id,
        url,
        method: "PUT".into(),
        headers: headers.into_iter().collect(),
        expires_at: expires_at.and_utc(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    /// Unix time the URL stops working.
    pub expires: i64,
    pub signature: String,
}

/// Where the bytes of a direct upload go on the local-disk store, through the signed URL the
/// slot gave (no bearer token: the signature is the permission). Exactly the declared size
/// and type; a repeated PUT replaces what the slot held.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path), SignedQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses(
        (status = 200, description = "stored, waiting for completion"),
        (status = 403, description = "the signature is wrong or has expired", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/photo-uploads/{id}/content")]
pub async fn put_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    query: web::Query<SignedQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let secret = state.config.token_secret_bytes();
    if !upload::signature_holds(secret, &id, query.expires, &query.signature, Utc::now()) {
        return Err(ApiError::Forbidden(
            "this upload URL is not valid or has expired; ask for a new slot".into(),
        ));
    }
    let lookup = id.clone();
    let slot = db::run(&state.pool, move |conn| upload::find(conn, &lookup))
        .await?
        .filter(|slot| slot.completed_at.is_none())
        .ok_or(ApiError::NotFound("photo upload"))?;
    let sent_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent_type != slot.content_type {
        return Err(ApiError::validation(
            "content-type",
            format!("this slot takes {}", slot.content_type),
        ));
    }
    let mut bytes = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            code: "unreadable_body",
            detail: e.to_string(),
        })?;
        if (bytes.len() + chunk.len()) as i64 > slot.size {
            return Err(ApiError::PayloadTooLarge(format!(
                "this slot takes exactly {} bytes",
                slot.size
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    state.store.delete(&slot.staging_key).await?;
    state
        .store
        .put_new(&slot.staging_key, bytes.freeze(), &slot.content_type)
        .await?;
    Ok(HttpResponse::Ok().finish())
}

/// Finish a direct upload: the bytes in the slot are checked against the declared size and
/// SHA-256 (a mismatch answers 422 and removes them), then inspected like any upload. Calling
/// it again returns the same photo (200); a call made while an earlier one is still checking the
/// bytes waits for that photo rather than making a second.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 201, body = PhotoView),
        (status = 200, description = "already completed", body = PhotoView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the slot expired (`upload_expired`), or another call has been completing it for 30 s (`upload_completing`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/photo-uploads/{id}/complete")]
pub async fn complete_upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let slot = match take_turn(&state, &caller, id.into_inner().to_string()).await? {
        Turn::Completed(photo) => return Ok(HttpResponse::Ok().json(PhotoView::from(photo))),
        Turn::Ours(slot) => slot,
    };
    match finish(&state, &caller, &slot).await {
        Ok(photo) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/photos/{}", photo.id)))
            .json(PhotoView::from(photo))),
        Err(e) => {
            let slot_id = slot.id.clone();
            let released = db::run(&state.pool, move |conn| upload::release(conn, &slot_id));
            if let Err(error) = released.await {
                tracing::warn!(slot = %slot.id, %error, "could not release the upload slot; its claim lapses");
            }
            Err(e)
        }
    }
}

/// What a completion call finds when it comes to the slot.
enum Turn {
    /// Completed already, by this call's earlier try or by one running beside it.
    Completed(model::PhotoRow),
    /// Claimed for this call: it checks the bytes and makes the photo.
    Ours(UploadRow),
}

/// How long a call waits while another completes the same slot, and how often it looks.
const WAIT_FOR_OTHER: std::time::Duration = std::time::Duration::from_secs(30);
const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_millis(100);

/// The slot's photo once it has one; otherwise the slot, claimed for this call. While another
/// call holds the claim (a phone asking again before its first try answered), waits for it.
async fn take_turn(state: &AppState, caller: &AuthUser, id: String) -> Result<Turn, ApiError> {
    let started = std::time::Instant::now();
    loop {
        let (id, user) = (id.clone(), caller.id.to_string());
        let (slot, claimed) = db::run(&state.pool, move |conn| {
            let slot = upload::find_own(conn, &id, &user)?;
            let open = slot.photo_id.is_none() && slot.expires_at >= db::now();
            let claimed = open && upload::claim(conn, &slot.id, db::now())?;
            Ok((slot, claimed))
        })
        .await?;
        if let Some(photo_id) = slot.photo_id {
            let photo = db::run(&state.pool, move |conn| model::find(conn, &photo_id))
                .await?
                .ok_or(ApiError::NotFound("photo"))?;
            return Ok(Turn::Completed(photo));
        }
        if slot.expires_at < db::now() {
            return Err(ApiError::Conflict {
                code: "upload_expired",
                detail: "the upload slot has expired; ask for a new one".into(),
            });
        }
        if claimed {
            return Ok(Turn::Ours(slot));
        }
        if started.elapsed() > WAIT_FOR_OTHER {
            return Err(ApiError::Conflict {
                code: "upload_completing",
                detail: "another call is still completing this upload; ask again shortly".into(),
            });
        }
        actix_web::rt::time::sleep(LOOK_AGAIN).await;
    }
}

/// Checks the claimed slot's bytes and makes the photo; the bytes leave the staging area
/// either way.
async fn finish(
    state: &AppState,
    caller: &AuthUser,
    slot: &UploadRow,
) -> Result<model::PhotoRow, ApiError> {
    let bytes = match state.store.get(&slot.staging_key).await {
        Ok(bytes) => bytes,
        Err(super::store::StoreError::NotFound) => {
            return Err(ApiError::validation(
                "size",
                "nothing has been uploaded to this slot yet",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let photo = match check_and_ingest(state, caller, slot, bytes).await {
        Ok(photo) => photo,
        Err(e) => {
            // What failed the checks is not kept; if the store cannot remove it now, the
            // cleanup of abandoned slots will, and the caller still learns why it failed.
            if let Err(error) = state.store.delete(&slot.staging_key).await {
                tracing::warn!(key = %slot.staging_key, %error, "could not remove refused upload bytes");
            }
            return Err(e);
        }
    };
    state.store.delete(&slot.staging_key).await?;
    let (slot_id, photo_id) = (slot.id.clone(), photo.id.clone());
    db::run(&state.pool, move |conn| {
        upload::complete(conn, &slot_id, &photo_id, db::now())
    })
    .await?;
    Ok(photo)
}

async fn check_and_ingest(
    state: &AppState,
    caller: &AuthUser,
    slot: &UploadRow,
    bytes: Bytes,
) -> Result<model::PhotoRow, ApiError> {
    if bytes.len() as i64 != slot.size {
        return Err(ApiError::validation(
            "size",
            format!("{} bytes were declared, {} arrived", slot.size, bytes.len()),
        ));
    }
    let input = bytes.clone();
    let sha256 = web::block(move || hex::encode(Sha256::digest(&input)))
        .await
        .map_err(ApiError::internal)?;
    if sha256 != slot.sha256 {
        return Err(ApiError::validation(
            "sha256",
            format!("the bytes that arrived hash to {sha256}, not the declared value"),
        ));
    }
    let upload = Spooled::Memory {
        bytes,
        reserved: None,
    };
    ingest::ingest(state, caller.id, &slot.purpose, Declared::default(), upload).await
}
