//! Data scope: what rows a caller may see, applied inside SQL queries.
//!
//! An enterprise user sees its own enterprise; an inspector or supervisor sees enterprises whose
//! region code starts with their `region_prefix` and, if they have sectors, in those sectors (a
//! parent sector such as 工贸 covers its children); an admin sees everything.

use super::{AuthUser, Role};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    All,
    Enterprise(String),
    Area {
        region_prefix: String,
        sectors: Vec<String>,
    },
    /// A token whose scope is incomplete sees nothing rather than everything.
    Nothing,
}

impl Scope {
    pub fn of(user: &AuthUser) -> Scope {
        match user.role {
            Role::Admin => Scope::All,
            Role::Enterprise => match &user.enterprise_id {
                Some(id) => Scope::Enterprise(id.clone()),
                None => Scope::Nothing,
            },
            Role::Inspector | Role::Supervisor => match &user.region_prefix {
                Some(prefix) => Scope::Area {
                    region_prefix: prefix.clone(),
                    sectors: user.sectors.clone(),
                },
                None => Scope::Nothing,
            },
        }
    }

    /// Whether an enterprise in this region and sector, with this id, is visible.
    pub fn covers(
        &self,
        enterprise_id: &str,
        region_code: &str,
        sector_code: &str,
        sector_parent: Option<&str>,
    ) -> bool {
        match self {
            Scope::All => true,
            Scope::Nothing => false,
            Scope::Enterprise(id) => id == enterprise_id,
            Scope::Area {
                region_prefix,
                sectors,
            } => {
                region_code.starts_with(region_prefix.as_str())
                    && (sectors.is_empty()
                        || sectors
                            .iter()
                            .any(|s| s == sector_code || Some(s.as_str()) == sector_parent))
            }
        }
    }
}

/// Restricts a boxed diesel query to what a `Scope` may see, inside the SQL. The table names its
/// row id, enterprise, region and sector columns:
///
/// `apply_scope!(query, &scope, enterprise: hazards::enterprise_id, region: hazards::region_code,
/// sector: hazards::sector_code)`
#[macro_export]
macro_rules! apply_scope {
    ($query:expr, $scope:expr, enterprise: $enterprise:expr, region: $region:expr, sector: $sector:expr) => {{
        use diesel::prelude::*;
        use $crate::auth::scope::Scope;
        let query = $query;
        match $scope {
            Scope::All => query,
            Scope::Nothing => query.filter($enterprise.is_null()),
            Scope::Enterprise(id) => query.filter($enterprise.eq(id.clone())),
            Scope::Area {
                region_prefix,
                sectors,
            } => {
                let query = $crate::apply_region!(query, $region, region_prefix);
                if sectors.is_empty() {
                    query
                } else {
                    query.filter(
                        $sector.eq_any($crate::registry::catalog::sector_and_children(sectors)),
                    )
                }
            }
        }
    }};
}

/// Restricts a boxed query to region codes starting with `prefix` (see `region_range`).
#[macro_export]
macro_rules! apply_region {
    ($query:expr, $region:expr, $prefix:expr) => {{
        let (low, high) = $crate::auth::scope::region_range($prefix);
        let query = $query.filter($region.ge(low));
        match high {
            Some(high) => query.filter($region.lt(high)),
            None => query,
        }
    }};
}

/// The codes starting with `prefix`, as a half-open range `[low, high)` that a B-tree index
/// serves on both backends (`LIKE 'p%'` is not indexable under PostgreSQL's usual collations).
/// `high` is `None` when the prefix is all nines.
pub fn region_range(prefix: &str) -> (String, Option<String>) {
    let mut digits: Vec<u8> = prefix.bytes().collect();
    for i in (0..digits.len()).rev() {
        if digits[i] < b'9' {
            digits[i] += 1;
            digits.truncate(i + 1);
            return (
                prefix.to_owned(),
                Some(String::from_utf8(digits).expect("ASCII digits")),
            );
        }
    }
    (prefix.to_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn user(
        role: Role,
        enterprise: Option<&str>,
        prefix: Option<&str>,
        sectors: &[&str],
    ) -> AuthUser {
        AuthUser {
            id: UserId::new(),
            role,
            enterprise_id: enterprise.map(str::to_owned),
            region_prefix: prefix.map(str::to_owned),
            sectors: sectors.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn ranges_cover_exactly_the_prefix() {
        assert_eq!(region_range("3607"), ("3607".into(), Some("3608".into())));
        assert_eq!(
            region_range("360729"),
            ("360729".into(), Some("36073".into()))
        );
        assert_eq!(region_range("99"), ("99".into(), None));
        let (low, high) = region_range("360729");
        let high = high.unwrap();
        for code in ["360729", "360729101", "360729999999"] {
            assert!(code >= low.as_str() && code < high.as_str(), "{code}");
        }
        for code in ["360728999", "360730", "36073"] {
            assert!(!(code >= low.as_str() && code < high.as_str()), "{code}");
        }
    }

    #[test]
    fn each_role_sees_its_own_rows() {
        let admin = Scope::of(&user(Role::Admin, None, None, &[]));
        let owner = Scope::of(&user(Role::Enterprise, Some("e1"), None, &[]));
        let county = Scope::of(&user(Role::Inspector, None, Some("360704"), &[]));
        let trade = Scope::of(&user(
            Role::Supervisor,
            None,
            Some("3607"),
            &["industry_trade"],
        ));
        let broken = Scope::of(&user(Role::Inspector, None, None, &[]));

        assert!(admin.covers("e9", "530524", "fireworks", None));
        assert!(owner.covers("e1", "360704", "fireworks", None));
        assert!(!owner.covers("e2", "360704", "fireworks", None));
        assert!(county.covers("e2", "360704101", "fireworks", None));
        assert!(!county.covers("e2", "360703", "fireworks", None));
        assert!(trade.covers("e3", "360704", "metallurgy", Some("industry_trade")));
        assert!(!trade.covers("e3", "360704", "fireworks", None));
        assert_eq!(broken, Scope::Nothing);
        assert!(!broken.covers("e1", "360704", "fireworks", None));
    }
}
