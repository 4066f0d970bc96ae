//! safeloop: the server behind a work-safety inspection app.
//!
//! `app(state)` builds the actix `App` for `main` and for the tests; `routes` is the route
//! table; each business part lives in its own folder.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod ops;
pub mod registry;
pub mod routes;
pub mod server;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::ops::fallback::RouteIndex;
use crate::ops::metrics::Metrics;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config) -> Self {
        AppState {
            pool,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

/// The application: routes, documentation, error shapes and middleware.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.config.json_limit_bytes;
    let (app, document) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(json_limit))
        .app_data(
            web::JsonConfig::default()
                .limit(json_limit)
                .error_handler(|e, _| {
                    ApiError::BadRequest {
                        code: "malformed_json",
                        detail: e.to_string(),
                    }
                    .into()
                }),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::BadRequest {
                code: "invalid_query",
                detail: e.to_string(),
            }
            .into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::BadRequest {
                code: "invalid_path",
                detail: e.to_string(),
            }
            .into()
        }))
        .configure(routes::configure)
        .split_for_parts();
    let route_index = web::Data::new(RouteIndex::from_document(&document));
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", document))
        .route("/docs", web::get().to(docs_redirect))
        .app_data(route_index)
        .default_service(web::to(ops::fallback::unmatched))
        .wrap(from_fn(ops::metrics::middleware))
        .wrap(from_fn(ops::request_context::middleware))
        .wrap(TracingLogger::default())
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
