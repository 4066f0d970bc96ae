//! Request extractors whose rejections are problem+json naming the offending field.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::text;

/// A JSON body. Unlike `actix_web::web::Json`, a rejection names the field by its path
/// (`items[2].code`), and unknown fields, wrong types and missing fields are 422.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = {
            let mime = req.content_type().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        };
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            let bytes = body.await.map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge("the JSON body is larger than allowed".into())
                } else {
                    ApiError::BadRequest {
                        code: "unreadable_body",
                        detail: e.to_string(),
                    }
                }
            })?;
            parse(&bytes).map(Json)
        })
    }
}

/// Parses JSON, naming the failing field on a data error. Every string and every list is
/// first held to the rules of `text` (no NUL, no control or override characters, lists of at
/// most `MAX_LIST_ENTRIES`), whatever the body is for, so no handler can forget them.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest {
            code: "malformed_json",
            detail: format!("the body is not valid JSON: {e}"),
        })?;
    let mut errors = Vec::new();
    check_document(&document, &mut String::new(), &mut errors);
    ApiError::check_fields(errors)?;
    serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            let message = strip_position(&inner.to_string());
            let field = field_in_message(&message)
                .map(|name| {
                    if path == "." {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    }
                })
                .unwrap_or(path);
            ApiError::validation(field, message)
        } else {
            ApiError::BadRequest {
                code: "malformed_json",
                detail: format!("the body is not valid JSON: {inner}"),
            }
        }
    })
}

/// Walks the document, naming each string (key or value) and list that breaks the rules by
/// its path, written as `serde_path_to_error` writes it (`items[2].code`).
fn check_document(value: &serde_json::Value, path: &mut String, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    let here = |path: &str| {
        if path.is_empty() {
            ".".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(text) => {
            if let Some(problem) = text::request_string_problem(text) {
                errors.push(FieldError::new(here(path), problem));
            }
        }
        Value::Array(items) => {
            if items.len() > text::MAX_LIST_ENTRIES {
                errors.push(FieldError::new(
                    here(path),
                    format!("must have at most {} entries", text::MAX_LIST_ENTRIES),
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_document(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
                if let Some(problem) = text::request_string_problem(name) {
                    errors.push(FieldError::new(here(path), format!("(the name) {problem}")));
                } else {
                    check_document(item, path, errors);
                }
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `missing field `x`` names the field only in the text; the path stops at its parent.
fn field_in_message(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// For `Option<Option<T>>` fields with `#[serde(default)]`: absent is `None`, `null` is
/// `Some(None)` (clear it), a value is `Some(Some(v))`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Item {
        code: String,
        major: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Checklist {
        name: String,
        items: Vec<Item>,
    }

    fn field_of(json: &str) -> String {
        match parse::<Checklist>(json.as_bytes()).unwrap_err() {
            ApiError::Validation { errors, .. } => errors[0].field.clone(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_field_path() {
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"code":"x","major":"yes"}]}"#),
            "items[0].major"
        );
        assert_eq!(field_of(r#"{"items":[]}"#), "name");
        assert_eq!(field_of(r#"{"name":"a","items":[],"extra":1}"#), "extra");
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"code":"x"}]}"#),
            "items[0].major"
        );
    }

    #[test]
    fn nul_controls_and_overrides_are_refused_by_path() {
        assert_eq!(field_of(r#"{"name":"a\u0000b","items":[]}"#), "name");
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"code":"\u202eexe","major":true}]}"#),
            "items[0].code"
        );
        assert_eq!(field_of(r#"{"name":"a","items":[],"x\u0000":1}"#), "x\u{0}");
        let long = format!(r#"{{"name":"a","items":[{}]}}"#, vec!["1"; 1001].join(","));
        assert_eq!(field_of(&long), "items");
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in [
            r#"{"name": "#,
            "not json",
            r#"{"name":"a","items":[]} trailing"#,
        ] {
            match parse::<Checklist>(body.as_bytes()).unwrap_err() {
                ApiError::BadRequest { code, .. } => assert_eq!(code, "malformed_json"),
                other => panic!("{body}: expected malformed_json, got {other:?}"),
            }
        }
    }
}
