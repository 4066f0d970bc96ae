//! Reporting a hazard (the loop's first step): what a report must carry and where it comes from.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::error::FieldError;
use crate::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HazardLevel {
    /// 一般隐患.
    General,
    /// 重大隐患.
    Major,
}

impl HazardLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            HazardLevel::General => "general",
            HazardLevel::Major => "major",
        }
    }

    pub fn parse(text: &str) -> HazardLevel {
        if text == "major" {
            HazardLevel::Major
        } else {
            HazardLevel::General
        }
    }
}

/// Where a hazard was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HazardSource {
    /// An inspection by officers.
    Inspection,
    /// The enterprise's own self-inspection (自查): no penalty may be linked to it.
    SelfInspection,
    /// A tip or a supervisor's own finding, outside any inspection.
    Tip,
}

impl HazardSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HazardSource::Inspection => "inspection",
            HazardSource::SelfInspection => "self_inspection",
            HazardSource::Tip => "tip",
        }
    }

    pub fn parse(text: &str) -> HazardSource {
        match text {
            "inspection" => HazardSource::Inspection,
            "self_inspection" => HazardSource::SelfInspection,
            _ => HazardSource::Tip,
        }
    }

    /// The source of a report by `role`, from the kind of inspection it names (if any).
    pub fn of(role: Role, inspection_is_self: Option<bool>) -> HazardSource {
        match (role, inspection_is_self) {
            (Role::Enterprise, _) | (_, Some(true)) => HazardSource::SelfInspection,
            (_, Some(false)) => HazardSource::Inspection,
            (_, None) => HazardSource::Tip,
        }
    }
}

/// The longest rectification period accepted.
pub const MAX_DEADLINE_DAYS: i64 = 730;

/// The text and deadline rules of a report.
pub struct ReportText<'a> {
    pub description: &'a str,
    pub location: Option<&'a str>,
    pub responsible_person: &'a str,
    pub measures: &'a str,
    pub legal_basis: Option<&'a str>,
    pub deadline: DateTime<Utc>,
}

pub fn field_errors(report: &ReportText, now: DateTime<Utc>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut length = |field: &str, value: &str, min: usize, max: usize| {
        errors.extend(FieldError::length(field, value, min, max));
    };
    length("description", report.description, 1, 2000);
    length("responsible_person", report.responsible_person, 1, 50);
    length("measures", report.measures, 1, 2000);
    if let Some(location) = report.location {
        length("location", location, 0, 200);
    }
    if let Some(basis) = report.legal_basis {
        length("legal_basis", basis, 0, 1000);
    }
    // Printed on a line of the ledger and of the rectification order.
    errors.extend(text::name_error(
        "responsible_person",
        report.responsible_person,
    ));
    if let Some(location) = report.location {
        errors.extend(text::name_error("location", location));
    }
    if report.deadline <= now {
        errors.push(FieldError::new(
            "deadline",
            "is in the past; give the date rectification is due",
        ));
    } else if report.deadline > now + Duration::days(MAX_DEADLINE_DAYS) {
        errors.push(FieldError::new(
            "deadline",
            format!("is more than {MAX_DEADLINE_DAYS} days away"),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(deadline: DateTime<Utc>) -> ReportText<'static> {
        ReportText {
            description: "配电箱未接地",
            location: Some("二号车间"),
            responsible_person: "张三",
            measures: "加装接地线",
            legal_basis: None,
            deadline,
        }
    }

    #[test]
    fn deadlines_lie_ahead_within_two_years() {
        let now = Utc::now();
        assert!(field_errors(&report(now + Duration::days(7)), now).is_empty());
        assert_eq!(
            field_errors(&report(now - Duration::hours(1)), now)[0].field,
            "deadline"
        );
        assert_eq!(
            field_errors(&report(now + Duration::days(800)), now)[0].field,
            "deadline"
        );
    }

    #[test]
    fn required_text_is_required() {
        let now = Utc::now();
        let mut empty = report(now + Duration::days(1));
        empty.description = " ";
        empty.responsible_person = "";
        let fields: Vec<String> = field_errors(&empty, now)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["description", "responsible_person"]);
    }

    #[test]
    fn sources_follow_the_reporter() {
        assert_eq!(
            HazardSource::of(Role::Enterprise, None),
            HazardSource::SelfInspection
        );
        assert_eq!(
            HazardSource::of(Role::Inspector, Some(false)),
            HazardSource::Inspection
        );
        assert_eq!(
            HazardSource::of(Role::Inspector, Some(true)),
            HazardSource::SelfInspection
        );
        assert_eq!(HazardSource::of(Role::Supervisor, None), HazardSource::Tip);
    }
}
