//! What an enforcement document (执法文书) must carry, by kind. Pure: no database, no clock.
//!
//! - Every document has a number unique per issuing body and year (文书编号).
//! - A `penalty_decision` (行政处罚决定书) carries its fine in integer fen, and the prior notice
//!   (行政处罚事先告知, 行政处罚法 art. 44) recorded before it: when the party was told and whether
//!   it asked for a hearing (听证, art. 63–64). No other kind carries a fine.
//! - A party that asked for a hearing gets it before the decision (art. 65): the document
//!   records when it was held, between the notice and the decision.
//! - No penalty for what an enterprise found itself (自查不罚): a penalty may not be linked to a
//!   self-inspection or to a hazard from one.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// 责令限期整改指令书 / 责令改正通知书.
    RectificationNotice,
    /// 行政处罚决定书, with a fine.
    PenaltyDecision,
    /// 查封扣押 (临时查封).
    SealUp,
    /// 责令停产停业整顿 (三停).
    Suspension,
    /// 关闭取缔.
    Shutdown,
    /// 约谈.
    Interview,
    /// 联合惩戒.
    JointPunishment,
    /// 移送 (to the police or another authority).
    Referral,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::RectificationNotice,
        ActionKind::PenaltyDecision,
        ActionKind::SealUp,
        ActionKind::Suspension,
        ActionKind::Shutdown,
        ActionKind::Interview,
        ActionKind::JointPunishment,
        ActionKind::Referral,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::RectificationNotice => "rectification_notice",
            ActionKind::PenaltyDecision => "penalty_decision",
            ActionKind::SealUp => "seal_up",
            ActionKind::Suspension => "suspension",
            ActionKind::Shutdown => "shutdown",
            ActionKind::Interview => "interview",
            ActionKind::JointPunishment => "joint_punishment",
            ActionKind::Referral => "referral",
        }
    }

    pub fn parse(text: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The name a bureau prints.
    pub fn chinese_name(self) -> &'static str {
        match self {
            ActionKind::RectificationNotice => "责令限期整改",
            ActionKind::PenaltyDecision => "行政处罚",
            ActionKind::SealUp => "查封扣押",
            ActionKind::Suspension => "责令停产停业整顿",
            ActionKind::Shutdown => "关闭取缔",
            ActionKind::Interview => "约谈",
            ActionKind::JointPunishment => "联合惩戒",
            ActionKind::Referral => "移送",
        }
    }
}

/// The largest fine accepted, in fen (one hundred million yuan): a guard against typing fen
/// where yuan was meant ten thousand times over, not a legal limit.
pub const MAX_FINE_FEN: i64 = 10_000_000_000;

/// The parts of a document the rules look at.
pub struct Document<'a> {
    pub kind: ActionKind,
    pub document_no: &'a str,
    pub issuing_body: &'a str,
    pub summary: &'a str,
    pub fine_fen: Option<i64>,
    pub notified_at: Option<DateTime<Utc>>,
    pub hearing_requested: Option<bool>,
    pub hearing_held_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
}

/// Field-by-field problems: lengths, the fine, dates.
pub fn field_errors(doc: &Document, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut length = |field: &str, value: &str, min: usize, max: usize| {
        errors.extend(FieldError::length(field, value, min, max));
    };
    length("document_no", doc.document_no, 1, 64);
    length("issuing_body", doc.issuing_body, 1, 100);
    length("summary", doc.summary, 0, 2000);
    // Printed at the head of the document and looked up by its number.
    errors.extend(crate::text::name_error("document_no", doc.document_no));
    errors.extend(crate::text::name_error("issuing_body", doc.issuing_body));
    match (doc.kind, doc.fine_fen) {
        (ActionKind::PenaltyDecision, Some(fen)) if !(1..=MAX_FINE_FEN).contains(&fen) => errors
            .push(FieldError::new(
                "fine_fen",
                format!("must be between 1 and {MAX_FINE_FEN} fen (integer fen: 100 = 1 yuan)"),
            )),
        (ActionKind::PenaltyDecision, _) | (_, None) => {}
        (_, Some(_)) => errors.push(FieldError::new(
            "fine_fen",
            "only a penalty_decision carries a fine",
        )),
    }
    if doc.issued_at > now + Duration::minutes(5) {
        errors.push(FieldError::new("issued_at", "is in the future"));
    }
    if let Some(notified) = doc.notified_at
        && notified > doc.issued_at
    {
        errors.push(FieldError::new(
            "notified_at",
            "the prior notice must come before the document is issued",
        ));
    }
    if let Some(held) = doc.hearing_held_at {
        if doc.hearing_requested != Some(true) {
            errors.push(FieldError::new(
                "hearing_held_at",
                "a hearing is recorded only when the party asked for one (hearing_requested)",
            ));
        } else if doc.notified_at.is_some_and(|notified| held < notified) || held > doc.issued_at {
            errors.push(FieldError::new(
                "hearing_held_at",
                "the hearing comes after the prior notice and before the document is issued",
            ));
        }
    }
    errors
}

/// 行政处罚法 art. 65: a party that asked for a hearing is heard before the decision.
pub fn check_hearing(doc: &Document) -> Result<(), ApiError> {
    if doc.hearing_requested == Some(true) && doc.hearing_held_at.is_none() {
        return Err(ApiError::RuleBroken {
            code: "hearing_required",
            field: "hearing_held_at".to_owned(),
            detail: "the party asked for a hearing (听证): the decision is made after it is held \
                     (行政处罚法 art. 65); record when it was held"
                .to_owned(),
        });
    }
    Ok(())
}

/// 行政处罚法 art. 44: a penalty decision needs its prior notice, and a fine, recorded.
pub fn check_penalty_procedure(doc: &Document) -> Result<(), ApiError> {
    if doc.kind != ActionKind::PenaltyDecision {
        return Ok(());
    }
    let missing = |field: &str, what: &str| ApiError::RuleBroken {
        code: "prior_notice_required",
        field: field.to_owned(),
        detail: format!(
            "a penalty decision needs {what} recorded first (行政处罚法 art. 44: the party is told \
             the facts, grounds and proposed penalty, and of its right to state its case and ask \
             for a hearing, before the decision)"
        ),
    };
    if doc.notified_at.is_none() {
        return Err(missing("notified_at", "the prior notice (告知) date"));
    }
    if doc.hearing_requested.is_none() {
        return Err(missing(
            "hearing_requested",
            "whether the party asked for a hearing (听证)",
        ));
    }
    if doc.fine_fen.is_none() {
        return Err(ApiError::validation(
            "fine_fen",
            "a penalty decision carries its fine in integer fen",
        ));
    }
    Ok(())
}

/// 自查不罚: no penalty decision may rest on what the enterprise found in its own inspection.
pub fn check_not_self_found(
    kind: ActionKind,
    field: &str,
    is_self_inspection: bool,
) -> Result<(), ApiError> {
    if kind == ActionKind::PenaltyDecision && is_self_inspection {
        return Err(ApiError::RuleBroken {
            code: "self_inspection_not_penalised",
            field: field.to_owned(),
            detail: "comes from the enterprise's own self-inspection (自查); what an enterprise \
                     finds and reports itself is not penalised (自查不罚)"
                .to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn penalty(now: DateTime<Utc>) -> Document<'static> {
        Document {
            kind: ActionKind::PenaltyDecision,
            document_no: "（赣）应急罚〔2026〕12号",
            issuing_body: "赣县区应急管理局",
            summary: "未按规定设置安全警示标志",
            fine_fen: Some(2_000_000),
            notified_at: Some(now - Duration::days(10)),
            hearing_requested: Some(false),
            hearing_held_at: None,
            issued_at: now,
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn kinds_round_trip() {
        for kind in ActionKind::ALL {
            assert_eq!(ActionKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ActionKind::parse("fine"), None);
    }

    #[test]
    fn a_complete_penalty_passes() {
        let now = Utc::now();
        assert!(field_errors(&penalty(now), now).is_empty());
        assert!(check_penalty_procedure(&penalty(now)).is_ok());
    }

    #[test]
    fn fines_belong_to_penalties_only_and_are_bounded() {
        let now = Utc::now();
        let mut order = penalty(now);
        order.kind = ActionKind::Suspension;
        assert_eq!(fields(field_errors(&order, now)), ["fine_fen"]);
        order.fine_fen = None;
        assert!(field_errors(&order, now).is_empty());
        assert!(check_penalty_procedure(&order).is_ok());

        let mut fine = penalty(now);
        fine.fine_fen = Some(0);
        assert_eq!(fields(field_errors(&fine, now)), ["fine_fen"]);
        fine.fine_fen = Some(MAX_FINE_FEN + 1);
        assert_eq!(fields(field_errors(&fine, now)), ["fine_fen"]);
    }

    #[test]
    fn a_penalty_needs_the_prior_notice_first() {
        let now = Utc::now();
        let mut doc = penalty(now);
        doc.notified_at = None;
        let Err(ApiError::RuleBroken { code, field, .. }) = check_penalty_procedure(&doc) else {
            panic!("refused");
        };
        assert_eq!(
            (code, field.as_str()),
            ("prior_notice_required", "notified_at")
        );

        let mut doc = penalty(now);
        doc.hearing_requested = None;
        assert!(check_penalty_procedure(&doc).is_err());

        let mut doc = penalty(now);
        doc.notified_at = Some(now + Duration::days(1));
        doc.issued_at = now;
        assert_eq!(fields(field_errors(&doc, now)), ["notified_at"]);
    }

    #[test]
    fn a_requested_hearing_is_held_between_notice_and_decision() {
        let now = Utc::now();
        let mut doc = penalty(now);
        doc.hearing_requested = Some(true);
        let Err(ApiError::RuleBroken { code, field, .. }) = check_hearing(&doc) else {
            panic!("refused");
        };
        assert_eq!(
            (code, field.as_str()),
            ("hearing_required", "hearing_held_at")
        );

        doc.hearing_held_at = Some(now - Duration::days(3));
        assert!(check_hearing(&doc).is_ok());
        assert!(field_errors(&doc, now).is_empty());
        doc.hearing_held_at = Some(now - Duration::days(11));
        assert_eq!(fields(field_errors(&doc, now)), ["hearing_held_at"]);
        doc.hearing_held_at = Some(now + Duration::minutes(1));
        assert_eq!(fields(field_errors(&doc, now)), ["hearing_held_at"]);

        let mut unasked = penalty(now);
        unasked.hearing_held_at = Some(now - Duration::days(3));
        assert!(check_hearing(&unasked).is_ok());
        assert_eq!(fields(field_errors(&unasked, now)), ["hearing_held_at"]);
    }

    #[test]
    fn dates_and_lengths() {
        let now = Utc::now();
        let mut doc = penalty(now);
        doc.issued_at = now + Duration::hours(1);
        doc.notified_at = None;
        doc.document_no = " ";
        assert_eq!(
            fields(field_errors(&doc, now)),
            ["document_no", "issued_at"]
        );
    }

    #[test]
    fn self_found_hazards_are_not_penalised() {
        assert!(check_not_self_found(ActionKind::PenaltyDecision, "hazard_ids[0]", true).is_err());
        assert!(check_not_self_found(ActionKind::PenaltyDecision, "hazard_ids[0]", false).is_ok());
        assert!(
            check_not_self_found(ActionKind::RectificationNotice, "hazard_ids[0]", true).is_ok()
        );
    }
}
