//! Operations: health and readiness probes, Prometheus metrics, request ids and logging, and
//! how the server holds memory.

pub mod cross_origin;
pub mod fallback;
pub mod health;
pub mod memory;
pub mod metrics;
pub mod query_guard;
pub mod request_context;
pub mod request_id;
pub mod security_headers;
pub mod telemetry;
