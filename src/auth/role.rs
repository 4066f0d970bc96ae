//! The four roles: inspector, enterprise, supervisor, admin (README, "Registry and data scope").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 检查员 / 执法人员: files inspections, records hazards, re-checks.
    Inspector,
    /// Safety manager of one enterprise: sees its hazards, uploads proof.
    Enterprise,
    /// Head of the 安委办 or a department: approves closure, reads statistics.
    Supervisor,
    /// System administrator.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Inspector,
        Role::Enterprise,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Inspector => "inspector",
            Role::Enterprise => "enterprise",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}
