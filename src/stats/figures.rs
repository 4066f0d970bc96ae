//! The bureau's report figures and their exact definitions (also in docs/statistics.md). Pure: the counts
//! come from `query`, this turns them into the answer.
//!
//! For hazards reported in `[from, to)` inside the caller's scope, `cancelled` ones left out:
//! - `hazards_found`, `major_hazards_found`: hazards reported (排查隐患);
//! - `hazards_rectified`, `major_hazards_rectified`: of those, now `verified` or `closed` (整治到位);
//! - `hazards_closed`: of those, now `closed` (已销号);
//! - `rectification_rate` = rectified / found (整改率), `major_rectification_rate` likewise, as
//!   decimals with numerator and denominator alongside; `null` when nothing was found;
//! - `overdue`: of those, `open` and past the deadline now (逾期).
//!
//! Inspections submitted in `[from, to)`, self-inspections (自查) left out: `inspections`
//! (检查家次) and `enterprises_inspected` (distinct enterprises). Enforcement documents issued in
//! `[from, to)`: `fines_total_fen`, and per kind the enterprises acted against (家数, e.g.
//! `suspension` = 责令停产整顿家数) and the documents issued.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::enforcement::rules::ActionKind;

/// The definitions as SQL conditions on a hazard row, for the queries that count hazards
/// (`tally::Tally::of_hazard` says the same in Rust).
pub mod condition {
    /// Found (排查): every hazard reported but a cancelled one.
    pub const FOUND: &str = "status <> 'cancelled'";
    pub const MAJOR: &str = "level = 'major'";
    /// Rectified (整治到位): verified, or closed after verification.
    pub const RECTIFIED: &str = "status IN ('verified', 'closed')";
    /// Closed (已销号).
    pub const CLOSED: &str = "status = 'closed'";
}

/// Hazard counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HazardCounts {
    pub found: i64,
    pub major_found: i64,
    pub rectified: i64,
    pub major_rectified: i64,
    pub closed: i64,
    pub overdue: i64,
}

/// Inspection counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InspectionCounts {
    pub inspections: i64,
    pub enterprises: i64,
}

/// Enforcement counts of one group and kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub documents: i64,
    pub enterprises: i64,
    pub fines_fen: i64,
}

/// A ratio with its parts, so a client can print 95.5% and check it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Ratio {
    pub numerator: i64,
    pub denominator: i64,
}

impl Ratio {
    /// The decimal value; `None` when the denominator is zero.
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }
}

/// Enterprises acted against, per kind of enforcement document (家数).
/// Counts per enforcement kind. Where they stand at the top level of a figures object they
/// count the **enterprises** acted against in the period (家数: `suspension` =
/// 责令停产整顿家数, `shutdown` = 关闭取缔家数); under `documents_by_kind` they count the
/// **documents** issued (e.g. `penalty_decision` = 处罚起数).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct EnforcementFigures {
    pub rectification_notice: i64,
    pub penalty_decision: i64,
    pub seal_up: i64,
    pub suspension: i64,
    pub shutdown: i64,
    pub interview: i64,
    pub joint_punishment: i64,
    pub referral: i64,
}

impl EnforcementFigures {
    fn slot(&mut self, kind: ActionKind) -> &mut i64 {
        match kind {
            ActionKind::RectificationNotice => &mut self.rectification_notice,
            ActionKind::PenaltyDecision => &mut self.penalty_decision,
            ActionKind::SealUp => &mut self.seal_up,
            ActionKind::Suspension => &mut self.suspension,
            ActionKind::Shutdown => &mut self.shutdown,
            ActionKind::Interview => &mut self.interview,
            ActionKind::JointPunishment => &mut self.joint_punishment,
            ActionKind::Referral => &mut self.referral,
        }
    }
}

/// The figures of one group, or of the whole answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Inspections submitted in the period, self-inspections left out (检查家次).
    pub inspections: i64,
    /// Distinct enterprises among those inspections (检查单位家数).
    pub enterprises_inspected: i64,
    /// Hazards reported in the period, `cancelled` left out (排查隐患).
    pub hazards_found: i64,
    pub major_hazards_found: i64,
    /// Of those, `verified` or `closed` (整治到位).
    pub hazards_rectified: i64,
    pub major_hazards_rectified: i64,
    /// Of those, `closed` (已销号).
    pub hazards_closed: i64,
    /// `hazards_rectified / hazards_found` (整改率); null when nothing was found.
    pub rectification_rate: Option<f64>,
    pub rectification_ratio: Ratio,
    /// `major_hazards_rectified / major_hazards_found`; null when no major hazard was found.
    pub major_rectification_rate: Option<f64>,
    pub major_rectification_ratio: Ratio,
    /// Of the hazards found, `open` and past the deadline now (逾期).
    pub overdue: i64,
    /// Fines of the penalty decisions issued in the period, in fen (经济处罚).
    pub fines_total_fen: i64,
    /// Per kind, the enterprises acted against in the period (家数): `suspension` is
    /// 责令停产整顿家数, `shutdown` 关闭取缔家数.
    #[serde(flatten)]
    pub enterprises_by_kind: EnforcementFigures,
    /// Per kind, the documents issued in the period (e.g. penalty cases, 处罚起数).
    pub documents_by_kind: EnforcementFigures,
}

impl Figures {
    pub fn new(
        hazards: HazardCounts,
        inspections: InspectionCounts,
        enforcement: &BTreeMap<ActionKind, KindCounts>,
    ) -> Self {
        let rectification_ratio = Ratio {
            numerator: hazards.rectified,
            denominator: hazards.found,
        };
        let major_rectification_ratio = Ratio {
            numerator: hazards.major_rectified,
            denominator: hazards.major_found,
        };
        let mut enterprises_by_kind = EnforcementFigures::default();
        let mut documents_by_kind = EnforcementFigures::default();
        let mut fines_total_fen = 0;
        for (kind, counts) in enforcement {
            *enterprises_by_kind.slot(*kind) = counts.enterprises;
            *documents_by_kind.slot(*kind) = counts.documents;
            fines_total_fen += counts.fines_fen;
        }
        Figures {
            inspections: inspections.inspections,
            enterprises_inspected: inspections.enterprises,
            hazards_found: hazards.found,
            major_hazards_found: hazards.major_found,
            hazards_rectified: hazards.rectified,
            major_hazards_rectified: hazards.major_rectified,
            hazards_closed: hazards.closed,
            rectification_rate: rectification_ratio.value(),
            rectification_ratio,
            major_rectification_rate: major_rectification_ratio.value(),
            major_rectification_ratio,
            overdue: hazards.overdue,
            fines_total_fen,
            enterprises_by_kind,
            documents_by_kind,
        }
    }
}

/// How an answer is broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Sector,
    /// The next administrative level below the region asked for (or the caller's own).
    Region,
    /// Calendar months, China Standard Time.
    Month,
    /// The officer who reported the hazard, was present at the inspection (each officer of a
    /// joint inspection counts it) or issued the document.
    Inspector,
}

/// The GB/T 2260 code lengths: province, prefecture, county, township, village.
const REGION_LEVELS: [usize; 5] = [2, 4, 6, 9, 12];

/// The length of region codes one level below `prefix`.
pub fn next_region_level(prefix: &str) -> usize {
    REGION_LEVELS
        .into_iter()
        .find(|&n| n > prefix.len())
        .unwrap_or(12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_reports_rates_come_out() {
        // 001: 排查隐患5985条, 整治到位5713条, 整改率95.5%; 重大隐患9条, 整治到位9条, 整改率100%.
        let hazards = HazardCounts {
            found: 5985,
            major_found: 9,
            rectified: 5713,
            major_rectified: 9,
            closed: 5000,
            overdue: 12,
        };
        let figures = Figures::new(hazards, InspectionCounts::default(), &BTreeMap::new());
        let rate = figures.rectification_rate.unwrap();
        assert_eq!(format!("{:.1}%", rate * 100.0), "95.5%");
        assert_eq!(figures.major_rectification_rate, Some(1.0));
        assert_eq!(
            figures.rectification_ratio,
            Ratio {
                numerator: 5713,
                denominator: 5985
            }
        );
    }

    #[test]
    fn no_hazards_no_rate() {
        let figures = Figures::new(
            HazardCounts::default(),
            InspectionCounts::default(),
            &BTreeMap::new(),
        );
        assert_eq!(figures.rectification_rate, None);
        assert_eq!(figures.major_rectification_rate, None);
    }

    #[test]
    fn enforcement_counts_land_in_their_kind() {
        let mut kinds = BTreeMap::new();
        kinds.insert(
            ActionKind::Suspension,
            KindCounts {
                documents: 46,
                enterprises: 44,
                fines_fen: 0,
            },
        );
        kinds.insert(
            ActionKind::PenaltyDecision,
            KindCounts {
                documents: 80,
                enterprises: 70,
                fines_fen: 223_650_000,
            },
        );
        let figures = Figures::new(HazardCounts::default(), InspectionCounts::default(), &kinds);
        assert_eq!(figures.enterprises_by_kind.suspension, 44);
        assert_eq!(figures.documents_by_kind.suspension, 46);
        assert_eq!(figures.enterprises_by_kind.penalty_decision, 70);
        assert_eq!(figures.fines_total_fen, 223_650_000);
        assert_eq!(figures.enterprises_by_kind.shutdown, 0);
    }

    #[test]
    fn regions_break_down_one_level() {
        assert_eq!(next_region_level(""), 2);
        assert_eq!(next_region_level("36"), 4);
        assert_eq!(next_region_level("3607"), 6);
        assert_eq!(next_region_level("360704"), 9);
        assert_eq!(next_region_level("36070"), 6);
        assert_eq!(next_region_level("360704101"), 12);
        assert_eq!(next_region_level("360704101001"), 12);
    }
}
