//! Telling each person in the loop when it is their turn: the work queue (`/me/tasks`).

pub mod tasks;
pub mod tasks_api;
