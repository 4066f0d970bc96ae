//! Safe retries on a bad network. Creates carry a client-made id: the same id with the same
//! body returns the stored record (200), the same id with another body is refused (409).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The SHA-256 of a request's canonical JSON (fields in declaration order, no whitespace).
pub fn request_hash<T: Serialize>(request: &T) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).expect("requests serialise"),
    ))
}

/// Whether a create made a record or found the one an earlier try made.
pub enum Created<T> {
    New(T),
    Replayed(T),
}

/// The answer to a create whose id is taken: a replay if the body hashes the same and the
/// caller may see the record, else 409.
pub fn replay_or_conflict(
    stored_hash: &str,
    request_hash: &str,
    visible: bool,
) -> Result<(), ApiError> {
    if stored_hash == request_hash && visible {
        Ok(())
    } else {
        Err(ApiError::Conflict {
            code: "id_conflict",
            detail: "a different record already has this id; make a new id for a new record".into(),
        })
    }
}

/// Whether a diesel error is the primary key (or another unique key) already being taken.
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Body {
        id: u32,
        note: &'static str,
    }

    #[test]
    fn hashes_are_stable_and_body_sensitive() {
        let a = request_hash(&Body { id: 1, note: "x" });
        assert_eq!(a, request_hash(&Body { id: 1, note: "x" }));
        assert_ne!(a, request_hash(&Body { id: 1, note: "y" }));
        assert!(replay_or_conflict(&a, &a, true).is_ok());
        assert!(replay_or_conflict(&a, &a, false).is_err());
        assert!(replay_or_conflict(&a, "other", true).is_err());
    }
}
