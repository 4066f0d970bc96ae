//! Middleware that gives every response an `X-Request-Id` and its security headers, and
//! turns every error response that is not already problem+json (unknown route, wrong method,
//! actix rejections) into one.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

use super::request_id;
use crate::error::{PROBLEM_JSON, problem_response};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A proxy's or a client's own id is kept when it is well-formed, so one id follows the
    // request through every system it crosses.
    let id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map(str::to_owned)
        .or_else(|| req.extensions().get::<RequestId>().map(|id| id.to_string()))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.path().to_owned();

    // Handlers and extractors turn their errors into responses inside the scope; an `Err`
    // here could only come from a middleware, and actix renders it without our help.
    let mut response = request_id::scope(id.clone(), next.call(req))
        .await?
        .map_into_boxed_body();

    let status = response.status();
    // Problems stay as they are, and so do pages made for people (the verify page's 404).
    let deliberate = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"text/html")
        });
    if (status.is_client_error() || status.is_server_error()) && !deliberate {
        let (code, detail) = fallback_problem(status, method.as_str(), &path);
        let problem = request_id::sync_scope(id.clone(), || {
            problem_response(status, code, detail, Vec::new())
        });
        response = response.into_response(problem).map_into_boxed_body();
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    super::security_headers::apply(&path, response.headers_mut());
    Ok(response)
}

/// 1-128 characters of letters, digits, `-`, `_`, `.`, `:` (UUIDs, trace ids, proxy ids).
fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn fallback_problem(status: StatusCode, method: &str, path: &str) -> (&'static str, String) {
    match status {
        StatusCode::NOT_FOUND => ("route_not_found", format!("no resource at {path}")),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("payload_too_large", "the request body is too large".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the request's content type is not accepted here".into(),
        ),
        s if s.is_server_error() => (
            "internal_error",
            "an internal error occurred; quote the request id when reporting it".into(),
        ),
        s => (
            "bad_request",
            s.canonical_reason()
                .unwrap_or("the request was refused")
                .to_owned(),
        ),
    }
}
