//! Telling each person in the loop when it is their turn: the work queue (`/me/tasks`), and
//! the ordered log of changes (`outbox`) that other systems hear of.

pub mod endpoints;
pub mod outbox;
pub mod signing;
pub mod tasks;
pub mod tasks_api;
