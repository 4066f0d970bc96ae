//! Refuses a query string that carries a NUL byte (`%00`) before any handler reads it:
//! PostgreSQL cannot take NUL in text, so a filter with one would fail deep in a query, and
//! SQLite would compare it cut short. One rule for every parameter of every route.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::error::ApiError;

pub async fn middleware<B: MessageBody + 'static>(
    req: ServiceRequest,
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
    Ok(next.call(req).await?.map_into_left_body())
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
