//! Typed ids: a `UserId` cannot be passed where an `EnterpriseId` is wanted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7), for rows the server creates.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// A user's id.
    UserId
);
typed_id!(
    /// An enterprise's (生产经营单位) id.
    EnterpriseId
);

/// For `#[serde(deserialize_with = "crate::ids::distinct")]` on lists that are sets (photo ids,
/// officer ids): each id once, in the order first given, so a list repeating one id thousands
/// of times is one id, not thousands of rows or a conflict.
pub fn distinct<'de, D>(deserializer: D) -> Result<Vec<Uuid>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let list = Vec::<Uuid>::deserialize(deserializer)?;
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    Ok(list.into_iter().filter(|id| seen.insert(*id)).collect())
}
