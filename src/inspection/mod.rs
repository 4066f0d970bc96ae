//! Field inspections (检查): checklists per sector, inspections with their officers and results.

pub mod api;
pub mod checklist;
pub mod checklist_api;
pub mod filing;
pub mod model;
pub mod rules;
