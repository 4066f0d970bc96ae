//! The rules an inspection must satisfy before it is stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::error::FieldError;

/// The kind of inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// 日常检查.
    Routine,
    /// 专项检查, part of a campaign.
    Special,
    /// 双随机.
    Random,
    /// 明察暗访.
    Covert,
    /// 联合检查.
    Joint,
    /// 复查 / 回头看.
    FollowUp,
    /// 企业自查, filed by the enterprise itself.
    #[serde(rename = "self")]
    SelfInspection,
}

impl InspectionKind {
    pub const ALL: [InspectionKind; 7] = [
        InspectionKind::Routine,
        InspectionKind::Special,
        InspectionKind::Random,
        InspectionKind::Covert,
        InspectionKind::Joint,
        InspectionKind::FollowUp,
        InspectionKind::SelfInspection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::Routine => "routine",
            InspectionKind::Special => "special",
            InspectionKind::Random => "random",
            InspectionKind::Covert => "covert",
            InspectionKind::Joint => "joint",
            InspectionKind::FollowUp => "follow_up",
            InspectionKind::SelfInspection => "self",
        }
    }

    pub fn parse(text: &str) -> Option<InspectionKind> {
        InspectionKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Administrative enforcement, which 行政处罚法 art. 42 says takes at least two officers.
    pub fn is_enforcement(self) -> bool {
        !matches!(
            self,
            InspectionKind::FollowUp | InspectionKind::SelfInspection
        )
    }

    /// Who may file this kind.
    pub fn filed_by(self) -> Role {
        match self {
            InspectionKind::SelfInspection => Role::Enterprise,
            _ => Role::Inspector,
        }
    }
}

/// Where an inspection stands: a `draft` its officers may still change, or `submitted`
/// (read-only, counted in the figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    Draft,
    Submitted,
}

impl InspectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionStatus::Draft => "draft",
            InspectionStatus::Submitted => "submitted",
        }
    }
}

/// An officer named on an inspection, as the database knows them.
#[derive(Debug, Clone)]
pub struct Officer {
    pub id: String,
    pub role: Role,
    pub active: bool,
    pub certificate_no: Option<String>,
}

/// Why the officers named do not fit the kind, or `None`. `officer_ids` as sent (may repeat);
/// `known` the users found for them.
pub fn officer_problem(
    kind: InspectionKind,
    caller_id: &str,
    officer_ids: &[String],
    known: &[Officer],
) -> Option<FieldError> {
    let refuse = |message: String| Some(FieldError::new("officer_ids", message));
    let mut distinct: Vec<&String> = officer_ids.iter().collect();
    distinct.sort();
    distinct.dedup();
    if kind == InspectionKind::SelfInspection {
        return (!distinct.is_empty())
            .then(|| FieldError::new("officer_ids", "a self-inspection names no officers"));
    }
    for id in &distinct {
        match known.iter().find(|o| &&o.id == id) {
            None => return refuse(format!("{id} is not a user")),
            Some(o) if o.role != Role::Inspector || !o.active => {
                return refuse(format!("{id} is not an active inspector"));
            }
            Some(o)
                if kind.is_enforcement()
                    && o.certificate_no.as_deref().is_none_or(str::is_empty) =>
            {
                return refuse(format!(
                    "{id} has no enforcement certificate number (执法证号)"
                ));
            }
            Some(_) => {}
        }
    }
    if !distinct.iter().any(|id| id.as_str() == caller_id) {
        return refuse("the inspector filing it must be among the officers".into());
    }
    if kind.is_enforcement() && distinct.len() < 2 {
        return refuse(
            "an enforcement inspection needs at least two officers with certificates (行政处罚法 第四十二条)".into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspector(id: &str, certificate: Option<&str>) -> Officer {
        Officer {
            id: id.into(),
            role: Role::Inspector,
            active: true,
            certificate_no: certificate.map(str::to_owned),
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn enforcement_needs_two_certified_officers_including_the_caller() {
        let known = [
            inspector("a", Some("JX-1")),
            inspector("b", Some("JX-2")),
            inspector("c", None),
        ];
        for kind in InspectionKind::ALL
            .into_iter()
            .filter(|k| k.is_enforcement())
        {
            assert_eq!(
                officer_problem(kind, "a", &ids(&["a", "b"]), &known),
                None,
                "{kind:?}"
            );
            let alone = officer_problem(kind, "a", &ids(&["a", "a"]), &known).unwrap();
            assert!(
                alone.message.contains("第四十二条"),
                "{kind:?}: {}",
                alone.message
            );
            assert!(
                officer_problem(kind, "a", &ids(&["a", "c"]), &known)
                    .unwrap()
                    .message
                    .contains("certificate")
            );
            assert!(officer_problem(kind, "a", &ids(&["b", "c"]), &known).is_some());
            assert!(
                officer_problem(kind, "a", &ids(&["a", "zz"]), &known)
                    .unwrap()
                    .message
                    .contains("not a user")
            );
        }
    }

    #[test]
    fn follow_ups_and_self_inspections_have_their_own_rules() {
        let known = [inspector("a", None)];
        assert_eq!(
            officer_problem(InspectionKind::FollowUp, "a", &ids(&["a"]), &known),
            None
        );
        assert!(officer_problem(InspectionKind::FollowUp, "a", &[], &known).is_some());
        assert_eq!(
            officer_problem(InspectionKind::SelfInspection, "e", &[], &known),
            None
        );
        assert!(
            officer_problem(InspectionKind::SelfInspection, "e", &ids(&["a"]), &known).is_some()
        );
        let inactive = [Officer {
            active: false,
            ..inspector("a", Some("x"))
        }];
        assert!(officer_problem(InspectionKind::FollowUp, "a", &ids(&["a"]), &inactive).is_some());
    }

    #[test]
    fn kinds_round_trip() {
        for kind in InspectionKind::ALL {
            assert_eq!(InspectionKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
