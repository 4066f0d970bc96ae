//! Password hashing with argon2id. Slow on purpose: call it off the actix workers.

use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// Longest password accepted (argon2 cost grows with input; nobody types more).
pub const MAX_LENGTH: usize = 256;

/// argon2id, 19 MiB, 2 passes, 1 lane: OWASP's minimum recommendation.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a new password (a fresh random salt each time), in PHC string form.
pub fn hash(password: &str) -> String {
    hasher()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

/// Checks `password` against a stored PHC hash. A hash that cannot be parsed never matches.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    hasher()
        .verify_password(password.as_bytes(), stored_hash)
        .is_ok()
}

/// A hash of a password nobody knows, verified against when the user does not exist so an
/// unknown username costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash("safeloop-decoy-password-never-valid"));
    &DECOY
}

/// Why a new password is refused, or `None` when it is acceptable.
pub fn weakness(password: &str, username: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("must be at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Some(format!("must be at most {MAX_LENGTH} characters"));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Some("must not be the username".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_password() {
        let stored = hash("correct horse battery");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(stored, hash("correct horse battery"), "salts differ");
    }

    #[test]
    fn weak_passwords_are_named() {
        assert!(weakness("short", "li.wei").unwrap().contains("at least 10"));
        assert!(
            weakness("Li.Wei.2024", "li.wei.2024")
                .unwrap()
                .contains("username")
        );
        assert!(weakness(&"x".repeat(MAX_LENGTH + 1), "a").is_some());
        assert_eq!(weakness("a long enough one", "li.wei"), None);
    }
}
