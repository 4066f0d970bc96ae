//! The registry: users now; regions, sectors and enterprises as they arrive.

pub mod user;
pub mod user_api;
pub mod user_rules;
