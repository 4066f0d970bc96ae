//! The bureau's figures (统计), the hazard ledger (台账) and the risk map (风险隐患图): what the
//! reports are made of, straight from the data.

/// The `region` and `sector` a statistics `Selection` asks for, as filters on a boxed query of a
/// table with those columns (the caller's scope is applied apart).
macro_rules! narrow {
    ($query:expr, $selection:expr, $region:expr, $sector:expr) => {{
        let mut query = $query;
        if let Some(region) = &$selection.region {
            query = crate::apply_region!(query, $region, region);
        }
        if let Some(sector) = &$selection.sector {
            let codes = crate::registry::catalog::sector_and_children(std::slice::from_ref(sector));
            query = query.filter($sector.eq_any(codes));
        }
        query
    }};
}

pub mod api;
pub mod figures;
pub mod ledger;
pub mod ledger_api;
pub mod map_api;
pub mod query;
pub mod sheet;
pub mod tallied;
pub mod tally;
