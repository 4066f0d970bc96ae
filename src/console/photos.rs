//! The photos on console pages, for the signed-in visitor: the same visibility rule and the
//! same bytes as `/api/v1/photos/{id}/thumbnail` and `/content`, always through this server
//! (the console's policy admits images from nowhere else).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{PageError, Visitor};
use crate::AppState;
use crate::evidence::api::{serve_from, visible};

/// `GET /console/photos/{id}/thumbnail`
pub async fn thumbnail(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, PageError> {
    let photo = visible(&state, visitor.caller, id.into_inner()).await?;
    let etag = format!("\"{}-thumbnail\"", photo.sha256);
    Ok(serve_from(
        &state,
        &req,
        &photo.thumbnail_key,
        "image/jpeg",
        etag,
        false,
    )
    .await?)
}

/// `GET /console/photos/{id}/content`: full size.
pub async fn content(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, PageError> {
    let photo = visible(&state, visitor.caller, id.into_inner()).await?;
    let etag = format!("\"{}\"", photo.sha256);
    Ok(serve_from(
        &state,
        &req,
        &photo.storage_key,
        &photo.content_type,
        etag,
        false,
    )
    .await?)
}
