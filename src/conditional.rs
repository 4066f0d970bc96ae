//! Versions as entity tags: `ETag` on reads, `If-None-Match` (304) and `If-Match` (412).

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ApiError;

/// The strong entity tag of a record version: `"7"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Whether the client already has this version (`If-None-Match`), so 304 will do.
pub fn not_modified(req: &HttpRequest, version: i64) -> bool {
    let tag = etag(version);
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

/// The version the client says it is changing (`If-Match`), if it sent one.
pub fn expected_version(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest {
            code: "invalid_if_match",
            detail: "If-Match must be the ETag of the record, e.g. \"3\"".into(),
        })
}

/// 412 when the client's `If-Match` version is not the current one.
pub fn check_version(expected: Option<i64>, current: i64) -> Result<(), ApiError> {
    match expected {
        Some(v) if v != current => Err(ApiError::PreconditionFailed(format!(
            "you changed version {v} but the record is at version {current}; read it again"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tags_match_quoted_versions() {
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"3\", \"4\""))
            .to_http_request();
        assert!(not_modified(&req, 4));
        assert!(!not_modified(&req, 5));
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "W/\"9\""))
            .to_http_request();
        assert_eq!(expected_version(&req).unwrap(), Some(9));
        let req = TestRequest::default()
            .insert_header((header::IF_MATCH, "soon"))
            .to_http_request();
        assert!(expected_version(&req).is_err());
        assert!(check_version(Some(2), 3).is_err());
        assert!(check_version(None, 3).is_ok());
    }
}
