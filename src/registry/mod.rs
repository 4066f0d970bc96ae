//! The registry: regions and sectors (catalogs), enterprises (with the credit code check), users.

pub mod catalog;
pub mod catalog_api;
pub mod credit_code;
pub mod enterprise;
pub mod enterprise_api;
pub mod enterprise_rules;
pub mod user;
pub mod user_api;
pub mod user_rules;
