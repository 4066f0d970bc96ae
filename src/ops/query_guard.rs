//! The query string, before any handler reads it, one rule for every parameter of every route:
//!
//! - a NUL byte (`%00`) is refused: PostgreSQL cannot take NUL in text, so a filter with one
//!   would fail deep in a query, and SQLite would compare it cut short;
//! - an empty value (`?status=&limit=20`), as phone forms send for a filter left blank, means
//!   the parameter is absent, so it is dropped.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::ApiError;

pub async fn middleware<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if let Some(name) = parameter_with_nul(req.query_string()) {
        let refusal = ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("query parameter `{name}` contains a NUL character (%00)"),
        };
        return Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body());
    }
    if let Some(query) = without_empty_values(req.query_string()) {
        let path = req.path().to_owned();
        let uri = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        if let Ok(uri) = uri.parse() {
            req.head_mut().uri = uri;
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The query without its `name=` pairs of empty value, or `None` when it has none.
pub fn without_empty_values(query: &str) -> Option<String> {
    let empty = |pair: &&str| match pair.split_once('=') {
        Some((_, value)) => value.is_empty(),
        None => pair.is_empty(),
    };
    if query.is_empty() || !query.split('&').any(|pair| empty(&pair)) {
        return None;
    }
    Some(
        query
            .split('&')
            .filter(|pair| !empty(pair))
            .collect::<Vec<_>>()
            .join("&"),
    )
}

/// The name of the first parameter whose name or value decodes to text with a NUL in it.
pub fn parameter_with_nul(query: &str) -> Option<String> {
    if !query.contains("%00") && !query.contains('\0') {
        return None;
    }
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "%00"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_parameters() {
        assert_eq!(without_empty_values("status=open&limit=50"), None);
        assert_eq!(
            without_empty_values("status=&limit=50").as_deref(),
            Some("limit=50")
        );
        assert_eq!(without_empty_values("cursor=&status=").as_deref(), Some(""));
        assert_eq!(without_empty_values("a=1&&b=2").as_deref(), Some("a=1&b=2"));
        assert_eq!(without_empty_values("q=a%3D"), None);
    }

    #[test]
    fn names_the_parameter_with_a_nul() {
        assert_eq!(parameter_with_nul("status=open&limit=50"), None);
        assert_eq!(parameter_with_nul("q=%E7%8E%8B"), None);
        assert_eq!(
            parameter_with_nul("status=open&q=a%00b").as_deref(),
            Some("q")
        );
        assert_eq!(parameter_with_nul("x%00=1").as_deref(), Some("x%00"));
        // `%2500` is the text `%00`, not a NUL.
        assert_eq!(parameter_with_nul("q=%2500"), None);
    }
}
