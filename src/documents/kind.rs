//! The kinds of paper, their statutory titles and the templates that lay them out.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 现场检查记录.
    InspectionRecord,
    /// 责令限期整改指令书.
    RectificationNotice,
    /// 行政处罚告知书.
    PenaltyNotice,
    /// 行政处罚决定书.
    PenaltyDecision,
    /// 查封扣押决定书.
    SealUp,
    /// 责令停产停业整顿决定书.
    Suspension,
    /// 提请关闭告知书 (the bureau asks the government to close the enterprise).
    Shutdown,
    /// 约谈通知书.
    Interview,
    /// 联合惩戒告知书.
    JointPunishment,
    /// 案件移送书.
    Referral,
    /// 整改复查意见书.
    Recheck,
}

pub const KINDS: [DocumentKind; 11] = [
    DocumentKind::InspectionRecord,
    DocumentKind::RectificationNotice,
    DocumentKind::PenaltyNotice,
    DocumentKind::PenaltyDecision,
    DocumentKind::SealUp,
    DocumentKind::Suspension,
    DocumentKind::Shutdown,
    DocumentKind::Interview,
    DocumentKind::JointPunishment,
    DocumentKind::Referral,
    DocumentKind::Recheck,
];

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::InspectionRecord => "inspection_record",
            DocumentKind::RectificationNotice => "rectification_notice",
            DocumentKind::PenaltyNotice => "penalty_notice",
            DocumentKind::PenaltyDecision => "penalty_decision",
            DocumentKind::SealUp => "seal_up",
            DocumentKind::Suspension => "suspension",
            DocumentKind::Shutdown => "shutdown",
            DocumentKind::Interview => "interview",
            DocumentKind::JointPunishment => "joint_punishment",
            DocumentKind::Referral => "referral",
            DocumentKind::Recheck => "recheck",
        }
    }

    pub fn parse(text: &str) -> Option<DocumentKind> {
        KINDS.into_iter().find(|k| k.as_str() == text)
    }

    /// The statutory title printed on the paper.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::InspectionRecord => "现场检查记录",
            DocumentKind::RectificationNotice => "责令限期整改指令书",
            DocumentKind::PenaltyNotice => "行政处罚告知书",
            DocumentKind::PenaltyDecision => "行政处罚决定书",
            DocumentKind::SealUp => "查封扣押决定书",
            DocumentKind::Suspension => "责令停产停业整顿决定书",
            DocumentKind::Shutdown => "提请关闭告知书",
            DocumentKind::Interview => "约谈通知书",
            DocumentKind::JointPunishment => "联合惩戒告知书",
            DocumentKind::Referral => "案件移送书",
            DocumentKind::Recheck => "整改复查意见书",
        }
    }

    /// The template file that lays it out.
    pub fn template(self) -> &'static str {
        match self {
            DocumentKind::InspectionRecord => "inspection_record.typ",
            DocumentKind::RectificationNotice => "rectification_notice.typ",
            DocumentKind::PenaltyNotice => "penalty_notice.typ",
            DocumentKind::PenaltyDecision => "penalty_decision.typ",
            DocumentKind::Recheck => "recheck.typ",
            _ => "decision.typ",
        }
    }

    /// Its wording in `decisions.json`, for the kinds `decision.typ` lays out.
    pub fn decision_key(self) -> Option<&'static str> {
        (self.template() == "decision.typ").then(|| self.as_str())
    }

    /// The paper of an enforcement action of `kind`; `stage=notice` asks for a penalty's
    /// prior notice (行政处罚告知书).
    pub fn of_action(kind: &str, stage: Option<&str>) -> Result<DocumentKind, ApiError> {
        let document = match (kind, stage) {
            ("penalty_decision", Some("notice")) => return Ok(DocumentKind::PenaltyNotice),
            (_, Some("notice")) => {
                return Err(ApiError::validation(
                    "stage",
                    "only a penalty decision has a prior notice",
                ));
            }
            (_, Some(_)) => return Err(ApiError::validation("stage", "must be `notice`")),
            (kind, None) => DocumentKind::parse(kind),
        };
        document
            .filter(|d| !matches!(d, DocumentKind::InspectionRecord | DocumentKind::Recheck))
            .ok_or_else(|| ApiError::internal(format!("no document for action kind {kind}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_kind_has_its_paper() {
        for kind in crate::enforcement::rules::ActionKind::ALL {
            let document = DocumentKind::of_action(kind.as_str(), None).unwrap();
            assert_eq!(document.as_str(), kind.as_str());
        }
        assert_eq!(
            DocumentKind::of_action("penalty_decision", Some("notice")).unwrap(),
            DocumentKind::PenaltyNotice
        );
        assert!(DocumentKind::of_action("seal_up", Some("notice")).is_err());
        for kind in KINDS {
            assert_eq!(DocumentKind::parse(kind.as_str()), Some(kind));
        }
    }
}
