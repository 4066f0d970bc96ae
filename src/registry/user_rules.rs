//! What makes a user record coherent: names, and the scope each role must (and must not) carry.

use crate::auth::Role;
use crate::error::FieldError;
use crate::text;

/// A user's role and scope, as they will be stored.
pub struct UserScope<'a> {
    pub role: Role,
    pub enterprise_id: Option<&'a str>,
    pub region_prefix: Option<&'a str>,
    pub sectors: &'a [String],
    pub certificate_no: Option<&'a str>,
}

/// The most sectors one user may be limited to (the catalog has about thirty).
pub const MAX_SECTORS: usize = 64;

pub fn username_error(username: &str) -> Option<FieldError> {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    let len = username.chars().count();
    (!(3..=64).contains(&len) || !ok_chars).then(|| {
        FieldError::new(
            "username",
            "must be 3-64 characters of letters, digits and . _ @ -",
        )
    })
}

pub fn display_name_error(display_name: &str) -> Option<FieldError> {
    if let Some(error) = text::name_error("display_name", display_name) {
        return Some(error);
    }
    let len = display_name.trim().chars().count();
    (!(1..=100).contains(&len)).then(|| FieldError::new("display_name", "must be 1-100 characters"))
}

/// Every way the scope does not fit the role.
pub fn scope_errors(scope: &UserScope) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut refuse = |field: &str, message: &str| errors.push(FieldError::new(field, message));
    let area_role = matches!(scope.role, Role::Inspector | Role::Supervisor);
    match (scope.role, scope.enterprise_id) {
        (Role::Enterprise, None) => {
            refuse("enterprise_id", "an enterprise user needs its enterprise")
        }
        (Role::Enterprise, Some(id)) if uuid::Uuid::parse_str(id).is_err() => {
            refuse("enterprise_id", "must be a UUID")
        }
        (Role::Enterprise, Some(_)) => {}
        (_, Some(_)) => refuse(
            "enterprise_id",
            "only enterprise users belong to an enterprise",
        ),
        (_, None) => {}
    }
    match scope.region_prefix {
        None if area_role => refuse(
            "region_prefix",
            "inspectors and supervisors need a region prefix",
        ),
        Some(_) if !area_role => refuse(
            "region_prefix",
            "only inspectors and supervisors have a region",
        ),
        Some(prefix) if !is_region_prefix(prefix) => refuse(
            "region_prefix",
            "must be 2-12 digits of a GB/T 2260 code, e.g. 360721",
        ),
        _ => {}
    }
    if !scope.sectors.is_empty() && !area_role {
        refuse(
            "sectors",
            "only inspectors and supervisors are limited to sectors",
        );
    }
    let mut distinct: Vec<&String> = scope.sectors.iter().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > MAX_SECTORS {
        refuse(
            "sectors",
            &format!("may name at most {MAX_SECTORS} different sectors"),
        );
    }
    for (i, code) in scope.sectors.iter().enumerate() {
        let ok = (1..=40).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            refuse(
                &format!("sectors[{i}]"),
                "must be a sector code (lowercase letters, digits, _)",
            );
        }
    }
    if let Some(certificate) = scope.certificate_no {
        if scope.role != Role::Inspector {
            refuse(
                "certificate_no",
                "only inspectors carry an enforcement certificate",
            );
        } else if !(1..=40).contains(&certificate.trim().chars().count()) {
            refuse("certificate_no", "must be 1-40 characters");
        } else if let Some(error) = text::name_error("certificate_no", certificate) {
            refuse("certificate_no", &error.message);
        }
    }
    errors
}

fn is_region_prefix(prefix: &str) -> bool {
    (2..=12).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(scope: UserScope) -> Vec<String> {
        scope_errors(&scope).into_iter().map(|e| e.field).collect()
    }

    const ENTERPRISE: &str = "0193a1b2-0000-7000-8000-000000000001";

    #[test]
    fn each_role_carries_its_own_scope() {
        let sectors = vec!["hazardous_chemicals".to_owned()];
        let ok = [
            UserScope {
                role: Role::Admin,
                enterprise_id: None,
                region_prefix: None,
                sectors: &[],
                certificate_no: None,
            },
            UserScope {
                role: Role::Enterprise,
                enterprise_id: Some(ENTERPRISE),
                region_prefix: None,
                sectors: &[],
                certificate_no: None,
            },
            UserScope {
                role: Role::Inspector,
                enterprise_id: None,
                region_prefix: Some("360721"),
                sectors: &sectors,
                certificate_no: Some("赣12345"),
            },
            UserScope {
                role: Role::Supervisor,
                enterprise_id: None,
                region_prefix: Some("36"),
                sectors: &[],
                certificate_no: None,
            },
        ];
        for scope in ok {
            assert_eq!(fields(scope), Vec::<String>::new());
        }
    }

    #[test]
    fn misfits_name_their_field() {
        let bad_sector = vec!["Mines!".to_owned()];
        assert_eq!(
            fields(UserScope {
                role: Role::Enterprise,
                enterprise_id: None,
                region_prefix: Some("36"),
                sectors: &[],
                certificate_no: None
            }),
            ["enterprise_id", "region_prefix"]
        );
        assert_eq!(
            fields(UserScope {
                role: Role::Inspector,
                enterprise_id: Some(ENTERPRISE),
                region_prefix: None,
                sectors: &bad_sector,
                certificate_no: None
            }),
            ["enterprise_id", "region_prefix", "sectors[0]"]
        );
        assert_eq!(
            fields(UserScope {
                role: Role::Supervisor,
                enterprise_id: None,
                region_prefix: Some("36072x"),
                sectors: &[],
                certificate_no: Some("1")
            }),
            ["region_prefix", "certificate_no"]
        );
        assert_eq!(
            fields(UserScope {
                role: Role::Enterprise,
                enterprise_id: Some("nope"),
                region_prefix: None,
                sectors: &[],
                certificate_no: None
            }),
            ["enterprise_id"]
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(username_error("li.wei@bureau").is_none());
        assert!(username_error("li").is_some());
        assert!(username_error("li wei").is_some());
        assert!(display_name_error("  ").is_some());
        assert!(display_name_error("李伟").is_none());
    }
}
