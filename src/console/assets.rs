//! The console's files, compiled into the binary: nothing is fetched from elsewhere, so the
//! console works on a bureau's closed network.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::PageError;
use crate::error::ApiError;

/// (name under `/console/assets/`, content type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/console/console.css"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/console/map.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/console/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/console/vendor/leaflet-1.9.4.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/console/vendor/leaflet-1.9.4.css"),
    ),
    (
        "LICENSES.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/console/vendor/LICENSES.txt"),
    ),
];

/// `GET /console/assets/{name}`
pub async fn serve(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, PageError> {
    let (_, content_type, bytes) = FILES
        .iter()
        .find(|(file, _, _)| *file == name.as_str())
        .ok_or(ApiError::NotFound("file"))?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..16]);
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let mut answer = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    answer
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"));
    Ok(if cached {
        answer.finish()
    } else {
        answer.content_type(*content_type).body(*bytes)
    })
}
