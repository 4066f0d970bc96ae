//! The registry: users now; regions, sectors and enterprises as they arrive.

pub mod user;
