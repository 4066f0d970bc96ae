//! Enforcement (执法): the documents an inspector or supervisor issues against an enterprise —
//! orders, penalties with their fines, seals, suspensions, closures — linked to the inspection
//! and hazards they answer.

pub mod api;
pub mod model;
pub mod rules;
