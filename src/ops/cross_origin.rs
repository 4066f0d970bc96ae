//! CORS for browser apps on other origins (`SAFELOOP_CORS_ORIGINS`; none by default, so a
//! browser refuses every cross-origin call). Allowed origins may send the headers the API reads
//! and read the headers it answers with.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// The CORS policy for `origins`; `None` when no origin is allowed.
pub fn policy(origins: &[String]) -> Option<Cors> {
    if origins.is_empty() {
        return None;
    }
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::RANGE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
            // tus (resumable photo uploads)
            header::HeaderName::from_static("tus-resumable"),
            header::HeaderName::from_static("upload-length"),
            header::HeaderName::from_static("upload-offset"),
            header::HeaderName::from_static("upload-metadata"),
            header::HeaderName::from_static("upload-checksum"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotency-replayed"),
            header::HeaderName::from_static("tus-resumable"),
            header::HeaderName::from_static("tus-version"),
            header::HeaderName::from_static("tus-extension"),
            header::HeaderName::from_static("tus-max-size"),
            header::HeaderName::from_static("upload-offset"),
            header::HeaderName::from_static("upload-length"),
            header::HeaderName::from_static("upload-expires"),
            header::HeaderName::from_static("photo-id"),
            header::HeaderName::from_static("verification-code"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    Some(cors)
}
