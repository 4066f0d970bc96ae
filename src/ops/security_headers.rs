//! Headers that keep served bytes what they claim to be. A photo is evidence uploaded by
//! anyone with an account: a JPEG whose comment holds HTML must never be sniffed into a page
//! that runs in the API's origin, nor an export or a problem body.

use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// For everything the API serves: nothing loads, nothing runs, nothing frames it.
pub const API_POLICY: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// Sets `X-Content-Type-Options: nosniff` on every answer, and the API's restrictive policy on
/// every answer but the documentation pages (Swagger UI runs scripts of its own). A handler
/// that set a policy of its own keeps it.
pub fn apply(path: &str, headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let documentation = path == "/docs" || path.starts_with("/docs/");
    if !documentation && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_POLICY),
        );
    }
}
