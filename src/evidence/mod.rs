//! Photo evidence: inspect (sniff, dimensions, EXIF, thumbnail), store (local disk or S3),
//! record, and serve to those who may see it. The original bytes are kept unchanged.

pub mod api;
pub mod form_data;
pub mod ingest;
pub mod inspect;
pub mod jpeg;
mod local;
pub mod model;
pub mod resumable;
pub mod resumable_api;
pub mod resumable_parts;
mod s3;
mod s3_put;
pub mod spool;
pub mod store;
pub mod upload;
pub mod upload_api;
