//! Versions as entity tags: `ETag` on reads, `If-None-Match` (304) and `If-Match` (412), as
//! RFC 9110 compares them: weakly for `If-None-Match` (`W/"3"` is `"3"`), strongly for
//! `If-Match` (a weak tag never matches), a list matching when any tag does, `*` matching any
//! current record.

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
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim())
                .any(|t| t == "*" || t.trim_start_matches("W/") == tag)
        })
}

/// The versions an `If-Match` names; the request proceeds when the record is at one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(Vec<i64>);

impl IfMatch {
    /// The one version a form was rendered at (the console's hidden `version` field).
    pub fn exactly(version: i64) -> IfMatch {
        IfMatch(vec![version])
    }
}

/// The versions the client says it is changing (`If-Match`): `None` when it sent none, or `*`
/// (any current version). A weak tag (`W/"3"`) is kept as matching nothing, so it answers 412.
pub fn expected_version(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let invalid = || ApiError::BadRequest {
        code: "invalid_if_match",
        detail: "If-Match must be the ETag of the record, e.g. \"3\", or *".into(),
    };
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let mut versions = Vec::new();
    for tag in text.split(',').map(str::trim) {
        if tag.starts_with("W/") {
            continue;
        }
        let version = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse().ok())
            .ok_or_else(invalid)?;
        versions.push(version);
    }
    Ok(Some(IfMatch(versions)))
}

/// 412 when none of the client's `If-Match` versions is the current one.
pub fn check_version(expected: Option<&IfMatch>, current: i64) -> Result<(), ApiError> {
    match expected {
        Some(IfMatch(versions)) if !versions.contains(&current) => {
            let sent = versions
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Err(ApiError::PreconditionFailed(format!(
                "you changed version {} but the record is at version {current}; read it again",
                if sent.is_empty() {
                    "(a weak tag)".into()
                } else {
                    sent
                }
            )))
        }
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
        let weak = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "W/\"4\""))
            .to_http_request();
        assert!(not_modified(&weak, 4), "If-None-Match compares weakly");
        let if_match = |value: &str| {
            let req = TestRequest::default()
                .insert_header((header::IF_MATCH, value))
                .to_http_request();
            expected_version(&req)
        };
        assert_eq!(if_match("*").unwrap(), None);
        let listed = if_match("\"2\", \"9\"").unwrap();
        assert!(check_version(listed.as_ref(), 9).is_ok());
        assert!(check_version(listed.as_ref(), 3).is_err());
        let weak = if_match("W/\"9\"").unwrap();
        assert!(
            check_version(weak.as_ref(), 9).is_err(),
            "If-Match compares strongly"
        );
        assert!(if_match("soon").is_err());
        assert!(check_version(None, 3).is_ok());
    }
}
