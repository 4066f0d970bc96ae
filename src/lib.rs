//! safeloop: the server behind a work-safety inspection app.
//!
//! `app(state)` builds the actix `App` for `main` and for the tests; `routes` is the route
//! table; each business part lives in its own folder.

pub mod auth;
pub mod calendar;
pub mod conditional;
pub mod config;
pub mod console;
pub mod db;
pub mod demo;
pub mod documents;
pub mod enforcement;
pub mod error;
pub mod evidence;
pub mod extract;
#[cfg(any(test, fuzzing))]
pub mod fuzz_checks;
pub mod hazard;
pub mod idempotency;
pub mod idempotency_key;
pub mod ids;
pub mod inspection;
pub mod json_time;
pub mod notify;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod registry;
pub mod routes;
pub mod server;
pub mod stats;
pub mod sync;
pub mod text;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, web};
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::auth::token::TokenKeys;
use crate::config::{Config, ConfigError};
use crate::db::DbPool;
use crate::error::ApiError;
use crate::evidence::spool::UploadMemory;
use crate::evidence::store::Store;
use crate::ops::metrics::Metrics;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    pub metrics: Arc<Metrics>,
    /// Where photo bytes live.
    pub store: Store,
    /// Bounds concurrent argon2 work (19 MiB each) to the cores.
    password_hashing: Arc<Semaphore>,
    /// Bounds concurrent image decoding to the cores, so a burst of uploads cannot starve the
    /// rest.
    image_work: Arc<Semaphore>,
    /// How many decodes `image_work` lets run at once.
    image_slots: usize,
    /// The memory uploads may hold while they arrive and wait for `image_work`.
    pub upload_memory: UploadMemory,
    /// The OpenAPI document, built and serialised once for every worker.
    pub api_document: openapi::Served,
}

impl AppState {
    pub fn new(pool: DbPool, config: Config) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        documents::fonts::set_search_dirs(&config.font_dirs);
        Ok(AppState {
            pool,
            tokens: Arc::new(TokenKeys::from_config(&config)?),
            store: Store::from_config(&config).map_err(ConfigError)?,
            image_work: Arc::new(Semaphore::new(cores)),
            image_slots: cores,
            upload_memory: UploadMemory::new(config.upload_memory_bytes),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            password_hashing: Arc::new(Semaphore::new(cores)),
            api_document: openapi::Served::default(),
        })
    }

    /// Waits for a turn at image decoding; hold it while the decode runs.
    pub async fn image_permit(&self) -> SemaphorePermit<'_> {
        self.image_work
            .acquire()
            .await
            .expect("the semaphore is never closed")
    }

    /// Whether no photo is being decoded now.
    pub fn images_idle(&self) -> bool {
        self.image_work.available_permits() == self.image_slots
    }

    /// Waits for a turn at password hashing; hold it while the hash runs.
    pub async fn hashing_permit(&self) -> SemaphorePermit<'_> {
        self.password_hashing
            .acquire()
            .await
            .expect("the semaphore is never closed")
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
    let cors = ops::cross_origin::policy(&state.config.cors_origins);
    let cross_origin = Condition::new(cors.is_some(), cors.unwrap_or_default());
    let console_policy = console::content_policy(state.config.map_tiles.as_deref());
    App::new()
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
        // Before the routes: the `/api/v1` scope would otherwise claim the document's path.
        .route(openapi::SERVED_PATH, web::get().to(openapi::serve))
        .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new([openapi::SERVED_PATH])))
        .route("/docs", web::get().to(docs_redirect))
        .route("/", web::get().to(home))
        .configure(routes::serve)
        .configure(|config| routes::console(config, &console_policy))
        .default_service(web::to(ops::fallback::unmatched))
        .wrap(from_fn(idempotency_key::middleware))
        .wrap(from_fn(ops::query_guard::middleware))
        .wrap(from_fn(ops::metrics::middleware))
        .wrap(from_fn(ops::request_context::middleware))
        // Outside everything that reads or stores a body: replays are stored uncompressed.
        .wrap(Compress::default())
        // Outermost but the log: a preflight is answered before any route is looked up.
        .wrap(cross_origin)
        .wrap(TracingLogger::default())
}

/// `GET /`: where a person starts, the console (the API's documentation is at `/docs/`). Not
/// permanent, so browsers ask again.
async fn home() -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, "/console/"))
        .finish()
}

async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}
