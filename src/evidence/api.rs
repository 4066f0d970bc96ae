//! Photo endpoints: multipart upload, metadata, original and thumbnail.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::form_data::FormData;
use super::ingest::{self, Declared};
use super::model::{self, PhotoRow};
use super::spool::{Spooled, UploadMemory, spool};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::{ApiError, Problem};

/// What the photo's own EXIF says.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExifView {
    /// Camera local time (EXIF carries no zone).
    pub captured_at: Option<NaiveDateTime>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub orientation: Option<i32>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
}

/// What the phone declared when uploading, shown beside the EXIF so a reviewer can compare.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclaredView {
    pub captured_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    pub id: uuid::Uuid,
    /// Of the original bytes, which are kept unchanged.
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    pub width: i32,
    pub height: i32,
    /// `site`, `hazard`, `rectification` or `verification`.
    #[schema(value_type = crate::evidence::ingest::PhotoPurpose)]
    pub purpose: String,
    pub exif: ExifView,
    pub declared: DeclaredView,
    pub uploaded_by: uuid::Uuid,
    pub uploaded_at: DateTime<Utc>,
    /// When it became evidence of a record; it can no longer be deleted.
    pub attached_at: Option<DateTime<Utc>>,
    pub content_url: String,
    pub thumbnail_url: String,
}

impl From<PhotoRow> for PhotoView {
    fn from(row: PhotoRow) -> Self {
        PhotoView {
            content_url: format!("/api/v1/photos/{}/content", row.id),
            thumbnail_url: format!("/api/v1/photos/{}/thumbnail", row.id),
            id: row.id.parse().expect("photo ids are UUIDs"),
            sha256: row.sha256,
            content_type: row.content_type,
            size: row.size,
            width: row.width,
            height: row.height,
            purpose: row.purpose,
            exif: ExifView {
                captured_at: row.exif_captured_at,
                latitude: row.exif_latitude,
                longitude: row.exif_longitude,
                orientation: row.exif_orientation,
                camera_make: row.camera_make,
                camera_model: row.camera_model,
            },
            declared: DeclaredView {
                captured_at: row.declared_captured_at.map(|t| t.and_utc()),
                latitude: row.declared_latitude,
                longitude: row.declared_longitude,
            },
            uploaded_by: row.uploaded_by.parse().expect("user ids are UUIDs"),
            uploaded_at: row.uploaded_at.and_utc(),
            attached_at: row.attached_at.map(|t| t.and_utc()),
        }
    }
}

/// The multipart form of an upload, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "describes the multipart form; the handler reads the stream"
)]
pub struct PhotoUpload {
    /// The image: JPEG, PNG or WebP, at most 20 MiB.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// `site`, `hazard`, `rectification` or `verification`.
    purpose: crate::evidence::ingest::PhotoPurpose,
    /// When the phone says it took the photo (RFC 3339).
    captured_at: Option<DateTime<Utc>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

const MAX_TEXT_FIELD: usize = 1024;

/// Reads the form, holding at most `max_bytes` of the file: past that the upload stops at once.
/// `size_hint` is the request's length, which a form of one photo is little more than.
async fn read_form(
    form: &mut FormData<web::Payload>,
    max_bytes: usize,
    size_hint: Option<usize>,
    memory: &UploadMemory,
) -> Result<(Spooled, String, Declared), ApiError> {
    let mut file: Option<Spooled> = None;
    let mut purpose = None;
    let mut declared = Declared::default();
    while let Some(field) = form.next_field().await? {
        if field.name == "file" {
            file = Some(spool(form.chunks(), max_bytes, size_hint, memory).await?);
            continue;
        }
        let text = form.text(&field.name, MAX_TEXT_FIELD).await?;
        if field.name == "purpose" {
            purpose = Some(text);
        } else if !ingest::declare(&mut declared, &field.name, &text)? {
            return Err(ApiError::validation(
                field.name,
                "is not a field of a photo upload",
            ));
        }
    }
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::validation("file", "is required"))?;
    let purpose = ingest::check_declaration(purpose.as_deref(), &declared)?;
    Ok((file, purpose, declared))
}

/// Upload a photo (multipart/form-data). The bytes are kept as sent; format, size, EXIF and a
/// thumbnail are read from them. Attach it to a record by its id afterwards.
#[utoipa::path(
    tag = "photos",
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = PhotoView),
        (status = 413, description = "over the size or pixel limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "not JPEG, PNG or WebP (HEIC included)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "the photo store is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/photos")]
pub async fn upload_photo(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the photo as multipart/form-data".into(),
        ));
    }
    let size_hint = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let (file, purpose, declared) = read_form(
        &mut FormData::of(&req, body)?,
        state.config.photo_max_bytes,
        size_hint,
        &state.upload_memory,
    )
    .await?;
    let photo = ingest::ingest(&state, caller.id, &purpose, declared, file).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/photos/{}", photo.id)))
        .json(PhotoView::from(photo)))
}

pub(crate) async fn visible(
    state: &AppState,
    caller: AuthUser,
    id: uuid::Uuid,
) -> Result<PhotoRow, ApiError> {
    let id = id.to_string();
    db::run(&state.pool, move |conn| {
        model::find_visible(conn, &caller, &id)
    })
    .await
}

/// A photo's metadata: EXIF and the phone's declared values side by side.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PhotoView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/photos/{id}")]
pub async fn get_photo(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let photo = visible(&state, caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PhotoView::from(photo)))
}

pub(crate) async fn serve(
    state: &AppState,
    req: &HttpRequest,
    key: &str,
    content_type: &str,
    etag: String,
) -> Result<HttpResponse, ApiError> {
    serve_from(state, req, key, content_type, etag, true).await
}

/// `serve`, with `redirect: false` for pages whose policy admits images from this server only
/// (the console): the bytes come through even when the store could hand out a presigned GET.
pub(crate) async fn serve_from(
    state: &AppState,
    req: &HttpRequest,
    key: &str,
    content_type: &str,
    etag: String,
    redirect: bool,
) -> Result<HttpResponse, ApiError> {
    // Weak comparison (RFC 9110): `W/"…"` names the same bytes here.
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
        });
    if cached {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
            .finish());
    }
    let presigned = match redirect {
        true => state.store.download_url(key, content_type).await?,
        false => None,
    };
    if let Some(url) = presigned {
        // The redirect is as fresh as its signature: not to be cached.
        return Ok(HttpResponse::TemporaryRedirect()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .finish());
    }
    let bytes = state.store.get(key).await?;
    let part = byte_range(req, &etag, bytes.len() as u64)?;
    let mut response = match part {
        Some(_) => HttpResponse::PartialContent(),
        None => HttpResponse::Ok(),
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400, immutable"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .content_type(content_type);
    Ok(match part {
        Some((first, last)) => response
            .insert_header((
                header::CONTENT_RANGE,
                format!("bytes {first}-{last}/{}", bytes.len()),
            ))
            .body(bytes.slice(first as usize..=last as usize)),
        None => response.body(bytes),
    })
}

/// The one byte range asked for (`Range: bytes=…`), so a phone resumes a broken download:
/// `None` for the whole, when no range or several are asked, or when `If-Range` names other
/// bytes; 416 when the range lies outside them.
fn byte_range(req: &HttpRequest, etag: &str, length: u64) -> Result<Option<(u64, u64)>, ApiError> {
    use actix_web::http::header::{ByteRangeSpec, Header, Range};
    let Ok(Range::Bytes(specs)) = Range::parse(req) else {
        return Ok(None);
    };
    let if_range_holds = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let [spec]: [ByteRangeSpec; 1] = match specs.try_into() {
        Ok(one) if if_range_holds => one,
        _ => return Ok(None),
    };
    spec.to_satisfiable_range(length)
        .map(Some)
        .ok_or(ApiError::RangeNotSatisfiable { length })
}

/// The original bytes, exactly as uploaded. `ETag` is their SHA-256.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "the image", content_type = "image/*"), (status = 206, description = "the bytes of the one range asked for with `Range: bytes=…` (resuming a download)", content_type = "image/*"), (status = 304), (status = 416, description = "the range lies outside the photo", body = Problem, content_type = "application/problem+json"), (status = 307, description = "with `S3_REDIRECT_DOWNLOADS`: fetch it from `Location`, a presigned GET valid five minutes"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/photos/{id}/content")]
pub async fn photo_content(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let photo = visible(&state, caller, id.into_inner()).await?;
    serve(
        &state,
        &req,
        &photo.storage_key,
        &photo.content_type,
        format!("\"{}\"", photo.sha256),
    )
    .await
}

/// The 320 px JPEG thumbnail, upright.
#[utoipa::path(
    tag = "photos",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "a JPEG", content_type = "image/jpeg"), (status = 206, description = "the bytes of the one range asked for", content_type = "image/jpeg"), (status = 304), (status = 416, description = "the range lies outside the thumbnail", body = Problem, content_type = "application/problem+json"), (status = 307, description = "with `S3_REDIRECT_DOWNLOADS`: fetch it from `Location`, a presigned GET valid five minutes"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/photos/{id}/thumbnail")]
pub async fn photo_thumbnail(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let photo = visible(&state, caller, id.into_inner()).await?;
    serve(
        &state,
        &req,
        &photo.thumbnail_key,
        "image/jpeg",
        format!("\"{}-thumbnail\"", photo.sha256),
    )
    .await
}
