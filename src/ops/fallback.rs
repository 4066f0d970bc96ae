//! What answers when no route matches: 405 with `Allow` when the path exists under another
//! method, else 404. actix's route macros would answer 404 for both.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Every documented path with the methods it accepts, built from the OpenAPI document.
pub struct RouteIndex(Vec<(PathPattern, Vec<Method>)>);

/// A documented path such as `/api/v1/hazards/{id}/events`, matched segment by segment: a
/// `{name}` segment matches any one non-empty segment, as actix's routes do. (A compiled regex
/// per path, as `ResourceDef` makes, held 1.5 MiB for a page that answers 404s.)
struct PathPattern(Vec<Option<String>>);

impl PathPattern {
    fn new(path: &str) -> PathPattern {
        let segments = path.split('/').map(|segment| {
            let variable = segment.starts_with('{') && segment.ends_with('}');
            (!variable).then(|| segment.to_owned())
        });
        PathPattern(segments.collect())
    }

    fn is_match(&self, path: &str) -> bool {
        let mut segments = path.split('/');
        let matched = self
            .0
            .iter()
            .all(|expected| match (expected, segments.next()) {
                (Some(literal), Some(segment)) => literal == segment,
                (None, Some(segment)) => !segment.is_empty(),
                (_, None) => false,
            });
        matched && segments.next().is_none()
    }
}

impl RouteIndex {
    pub fn from_document(document: &OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let operations = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                let methods = operations
                    .into_iter()
                    .filter(|(_, present)| *present)
                    .map(|(m, _)| m);
                (PathPattern::new(path), methods.collect())
            })
            .collect();
        RouteIndex(routes)
    }

    /// The methods accepted at `path`, or `None` when no route has that path.
    pub fn methods_at(&self, path: &str) -> Option<Vec<Method>> {
        let methods: Vec<Method> = self
            .0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        (!methods.is_empty()).then_some(methods)
    }
}

pub async fn unmatched(
    req: HttpRequest,
    state: web::Data<crate::AppState>,
) -> Result<HttpResponse, ApiError> {
    let index = &state.api_document.get().await?.routes;
    Err(match index.methods_at(req.path()) {
        Some(allowed) => ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allowed: allowed.iter().map(Method::to_string).collect(),
        },
        None => ApiError::NoRoute(req.path().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::PathPattern;

    #[test]
    fn variables_match_one_segment() {
        let events = PathPattern::new("/api/v1/hazards/{id}/events");
        assert!(events.is_match("/api/v1/hazards/0b7e/events"));
        for other in [
            "/api/v1/hazards//events",
            "/api/v1/hazards/0b7e/events/verify",
            "/api/v1/hazards/0b7e",
            "/api/v1/hazards/a/b/events",
            "/api/v1/hazards/0b7e/events/",
        ] {
            assert!(!events.is_match(other), "{other}");
        }
        let list = PathPattern::new("/api/v1/hazards");
        assert!(list.is_match("/api/v1/hazards"));
        assert!(!list.is_match("/api/v1/hazards/"));
        assert!(!list.is_match("/api/v1"));
    }
}
