//! The photos on console pages, for the signed-in visitor: the same visibility rule and the
//! same bytes as `/api/v1/photos/{id}/thumbnail` and `/content`, always through this server
//! (the console's policy admits images from nowhere else).

use actix_web::{HttpRequest, HttpResponse, web};

use super::{PageError, Visitor};
use crate::AppState;
use crate::evidence::api::{serve_from, visible};

/// The photo's thumbnail or its original bytes, if the visitor may see the photo.
async fn bytes(
    state: &AppState,
    req: &HttpRequest,
    visitor: Visitor,
    id: uuid::Uuid,
    thumbnail: bool,
) -> Result<HttpResponse, PageError> {
    let photo = visible(state, visitor.caller, id).await?;
    let (key, content_type, etag) = if thumbnail {
        let etag = format!("\"{}-thumbnail\"", photo.sha256);
        (&photo.thumbnail_key, "image/jpeg", etag)
    } else {
        let etag = format!("\"{}\"", photo.sha256);
        (&photo.storage_key, photo.content_type.as_str(), etag)
    };
    Ok(serve_from(state, req, key, content_type, etag, false).await?)
}

/// `GET /console/photos/{id}/thumbnail`
pub async fn thumbnail(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, PageError> {
    bytes(&state, &req, visitor, id.into_inner(), true).await
}

/// `GET /console/photos/{id}/content`: full size.
pub async fn content(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, PageError> {
    bytes(&state, &req, visitor, id.into_inner(), false).await
}
