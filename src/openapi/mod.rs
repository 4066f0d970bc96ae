//! The OpenAPI document: generated from the route table, served at `/api/v1/openapi.json`,
//! and kept in `openapi/openapi.json` (a test fails when the two differ).

use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

mod contract;

use crate::AppState;
use crate::error::ApiError;
use crate::ops::fallback::RouteIndex;
use crate::routes;

/// Where the committed copy lives, relative to the crate root.
pub const COMMITTED_PATH: &str = "openapi/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "safeloop",
        description = "The server behind a work-safety inspection app: inspections, hidden hazards \
(隐患) driven through the closed loop of rectification, re-check and closure (销号), photo evidence, \
and the bureau's report figures.\n\nErrors are `application/problem+json` (RFC 9457) with a stable \
`code`, per-field `errors` for validation, and the `request_id` also sent as `X-Request-Id`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers(
        (url = "http://127.0.0.1:8080", description = "The embedded default (`cargo run --release`); a bureau's own address replaces it"),
    ),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "auth", description = "Sign in, tokens, the caller's own account"),
        (name = "users", description = "User administration (admin)"),
        (name = "registry", description = "Regions, sectors and enterprises"),
        (name = "inspections", description = "Checklists and inspections (检查)"),
        (name = "hazards", description = "Hidden hazards (隐患) and their closed loop"),
        (name = "photos", description = "Photo evidence"),
        (name = "enforcement", description = "Enforcement documents (执法文书): orders, penalties, suspensions"),
        (name = "statistics", description = "The bureau's figures, the ledger (台账) and the risk map"),
        (name = "webhooks", description = "Events to other systems (Standard Webhooks 1.0) and to 企业微信/钉钉 group robots"),
    ),
    modifiers(&BearerAuth)
)]
struct BaseDocument;

/// Declares the `bearer` security scheme the protected operations refer to.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document's fixed parts (title, description, tags); the paths come from the routes.
pub fn base() -> utoipa::openapi::OpenApi {
    BaseDocument::openapi()
}

/// The full document, built from the same route table the server uses.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(routes::configure)
        .split_for_parts();
    let mut document = describe_responses(document);
    contract::complete(&mut document);
    document
}

/// OpenAPI requires a description on every response; where an operation gives none, the
/// status's reason phrase ("OK", "Not Found") stands in, so code generators accept the document.
fn describe_responses(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::RefOr;
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = status
                        .parse()
                        .ok()
                        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                        .and_then(|code| code.canonical_reason())
                        .unwrap_or("Response")
                        .to_owned();
                }
            }
        }
    }
    document
}

/// Where the server publishes the document.
pub const SERVED_PATH: &str = "/api/v1/openapi.json";

/// The document as the server publishes it: compact JSON, and the route index the 404/405
/// fallback reads. Built once, when first asked, and shared by every worker: building it at
/// start walks every schema's code and held ~4 MiB of an idle server's memory.
#[derive(Clone, Default)]
pub struct Served(Arc<std::sync::OnceLock<Published>>);

pub struct Published {
    json: web::Bytes,
    pub routes: RouteIndex,
}

impl Served {
    /// The published document; the first caller builds it on the blocking pool (tens of
    /// milliseconds), not on the worker that serves other requests meanwhile.
    pub async fn get(&self) -> Result<&Published, ApiError> {
        if let Some(published) = self.0.get() {
            return Ok(published);
        }
        let cell = self.0.clone();
        web::block(move || {
            cell.get_or_init(Published::build);
        })
        .await
        .map_err(ApiError::internal)?;
        Ok(self.0.get().expect("built just now"))
    }
}

impl Published {
    fn build() -> Published {
        let document = document();
        let json = serde_json::to_vec(&document).expect("the document serialises");
        Published {
            json: web::Bytes::from(json),
            routes: RouteIndex::from_document(&document),
        }
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn serve(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(state.api_document.get().await?.json.clone()))
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the document serialises");
    json.push('\n');
    json
}
