//! Hidden hazards (隐患) and their closed loop: report, rectify, re-check, close.

pub mod api;
pub mod model;
pub mod report;
