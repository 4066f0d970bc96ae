//! `ApiError`, rendered as `application/problem+json` (RFC 9457). The only place that maps
//! errors to HTTP statuses: handlers return `ApiError`, database errors convert here.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ops::request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `Retry-After` of a 503: long enough not to hammer a store or a database coming back,
/// short enough that a phone's queued work moves soon after.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the request, e.g. `items[2].code`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The error for text whose trimmed length in characters lies outside `min..=max`.
    pub fn length(field: &str, value: &str, min: usize, max: usize) -> Option<Self> {
        let n = value.trim().chars().count();
        (n < min || n > max)
            .then(|| FieldError::new(field, format!("must be {min}-{max} characters")))
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:safeloop:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, snake_case.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `transition_not_allowed`: the actions the caller may take now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<String>>,
    /// The request id, also sent as `X-Request-Id`; quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read (malformed JSON, bad query string or path).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// The request was read but its content breaks a rule; `errors` names the fields.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request breaks a rule of law or procedure; `code` names the rule, `field` the part
    /// of the request that breaks it.
    #[error("{detail}")]
    RuleBroken {
        code: &'static str,
        field: String,
        detail: String,
    },
    /// No valid credentials; `code` says which (`unauthenticated`, `invalid_credentials`, …).
    #[error("{detail}")]
    Unauthenticated { code: &'static str, detail: String },
    #[error("{0}")]
    Forbidden(String),
    /// `what` names the kind of record, e.g. "hazard".
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no resource at {0}")]
    NoRoute(String),
    #[error("{method} is not allowed here; use {}", allowed.join(", "))]
    MethodNotAllowed {
        method: String,
        allowed: Vec<String>,
    },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// A hazard action not allowed from its status for this caller; `allowed` lists what is.
    #[error("{detail}")]
    TransitionRefused {
        detail: String,
        /// The same reason in Chinese, for the console (not part of the problem body).
        detail_zh: String,
        allowed: Vec<String>,
    },
    #[error("{0}")]
    PreconditionFailed(String),
    /// What the request names existed once and is gone for good (`must_refetch` for a sync
    /// checkpoint the server can no longer serve, `upload_expired` for a resumable upload).
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    /// The bytes do not match the checksum sent with them (tus's 460).
    #[error("{0}")]
    ChecksumMismatch(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A `Range` outside the bytes; `length` is how many there are.
    #[error("the range asked for lies outside the {length} bytes")]
    RangeNotSatisfiable { length: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many attempts; retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A dependency (database, object store) is unreachable; the detail is safe to show.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of ours; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        ApiError::Validation {
            detail: format!("`{}`: {}", error.field, error.message),
            errors: vec![error],
        }
    }

    /// 401 for a missing or unusable access token.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        ApiError::Unauthenticated {
            code: "unauthenticated",
            detail: detail.into(),
        }
    }

    /// 422 naming every invalid field, or `Ok` when there are none.
    pub fn check_fields(errors: Vec<FieldError>) -> Result<(), ApiError> {
        if errors.is_empty() {
            return Ok(());
        }
        let detail = errors
            .iter()
            .map(|e| format!("`{}` {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::Validation { detail, errors })
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn database_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "database unavailable");
        ApiError::Unavailable("the database is unavailable; try again shortly".into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Gone { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unauthenticated { code, .. } => code,
            ApiError::Validation { .. } => "validation_failed",
            ApiError::RuleBroken { code, .. } => code,
            ApiError::TransitionRefused { .. } => "transition_not_allowed",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::NoRoute(_) => "route_not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PreconditionFailed(_) => "version_mismatch",
            ApiError::ChecksumMismatch(_) => "checksum_mismatch",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Validation { errors, .. } => errors.clone(),
            ApiError::RuleBroken { field, detail, .. } => vec![FieldError::new(field, detail)],
            _ => Vec::new(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } | ApiError::RuleBroken { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::TransitionRefused { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::ChecksumMismatch(_) => {
                StatusCode::from_u16(460).expect("460 is a valid status code")
            }
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                tracing::error!(request_id = ?request_id::current(), %cause, "internal error");
                "an internal error occurred; quote the request id when reporting it".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = match self {
            ApiError::TransitionRefused { allowed, .. } => {
                let detail = format!(
                    "{detail}; allowed now: {}",
                    if allowed.is_empty() {
                        "nothing".into()
                    } else {
                        allowed.join(", ")
                    }
                );
                problem_with(
                    status,
                    self.code(),
                    detail,
                    Vec::new(),
                    Some(allowed.clone()),
                )
            }
            _ => problem_response(status, self.code(), detail, self.field_errors()),
        };
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthenticated { .. } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::MethodNotAllowed { allowed, .. } => {
                if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_SECS),
                );
            }
            ApiError::RangeNotSatisfiable { length } => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                    headers.insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// A problem+json response; also used for actix's own rejections (see `ops::problem_fallback`).
pub fn problem_response(
    status: StatusCode,
    code: &str,
    detail: String,
    errors: Vec<FieldError>,
) -> HttpResponse {
    problem_with(status, code, detail, errors, None)
}

fn problem_with(
    status: StatusCode,
    code: &str,
    detail: String,
    errors: Vec<FieldError>,
    allowed_actions: Option<Vec<String>>,
) -> HttpResponse {
    let problem = Problem {
        allowed_actions,
        problem_type: format!("urn:safeloop:problem:{code}"),
        title: match status.as_u16() {
            460 => "Checksum Mismatch",
            _ => status.canonical_reason().unwrap_or("Error"),
        }
        .to_owned(),
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        errors,
        request_id: request_id::current(),
    };
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(problem)
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => ApiError::NotFound("record"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                let field = violated_column(info.as_ref());
                ApiError::Conflict {
                    code: "already_exists",
                    detail: format!("a record with this `{field}` already exists"),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                let field = violated_column(info.as_ref());
                ApiError::validation(field, "refers to a record that does not exist")
            }
            DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info) => {
                let field = violated_column(info.as_ref());
                ApiError::validation(field, "is not an allowed value")
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                ApiError::database_unavailable(info.message())
            }
            // SQLite's single writer: a transaction that read before another committed cannot
            // write (SQLITE_BUSY_SNAPSHOT), and a lock held past the busy timeout; both pass.
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                ApiError::database_unavailable(info.message())
            }
            other => ApiError::internal(other),
        }
    }
}

/// The column a constraint names: SQLite says `UNIQUE constraint failed: users.username`,
/// PostgreSQL says `Key (username)=(…) already exists.` in its detail.
fn violated_column(info: &dyn DatabaseErrorInformation) -> String {
    if let Some(column) = info.column_name() {
        return column.to_owned();
    }
    if let Some(detail) = info.details()
        && let Some(rest) = detail.strip_prefix("Key (")
        && let Some((columns, _)) = rest.split_once(")=")
    {
        return columns.to_owned();
    }
    if let Some((_, qualified)) = info.message().split_once("failed: ") {
        let first = qualified.split(", ").next().unwrap_or(qualified);
        return first.rsplit('.').next().unwrap_or(first).to_owned();
    }
    info.constraint_name().unwrap_or("record").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body_of(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_JSON
        );
        let bytes = to_bytes(response.into_body()).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[actix_web::test]
    async fn validation_problem_has_the_rfc_9457_shape() {
        let (status, body) = body_of(ApiError::validation(
            "credit_code",
            "check character should be 3",
        ))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            serde_json::json!({
                "type": "urn:safeloop:problem:validation_failed",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "`credit_code`: check character should be 3",
                "code": "validation_failed",
                "errors": [{"field": "credit_code", "message": "check character should be 3"}],
            })
        );
    }

    #[actix_web::test]
    async fn internal_errors_hide_their_cause() {
        let (status, body) = body_of(ApiError::internal("password=hunter2 at db.rs:42")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(body["code"], "internal_error");
    }

    #[actix_web::test]
    async fn unauthenticated_asks_for_a_bearer_token() {
        let response = ApiError::unauthenticated("token expired").error_response();
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer"
        );
        let response = ApiError::TooManyRequests {
            retry_after_secs: 60,
        }
        .error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "60");
        let response = ApiError::Unavailable("the database is unavailable".into()).error_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "5");
    }
}
