//! Integration tests: the real app driven through HTTP in-process, on SQLite and PostgreSQL.

mod harness;
mod platform;
