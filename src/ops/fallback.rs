//! What answers when no route matches: 405 with `Allow` when the path exists under another
//! method, else 404. actix's route macros would answer 404 for both.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Every documented path with the methods it accepts, built from the OpenAPI document.
pub struct RouteIndex(Vec<(ResourceDef, Vec<Method>)>);

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
                (ResourceDef::new(path.as_str()), methods.collect())
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
    index: web::Data<RouteIndex>,
) -> Result<HttpResponse, ApiError> {
    Err(match index.methods_at(req.path()) {
        Some(allowed) => ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allowed: allowed.iter().map(Method::to_string).collect(),
        },
        None => ApiError::NoRoute(req.path().to_owned()),
    })
}
