//! Integration tests: the real app driven through HTTP in-process, on SQLite and PostgreSQL.

mod access;
mod auth;
mod closed_loop;
mod enforcement;
mod fixtures;
mod harness;
mod hazards;
mod hostile_input;
mod http_contract;
mod idempotency_keys;
mod inspections;
mod ledger;
mod outbox;
mod photo_uploads;
mod photos;
mod platform;
mod receiver;
mod registry;
mod requests;
mod s3_server;
mod scheduler;
mod stats;
mod supervision;
mod tasks;
mod users;
mod webhooks;
