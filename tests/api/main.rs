//! Integration tests: the real app driven through HTTP in-process, on SQLite and PostgreSQL.

mod access;
mod auth;
mod harness;
mod platform;
mod registry;
mod requests;
mod users;
