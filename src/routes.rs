//! The whole route table, in one place.

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth;
use crate::documents;
use crate::enforcement::api as enforcement_api;
use crate::evidence::{api as photo_api, resumable, resumable_api, upload_api};
use crate::hazard::{api as hazard_api, loop_api, supervision_api};
use crate::inspection::{api as inspection_api, checklist_api};
use crate::notify;
use crate::ops::{fallback, health, metrics};
use crate::registry::{catalog_api, enterprise_api, user_api};
use crate::stats::{api as stats_api, ledger_api, map_api};
use crate::sync;

/// Every documented route. Swagger UI and the OpenAPI JSON are added in `lib.rs`.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics)
        .service(documents::verify_api::verify)
        .service(
            scope::scope("/api/v1")
                .default_service(actix_web::web::to(fallback::unmatched))
                .service(auth::api::login)
                .service(auth::api::refresh)
                .service(auth::api::logout)
                .service(notify::tasks_api::my_tasks)
                .service(sync::api::sync_feed)
                .service(sync::api::write_checkpoint)
                .service(sync::api::offline_pack)
                .service(notify::webhooks_api::create_webhook)
                .service(notify::webhooks_api::list_webhooks)
                .service(notify::webhooks_api::get_webhook)
                .service(notify::webhooks_api::update_webhook)
                .service(notify::webhooks_api::delete_webhook)
                .service(notify::webhooks_api::rotate_secret)
                .service(notify::deliveries_api::test_webhook)
                .service(notify::deliveries_api::list_deliveries)
                .service(notify::deliveries_api::redeliver)
                .service(auth::api::me)
                .service(auth::api::change_password)
                .service(user_api::create_user)
                .service(user_api::list_users)
                .service(user_api::get_user)
                .service(user_api::update_user)
                .service(catalog_api::list_sectors)
                .service(catalog_api::list_regions)
                .service(enterprise_api::create_enterprise)
                .service(enterprise_api::list_enterprises)
                .service(enterprise_api::get_enterprise)
                .service(enterprise_api::update_enterprise)
                .service(checklist_api::create_checklist)
                .service(checklist_api::list_checklists)
                .service(checklist_api::get_checklist)
                .service(inspection_api::create_inspection)
                .service(inspection_api::list_inspections)
                .service(inspection_api::get_inspection)
                .service(inspection_api::update_inspection)
                .service(inspection_api::submit_inspection)
                .service(documents::api::inspection_record)
                .service(hazard_api::create_hazard)
                .service(hazard_api::list_hazards)
                // Before `/hazards/{id}`, which would take `export` for an id.
                .service(ledger_api::export_hazards)
                .service(hazard_api::get_hazard)
                .service(documents::api::recheck_opinion)
                .service(loop_api::transition)
                .service(loop_api::list_events)
                .service(loop_api::verify_events)
                .service(supervision_api::request_extension)
                .service(supervision_api::list_extensions)
                .service(supervision_api::get_extension)
                .service(supervision_api::decide_extension)
                .service(supervision_api::set_listing)
                .service(photo_api::upload_photo)
                .service(photo_api::get_photo)
                .service(photo_api::photo_content)
                .service(photo_api::photo_thumbnail)
                .service(upload_api::declare_upload)
                .service(upload_api::put_upload)
                .service(upload_api::complete_upload)
                .service(
                    scope::scope("/resumable-uploads")
                        .wrap(
                            actix_web::middleware::DefaultHeaders::new()
                                .add(("Tus-Resumable", resumable::TUS_VERSION))
                                .add(("Tus-Version", resumable::TUS_VERSION)),
                        )
                        .service(resumable_api::discover)
                        .service(resumable_api::create_upload)
                        .service(resumable_api::upload_offset)
                        .service(resumable_api::append_bytes)
                        .service(resumable_api::terminate_upload),
                )
                .service(enforcement_api::create_action)
                .service(enforcement_api::list_actions)
                .service(enforcement_api::get_action)
                .service(documents::api::action_document)
                .service(stats_api::stats)
                .service(map_api::map_hazards),
        );
}

/// The console's pages (`src/console/`): HTML for people, not part of the API's contract.
pub fn console(config: &mut actix_web::web::ServiceConfig, policy: &str) {
    use crate::console::*;
    use actix_web::web::{get, post, resource};
    config.service(
        actix_web::web::scope("/console")
            // A malformed id or query is a page too, not the API's problem+json.
            .app_data(actix_web::web::PathConfig::default().error_handler(|_, _| {
                PageError::Refused(crate::error::ApiError::NotFound("page")).into()
            }))
            .app_data(
                actix_web::web::QueryConfig::default().error_handler(|e, _| {
                    PageError::Refused(crate::error::ApiError::BadRequest {
                        code: "invalid_query",
                        detail: e.to_string(),
                    })
                    .into()
                }),
            )
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add(("Content-Security-Policy", policy.to_owned()))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .route("/assets/{name}", get().to(assets::serve))
            .service(
                resource("/login")
                    .route(get().to(sign_in_page::show))
                    .route(post().to(sign_in_page::submit)),
            )
            .route("/logout", post().to(sign_in_page::sign_out))
            .route("/", get().to(work_queue::show))
            .route("/hazards", get().to(list_pages::hazards))
            // Before `/hazards/{id}`, which would take `export` for an id.
            .route("/hazards/export", get().to(list_pages::export))
            .route("/hazards/{id}", get().to(hazard_page::show))
            .route(
                "/hazards/{id}/transitions",
                post().to(loop_actions::transition),
            )
            .route(
                "/hazards/{id}/rectification",
                post().to(rectification::submit),
            )
            .route(
                "/hazards/{id}/extensions",
                post().to(loop_actions::request_extension),
            )
            .route(
                "/hazards/{id}/listing",
                post().to(loop_actions::set_listing),
            )
            .route("/extensions", get().to(extension_pages::show))
            .route(
                "/extensions/{id}/decision",
                post().to(loop_actions::decide_extension),
            )
            .route("/listed", get().to(list_pages::listed))
            .route("/inspections", get().to(list_pages::inspections))
            .route("/stats", get().to(stats_page::show))
            .route("/map", get().to(map_page::show))
            .route("/map/hazards.geojson", get().to(map_page::features))
            .route("/map/points.svg", get().to(map_page::drawing))
            .route("/photos/{id}/thumbnail", get().to(photos::thumbnail))
            .route("/photos/{id}/content", get().to(photos::content))
            .route("/admin/users", get().to(admin_pages::users))
            .route("/admin/users", post().to(admin_pages::create_user))
            .route(
                "/admin/users/{id}/active",
                post().to(admin_pages::set_active),
            )
            .route("/admin/enterprises", get().to(admin_pages::enterprises))
            .route(
                "/admin/enterprises",
                post().to(admin_pages::create_enterprise),
            )
            .route("/admin/checklists", get().to(admin_pages::checklists))
            .route(
                "/admin/checklists",
                post().to(admin_pages::create_checklist),
            )
            .route("/admin/webhooks", get().to(admin_pages::webhooks))
            .route("/admin/webhooks", post().to(admin_pages::create_webhook))
            .route(
                "/admin/webhooks/{id}/delete",
                post().to(admin_pages::delete_webhook),
            )
            .default_service(actix_web::web::to(page_not_found)),
    );
}

async fn page_not_found() -> Result<actix_web::HttpResponse, crate::console::PageError> {
    Err(crate::error::ApiError::NotFound("page").into())
}
