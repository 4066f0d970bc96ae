//! The whole route table, in one place.

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

/// The API's routes, listed once. `configure` registers them with their OpenAPI descriptions,
/// for the document; `serve` registers them alone, for the server, which never reads the
/// descriptions: building them in every worker kept 1.0–1.4 MiB of an idle server resident.
macro_rules! route_table {
    (
        root: [$($root:path,)*],
        api: [$($api:path,)*],
        resumable_uploads: [$($tus:path,)*],
    ) => {
        /// Every documented route. Swagger UI and the OpenAPI JSON are added in `lib.rs`.
        pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
            route_table!(@register config, utoipa_actix_web::scope::scope,
                [$($root,)*], [$($api,)*], [$($tus,)*]);
        }

        /// The same routes, as the server registers them.
        pub fn serve(config: &mut actix_web::web::ServiceConfig) {
            route_table!(@register config, actix_web::web::scope,
                [$($root,)*], [$($api,)*], [$($tus,)*]);
        }
    };
    (@register $config:ident, $scope:path,
        [$($root:path,)*], [$($api:path,)*], [$($tus:path,)*]) => {
        $config$(.service($root))*.service(
            $scope("/api/v1")
                .default_service(actix_web::web::to(fallback::unmatched))
                $(.service($api))*
                .service($scope("/resumable-uploads").wrap(tus_headers())$(.service($tus))*),
        );
    };
}

route_table! {
    root: [
        health::healthz,
        health::readyz,
        metrics::metrics,
        documents::verify_api::verify,
    ],
    api: [
        auth::api::login,
        auth::api::refresh,
        auth::api::logout,
        notify::tasks_api::my_tasks,
        sync::api::sync_feed,
        sync::api::write_checkpoint,
        sync::api::offline_pack,
        notify::webhooks_api::create_webhook,
        notify::webhooks_api::list_webhooks,
        notify::webhooks_api::get_webhook,
        notify::webhooks_api::update_webhook,
        notify::webhooks_api::delete_webhook,
        notify::webhooks_api::rotate_secret,
        notify::deliveries_api::test_webhook,
        notify::deliveries_api::list_deliveries,
        notify::deliveries_api::redeliver,
        auth::api::me,
        auth::api::change_password,
        user_api::create_user,
        user_api::list_users,
        user_api::get_user,
        user_api::update_user,
        catalog_api::list_sectors,
        catalog_api::list_regions,
        enterprise_api::create_enterprise,
        enterprise_api::list_enterprises,
        enterprise_api::get_enterprise,
        enterprise_api::update_enterprise,
        checklist_api::create_checklist,
        checklist_api::list_checklists,
        checklist_api::get_checklist,
        inspection_api::create_inspection,
        inspection_api::list_inspections,
        inspection_api::get_inspection,
        inspection_api::update_inspection,
        inspection_api::submit_inspection,
        documents::api::inspection_record,
        hazard_api::create_hazard,
        hazard_api::list_hazards,
        // Before `/hazards/{id}`, which would take `export` for an id.
        ledger_api::export_hazards,
        hazard_api::get_hazard,
        documents::api::recheck_opinion,
        loop_api::transition,
        loop_api::list_events,
        loop_api::verify_events,
        supervision_api::request_extension,
        supervision_api::list_extensions,
        supervision_api::get_extension,
        supervision_api::decide_extension,
        supervision_api::set_listing,
        photo_api::upload_photo,
        photo_api::get_photo,
        photo_api::photo_content,
        photo_api::photo_thumbnail,
        upload_api::declare_upload,
        upload_api::put_upload,
        upload_api::complete_upload,
        enforcement_api::create_action,
        enforcement_api::list_actions,
        enforcement_api::get_action,
        documents::api::action_document,
        stats_api::stats,
        map_api::map_hazards,
    ],
    resumable_uploads: [
        resumable_api::discover,
        resumable_api::create_upload,
        resumable_api::upload_offset,
        resumable_api::append_bytes,
        resumable_api::terminate_upload,
    ],
}

/// What every tus response carries.
fn tus_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Tus-Resumable", resumable::TUS_VERSION))
        .add(("Tus-Version", resumable::TUS_VERSION))
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
