//! The closed loop (闭环) of a hazard, as one pure function.
//!
//! ```text
//!              report
//!                │
//!                ▼
//!   ┌────────► open (待整改) ◄──────────────┐
//!   │            │                           │
//!   │            │ submit_rectification      │
//!   │            │  enterprise (own) or      │
//!   │            │  inspector (现场整改)      │
//!   │            ▼                           │
//!   │ verify_fail  submitted (待复查)        │ reject_closure
//!   └─────────── │  inspector                │  supervisor
//!                │ verify_pass               │
//!                │  inspector                │
//!                ▼                           │
//!            verified (待销号) ───────────────┘
//!                │
//!                │ approve_closure
//!                │  supervisor, not the one who verified
//!                ▼
//!            closed (已销号)
//!
//!   open / submitted / verified ── cancel (supervisor) ──► cancelled (已撤销)
//! ```
//!
//! Scope (who may see the hazard at all) is applied by the query before this runs; this decides
//! only whether the actor's role and relation to the hazard allow the action from the status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;

/// A hazard's place in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = HazardStatus)]
pub enum Status {
    Open,
    Submitted,
    Verified,
    Closed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SubmitRectification,
    VerifyPass,
    VerifyFail,
    ApproveClosure,
    RejectClosure,
    Cancel,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Submitted,
        Status::Verified,
        Status::Closed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Submitted => "submitted",
            Status::Verified => "verified",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The status as the bureau's forms name it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Status::Open => "待整改",
            Status::Submitted => "待复查",
            Status::Verified => "待销号",
            Status::Closed => "已销号",
            Status::Cancelled => "已撤销",
        }
    }
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::SubmitRectification,
        Action::VerifyPass,
        Action::VerifyFail,
        Action::ApproveClosure,
        Action::RejectClosure,
        Action::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::SubmitRectification => "submit_rectification",
            Action::VerifyPass => "verify_pass",
            Action::VerifyFail => "verify_fail",
            Action::ApproveClosure => "approve_closure",
            Action::RejectClosure => "reject_closure",
            Action::Cancel => "cancel",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The action as the console's buttons name it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Action::SubmitRectification => "提交整改",
            Action::VerifyPass => "复查通过",
            Action::VerifyFail => "复查不通过",
            Action::ApproveClosure => "批准销号",
            Action::RejectClosure => "驳回销号",
            Action::Cancel => "撤销隐患",
        }
    }
}

/// Who is acting, as far as the loop cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// An enterprise user acting on its own enterprise's hazard.
    pub own_enterprise: bool,
    /// The person who passed the re-check now awaiting closure.
    pub verified_it: bool,
}

/// Why an action is refused, with the actions this actor may take now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: String,
    /// The same reason in Chinese, as the console shows it.
    pub reason_zh: String,
    pub allowed: Vec<Action>,
}

/// The status an action leads to from `status`, if the action exists from there.
fn edge(status: Status, action: Action) -> Option<Status> {
    use Action::*;
    use Status::*;
    match (status, action) {
        (Open, SubmitRectification) => Some(Submitted),
        (Submitted, VerifyPass) => Some(Verified),
        (Submitted, VerifyFail) => Some(Open),
        (Verified, ApproveClosure) => Some(Closed),
        (Verified, RejectClosure) => Some(Open),
        (Open | Submitted | Verified, Cancel) => Some(Cancelled),
        _ => None,
    }
}

/// Why a role may not take an action: (English, Chinese).
type Why = (&'static str, &'static str);

/// Whether the actor may take the action (when it exists from the status).
fn permitted(action: Action, actor: Actor) -> Result<(), Why> {
    use Action::*;
    match (action, actor.role) {
        (SubmitRectification, Role::Enterprise) if actor.own_enterprise => Ok(()),
        (SubmitRectification, Role::Enterprise) => Err((
            "only the enterprise's own users may submit its rectification",
            "只有本企业的用户可以提交本企业的整改",
        )),
        (SubmitRectification, Role::Inspector) => Ok(()),
        (SubmitRectification, _) => Err((
            "rectification is submitted by the enterprise or recorded by an inspector",
            "整改由企业提交，或由检查员现场记录",
        )),
        (VerifyPass | VerifyFail, Role::Inspector) => Ok(()),
        (VerifyPass | VerifyFail, _) => Err((
            "re-checks (复查) are made by inspectors",
            "复查由检查员进行",
        )),
        (ApproveClosure, Role::Supervisor) if actor.verified_it => Err((
            "the person who passed the re-check may not also approve the closure",
            "复查通过的人不能再批准同一隐患的销号",
        )),
        (ApproveClosure | RejectClosure | Cancel, Role::Supervisor) => Ok(()),
        (ApproveClosure | RejectClosure, _) => Err((
            "closure (销号) is decided by a supervisor",
            "销号由监管人员决定",
        )),
        (Cancel, _) => Err((
            "hazards are cancelled by a supervisor",
            "隐患由监管人员撤销",
        )),
    }
}

/// The actions `actor` may take from `status`.
pub fn allowed(status: Status, actor: Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|action| edge(status, *action).is_some() && permitted(*action, actor).is_ok())
        .collect()
}

/// The next status, or why not.
pub fn next(status: Status, action: Action, actor: Actor) -> Result<Status, Refusal> {
    let refuse = |reason: String, reason_zh: String| Refusal {
        reason,
        reason_zh,
        allowed: allowed(status, actor),
    };
    let Some(to) = edge(status, action) else {
        return Err(refuse(
            format!(
                "`{}` is not possible while the hazard is {}",
                action.as_str(),
                status.as_str()
            ),
            format!("隐患{}，不能{}", status.name_zh(), action.name_zh()),
        ));
    };
    permitted(action, actor).map_err(|(en, zh)| refuse(en.to_owned(), zh.to_owned()))?;
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Status::*;

    /// The loop's table (docs/closed-loop.md), written out row by row: (from, action, role) -> to.
    const TABLE: &[(Status, Action, Role, Status)] = &[
        (Open, SubmitRectification, Role::Enterprise, Submitted),
        (Open, SubmitRectification, Role::Inspector, Submitted),
        (Submitted, VerifyPass, Role::Inspector, Verified),
        (Submitted, VerifyFail, Role::Inspector, Open),
        (Verified, ApproveClosure, Role::Supervisor, Closed),
        (Verified, RejectClosure, Role::Supervisor, Open),
        (Open, Cancel, Role::Supervisor, Cancelled),
        (Submitted, Cancel, Role::Supervisor, Cancelled),
        (Verified, Cancel, Role::Supervisor, Cancelled),
    ];

    fn actor(role: Role) -> Actor {
        Actor {
            role,
            own_enterprise: true,
            verified_it: false,
        }
    }

    #[test]
    fn every_status_action_role_triple_matches_the_table() {
        for status in Status::ALL {
            for action in Action::ALL {
                for role in Role::ALL {
                    let expected = TABLE
                        .iter()
                        .find(|(s, a, r, _)| (*s, *a, *r) == (status, action, role))
                        .map(|row| row.3);
                    let got = next(status, action, actor(role));
                    match expected {
                        Some(to) => assert_eq!(got, Ok(to), "{status:?} {action:?} {role:?}"),
                        None => {
                            let refusal = got.expect_err(&format!(
                                "{status:?} {action:?} {role:?} should be refused"
                            ));
                            assert!(
                                !refusal.allowed.contains(&action),
                                "{status:?} {action:?} {role:?}"
                            );
                            assert!(!refusal.reason.is_empty());
                            assert!(!refusal.reason_zh.is_empty());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_list_what_is_allowed_now() {
        let supervisor = actor(Role::Supervisor);
        let refusal = next(Verified, SubmitRectification, supervisor).unwrap_err();
        assert_eq!(refusal.allowed, vec![ApproveClosure, RejectClosure, Cancel]);
        assert!(allowed(Closed, supervisor).is_empty(), "closed is final");
        assert!(
            allowed(Cancelled, actor(Role::Inspector)).is_empty(),
            "cancelled is final"
        );
    }

    #[test]
    fn the_verifier_may_not_approve_the_closure() {
        let verifier = Actor {
            role: Role::Supervisor,
            own_enterprise: false,
            verified_it: true,
        };
        let refusal = next(Verified, ApproveClosure, verifier).unwrap_err();
        assert!(refusal.reason.contains("re-check"));
        assert_eq!(next(Verified, RejectClosure, verifier), Ok(Open));
    }

    #[test]
    fn another_enterprise_may_not_submit_rectification() {
        let stranger = Actor {
            role: Role::Enterprise,
            own_enterprise: false,
            verified_it: false,
        };
        assert!(next(Open, SubmitRectification, stranger).is_err());
        assert!(allowed(Open, stranger).is_empty());
    }

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for action in Action::ALL {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
    }
}
