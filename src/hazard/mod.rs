//! Hidden hazards (隐患) and their closed loop: report, rectify, re-check, close.
//! Start with `workflow.rs`: the loop in one pure function, with its diagram.

pub mod api;
pub mod events;
pub mod list_row;
pub mod loop_api;
pub mod model;
pub mod register;
pub mod report;
pub mod supervision;
pub mod supervision_api;
pub mod transitions;
pub mod workflow;
