//! Who the caller is and what they may see: passwords, tokens, sessions, throttling, roles.

pub mod api;
mod extractor;
pub mod password;
pub mod role;
pub mod scope;
pub mod session;
pub mod sign_in;
pub mod throttle;
pub mod token;

pub use extractor::{AuthUser, bearer_token};
pub use role::Role;
