//! What a console request that cannot go on answers: a sign-in redirect, or a page in Chinese
//! that says why, with the API's status code.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::messages;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No live session: sign in, then come back to `back_to`. htmx is told to load the page
    /// whole (`HX-Redirect`) rather than swap it into a fragment.
    #[error("sign in first")]
    SignIn { back_to: String, htmx: bool },
    /// A form without this session's token, or posted from another site.
    #[error("the form's token is missing or wrong")]
    ForgedForm,
    /// What the domain refused, or a fault.
    #[error(transparent)]
    Refused(#[from] ApiError),
    /// A form refused, with the page it came from to go back to.
    #[error("{error}")]
    RefusedAt { error: ApiError, back: String },
}

impl PageError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        PageError::Refused(ApiError::internal(cause))
    }

    /// The refusal of a form posted from `back`: its page offers the way back there.
    pub fn returning_to(self, back: &str) -> Self {
        match self {
            PageError::Refused(error) | PageError::RefusedAt { error, .. } => {
                PageError::RefusedAt {
                    error,
                    back: safe_return_path(back).to_owned(),
                }
            }
            other => other,
        }
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
    back: &'a str,
}

/// Where to go after signing in: only a console path, never another site.
pub fn safe_return_path(back_to: &str) -> &str {
    let inside = back_to.starts_with("/console/") && !back_to.starts_with("/console//");
    let plain = !back_to.contains('\\')
        && !back_to.chars().any(char::is_control)
        && !back_to
            .split(['/', '?', '#'])
            .any(|segment| segment == ".." || segment == ".");
    if inside && plain {
        back_to
    } else {
        "/console/"
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { htmx: true, .. } => StatusCode::OK,
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::ForgedForm => StatusCode::FORBIDDEN,
            PageError::Refused(error) | PageError::RefusedAt { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            PageError::SignIn { back_to, htmx } => {
                let next: String =
                    form_urlencoded::byte_serialize(safe_return_path(back_to).as_bytes()).collect();
                let login = format!("/console/login?next={next}");
                if *htmx {
                    return HttpResponse::Ok()
                        .insert_header(("HX-Redirect", login))
                        .insert_header((header::CACHE_CONTROL, "no-store"))
                        .finish();
                }
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, login))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish();
            }
            PageError::ForgedForm => (
                "表单已失效",
                "这个表单已失效或来自其他网站，没有执行。请回到页面刷新后重试。".to_owned(),
            ),
            PageError::Refused(error) | PageError::RefusedAt { error, .. } => {
                if let ApiError::Internal(cause) = error {
                    tracing::error!(request_id = ?crate::ops::request_id::current(), %cause, "internal error in the console");
                }
                ("操作未完成", messages::explain(error))
            }
        };
        let back = match self {
            PageError::RefusedAt { back, .. } => back.as_str(),
            _ => "/console/",
        };
        let page = ErrorPage {
            title,
            message,
            back,
        };
        super::html(self.status_code(), page.render())
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn sign_in_returns_only_inside_the_console() {
        assert_eq!(
            safe_return_path("/console/hazards?status=open"),
            "/console/hazards?status=open"
        );
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "/console//evil.example",
            "/api/v1/me",
            "/console/\\evil",
            "/console/\u{1}x",
            "/console/../../metrics",
            "/console/\u{7f}",
        ] {
            assert_eq!(safe_return_path(outside), "/console/", "{outside}");
        }
    }
}
