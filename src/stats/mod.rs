//! The bureau's figures (统计), the hazard ledger (台账) and the risk map (风险隐患图): what the
//! reports are made of, straight from the data.

pub mod api;
pub mod figures;
pub mod ledger;
pub mod ledger_api;
pub mod map_api;
pub mod query;
pub mod sheet;
