//! `/api/v1/resumable-uploads`: photo uploads that resume after a dropped connection, over
//! tus 1.0.0, so the phone's standard tus clients work as they are. Every answer carries
//! `Tus-Resumable` (added by the route table for this scope, errors included).

use actix_web::http::header::{self, HeaderMap, HttpDate};
use actix_web::web::BytesMut;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, route, web};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::resumable::{self, ResumableRow};
use super::resumable_parts::{photo_of_complete, remove_objects, store_parts, write_part};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::{ApiError, Problem};

pub const PHOTO_ID: &str = "Photo-Id";
const OFFSET_STREAM: &str = "application/offset+octet-stream";

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every request but OPTIONS names the protocol version: without it the request is not tus
/// (400); another version is refused with 412, as the protocol says.
fn require_tus(req: &HttpRequest) -> Result<(), ApiError> {
    match header_text(req.headers(), "Tus-Resumable").map(str::trim) {
        Some(resumable::TUS_VERSION) => Ok(()),
        None | Some("") => Err(ApiError::BadRequest {
            code: "invalid_header",
            detail: "send `Tus-Resumable: 1.0.0` with every tus request".into(),
        }),
        Some(_) => Err(ApiError::PreconditionFailed(
            "`Tus-Resumable: 1.0.0` is the only version served".into(),
        )),
    }
}

fn offset_header(req: &HttpRequest, name: &str) -> Result<Option<i64>, ApiError> {
    match header_text(req.headers(), name) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest {
                code: "invalid_header",
                detail: format!("`{name}` must be a non-negative integer"),
            }),
    }
}

fn expires(row: &ResumableRow) -> String {
    let at: std::time::SystemTime = row.expires_at.and_utc().into();
    HttpDate::from(at).to_string()
}

/// The upload if it is the caller's and has not expired (410 when it has).
pub(super) async fn own_upload(
    state: &AppState,
    caller: &AuthUser,
    id: uuid::Uuid,
) -> Result<ResumableRow, ApiError> {
    let (id, me) = (id.to_string(), caller.id.to_string());
    let row = db::run(&state.pool, move |conn| resumable::find_own(conn, &id, &me)).await?;
    if row.expires_at < db::now() && row.photo_id.is_none() {
        return Err(ApiError::Gone {
            code: "upload_expired",
            detail: "this upload expired; start a new one".into(),
        });
    }
    Ok(row)
}

/// What the server takes: version, extensions, the largest photo and the checksum algorithm.
#[utoipa::path(
    tag = "photos",
    responses((status = 204, description = "`Tus-Version`, `Tus-Extension`, `Tus-Max-Size`, `Tus-Checksum-Algorithm`")),
)]
#[route("", method = "OPTIONS")]
pub async fn discover(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Tus-Version", resumable::TUS_VERSION))
        .insert_header(("Tus-Extension", resumable::EXTENSIONS))
        .insert_header(("Tus-Max-Size", state.config.photo_max_bytes.to_string()))
        .insert_header(("Tus-Checksum-Algorithm", "sha256"))
        .finish()
}

/// Starts a resumable photo upload (tus `creation`). `Upload-Length` is the photo's size;
/// `Upload-Metadata` carries `purpose` (required) and optionally `captured_at`, `latitude`,
/// `longitude`, each Base64 as tus has it. The bytes follow in PATCHes to `Location`.
#[utoipa::path(
    tag = "photos",
    params(
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Length" = i64, Header, description = "the photo's size in bytes"),
        ("Upload-Metadata" = String, Header, description = "`purpose <Base64>`, and optionally `captured_at`, `latitude`, `longitude`"),
    ),
    responses(
        (status = 201, description = "created; `Location` is where the PATCHes go, `Upload-Expires` when it lapses"),
        (status = 412, description = "a tus version other than 1.0.0", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "over the photo size limit", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many unfinished uploads open (50); finish or end some", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("")]
pub async fn create_upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if header_text(req.headers(), "Upload-Defer-Length").is_some() {
        return Err(ApiError::BadRequest {
            code: "invalid_header",
            detail: "give `Upload-Length`; a deferred length is not supported".into(),
        });
    }
    let length = offset_header(&req, "Upload-Length")?.ok_or_else(|| ApiError::BadRequest {
        code: "invalid_header",
        detail: "`Upload-Length` is required".into(),
    })?;
    if length == 0 {
        return Err(ApiError::validation("Upload-Length", "a photo has bytes"));
    }
    if length as u64 > state.config.photo_max_bytes as u64 {
        return Err(ApiError::PayloadTooLarge(format!(
            "a photo may have at most {} bytes",
            state.config.photo_max_bytes
        )));
    }
    let has_body = header_text(req.headers(), "Content-Length").is_some_and(|n| n.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if has_body {
        return Err(ApiError::BadRequest {
            code: "invalid_body",
            detail: "send the bytes in PATCH requests, not with the creation".into(),
        });
    }
    let metadata = header_text(req.headers(), "Upload-Metadata").unwrap_or("");
    if metadata.len() > resumable::MAX_METADATA_BYTES {
        return Err(ApiError::validation("Upload-Metadata", "is too long"));
    }
    let pairs = resumable::parse_metadata(metadata)
        .map_err(|detail| ApiError::validation("Upload-Metadata", detail))?;
    let (purpose, declared) = resumable::declaration(&pairs)?;
    // After every header is read, so a malformed one is named before the version.
    require_tus(&req)?;
    let now = db::now();
    let row = ResumableRow {
        id: uuid::Uuid::now_v7().to_string(),
        uploaded_by: caller.id.to_string(),
        length,
        received: 0,
        metadata: metadata.to_owned(),
        purpose,
        declared_captured_at: declared.captured_at.map(db::stored_time),
        declared_latitude: declared.latitude,
        declared_longitude: declared.longitude,
        created_at: now,
        expires_at: now + chrono::Duration::hours(resumable::VALID_HOURS),
        finishing_since: None,
        finishing_token: None,
        photo_id: None,
    };
    let (stored, me) = (row.clone(), row.uploaded_by.clone());
    db::run(&state.pool, move |conn| {
        if resumable::open_count(conn, &me, now)? >= resumable::MAX_OPEN_PER_USER {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: 60,
            });
        }
        resumable::insert(conn, &stored)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/resumable-uploads/{}", row.id),
        ))
        .insert_header(("Upload-Expires", expires(&row)))
        .insert_header(("Upload-Offset", "0"))
        .finish())
}

/// How far the upload has got (`Upload-Offset`): resume from there. Once complete, `Photo-Id`
/// names the photo.
#[utoipa::path(
    head,
    path = "/{id}",
    tag = "photos",
    params(("id" = uuid::Uuid, Path), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses(
        (status = 200, description = "`Upload-Offset`, `Upload-Length`, `Upload-Metadata`, `Upload-Expires`, and `Photo-Id` once complete"),
        (status = 404, description = "no such upload of yours", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "expired", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "a tus version other than 1.0.0", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[route("/{id}", method = "HEAD")]
pub async fn upload_offset(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let id = id.into_inner();
    let mut row = own_upload(&state, &caller, id).await?;
    if row.received == row.length && row.photo_id.is_none() {
        // The PATCH that brought the last byte could not finish (the store was down), or is
        // finishing now on some node while its client, cut off, asks where it stands.
        row.photo_id = Some(photo_of_complete(&state, &caller, &row).await?);
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("Upload-Offset", row.received.to_string()))
        .insert_header(("Upload-Length", row.length.to_string()))
        .insert_header(("Upload-Expires", expires(&row)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if !row.metadata.is_empty() {
        response.insert_header(("Upload-Metadata", row.metadata.clone()));
    }
    if let Some(photo) = &row.photo_id {
        response.insert_header((PHOTO_ID, photo.clone()));
    }
    Ok(response.finish())
}

/// Appends bytes at `Upload-Offset` (`Content-Type: application/offset+octet-stream`). With
/// `Upload-Checksum: sha256 <Base64>` the bytes are kept only if they match (460 otherwise);
/// without it, what arrived before a dropped connection is kept. The PATCH that brings the
/// last byte answers with `Photo-Id`, once the photo passed the same checks as any upload.
#[utoipa::path(
    tag = "photos",
    params(
        ("id" = uuid::Uuid, Path),
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Offset" = i64, Header, description = "where these bytes start; must equal the server's"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha256 <Base64 digest>` of this request's bytes"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "stored; `Upload-Offset` is the new offset, and `Photo-Id` names the photo once complete"),
        (status = 409, description = "`Upload-Offset` is not where the upload stands", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "expired", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "a tus version other than 1.0.0", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "past `Upload-Length`, or over the pixel limit", body = Problem, content_type = "application/problem+json"),
        (status = 460, description = "the bytes do not match `Upload-Checksum`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/{id}")]
pub async fn append_bytes(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = header_text(req.headers(), "Content-Type").unwrap_or("");
    if !content_type.eq_ignore_ascii_case(OFFSET_STREAM) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the bytes as {OFFSET_STREAM}"
        )));
    }
    let offset = offset_header(&req, "Upload-Offset")?.ok_or_else(|| ApiError::BadRequest {
        code: "invalid_header",
        detail: "`Upload-Offset` is required".into(),
    })?;
    let checksum = header_text(req.headers(), "Upload-Checksum")
        .map(resumable::parse_checksum)
        .transpose()?;
    require_tus(&req)?;
    let mut row = own_upload(&state, &caller, id.into_inner()).await?;
    if row.photo_id.is_some() || offset != row.received {
        return Err(ApiError::Conflict {
            code: "offset_mismatch",
            detail: format!(
                "the upload stands at {} bytes; HEAD it and resume from there",
                row.received
            ),
        });
    }

    let room = (row.length - row.received) as usize;
    let mut pending = BytesMut::new();
    let mut whole = Sha256::new();
    // With a checksum, parts are written as they come but recorded only once the whole
    // request matches it; memory holds one part at most either way.
    let mut staged: Vec<(i64, String)> = Vec::new();
    let mut read_error = None;
    let outcome: Result<(), ApiError> = async {
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            let staged_bytes: i64 = staged.iter().map(|(size, _)| size).sum();
            let taken = (row.received - offset + staged_bytes) as usize + pending.len();
            if taken + chunk.len() > room {
                return Err(ApiError::PayloadTooLarge(format!(
                    "the upload is {} bytes long; this PATCH goes past its end",
                    row.length
                )));
            }
            if checksum.is_some() {
                whole.update(&chunk);
            }
            pending.extend_from_slice(&chunk);
            if pending.len() >= resumable::PART_BYTES {
                let part = pending.split().freeze();
                if checksum.is_some() {
                    staged.push(write_part(&state, &row, staged_bytes, part).await?);
                } else {
                    let written = write_part(&state, &row, 0, part).await?;
                    store_parts(&state, &mut row, vec![written]).await?;
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        remove_objects(&state, staged.into_iter().map(|(_, key)| key)).await;
        return Err(error);
    }
    if let Some(expected) = checksum {
        let complete = read_error.is_none();
        if !complete || whole.finalize().as_slice() != expected {
            // Unverifiable or wrong: keep nothing of it.
            remove_objects(&state, staged.into_iter().map(|(_, key)| key)).await;
            return Err(if complete {
                ApiError::ChecksumMismatch(
                    "the bytes do not match Upload-Checksum; nothing of them was kept".into(),
                )
            } else {
                ApiError::BadRequest {
                    code: "incomplete_body",
                    detail: "the connection broke before the bytes were all in".into(),
                }
            });
        }
        if !pending.is_empty() {
            let staged_bytes: i64 = staged.iter().map(|(size, _)| size).sum();
            staged.push(write_part(&state, &row, staged_bytes, pending.split().freeze()).await?);
        }
        store_parts(&state, &mut row, staged).await?;
    } else if !pending.is_empty() {
        let part = pending.split().freeze();
        let written = write_part(&state, &row, 0, part).await?;
        store_parts(&state, &mut row, vec![written]).await?;
    }
    if let Some(error) = read_error {
        return Err(ApiError::BadRequest {
            code: "incomplete_body",
            detail: format!("the connection broke after {} bytes: {error}", row.received),
        });
    }
    let mut response = HttpResponse::NoContent();
    response
        .insert_header(("Upload-Offset", row.received.to_string()))
        .insert_header(("Upload-Expires", expires(&row)));
    if row.received == row.length {
        let photo = photo_of_complete(&state, &caller, &row).await?;
        response.insert_header((PHOTO_ID, photo));
    }
    Ok(response.finish())
}

/// Abandons an upload (tus `termination`): its bytes are removed. A photo already made from
/// it stays.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses(
        (status = 204, description = "removed"),
        (status = 404, description = "no such upload of yours", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "a tus version other than 1.0.0", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/{id}")]
pub async fn terminate_upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let (id, me) = (id.into_inner().to_string(), caller.id.to_string());
    let keys = db::run(&state.pool, move |conn| {
        resumable::find_own(conn, &id, &me)?;
        resumable::delete(conn, &id)
    })
    .await?;
    remove_objects(&state, keys.into_iter()).await;
    Ok(HttpResponse::NoContent().finish())
}
