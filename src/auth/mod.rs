//! Who the caller is: passwords, roles.

pub mod password;
pub mod role;

pub use role::Role;
