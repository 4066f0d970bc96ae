//! The whole route table, in one place.

use utoipa_actix_web::service_config::ServiceConfig;

use crate::ops::{health, metrics};

/// Every documented route. Swagger UI and the OpenAPI JSON are added in `lib.rs`.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics);
}
