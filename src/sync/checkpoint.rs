//! The sync checkpoint: where a caller's pass stands, opaque to the app and sealed by the
//! server (an HMAC under the token secret), so the scope it remembers cannot be forged to
//! learn the ids of rows outside the caller's view.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::log::Key;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::error::ApiError;

/// The format of the sealed text; a checkpoint of another format must be fetched again.
const FORMAT: u8 = 1;

/// Where the pass stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    #[serde(rename = "f")]
    pub format: u8,
    /// Whose view it is.
    #[serde(rename = "u")]
    pub user: String,
    /// The role the app's copy follows (its tasks depend on it).
    #[serde(rename = "o")]
    pub role: Role,
    /// The scope the app's copy follows.
    #[serde(rename = "s")]
    pub scope: Scope,
    /// Every log row up to here has been read.
    #[serde(rename = "c")]
    pub cursor: Key,
    /// The scope before a change, until the pass that follows the change is complete.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Scope>,
    /// The rows already read, walked again after a scope change.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub rescan: Option<Rescan>,
    /// The first pass is running: the app holds nothing but what it sent.
    #[serde(rename = "n", default)]
    pub fresh: bool,
    /// In the first pass, the log's end when it began: the app never held what lies before.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub fresh_until: Option<Key>,
}

/// A walk over the log already read: after `after`, up to `upto`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rescan {
    #[serde(rename = "a")]
    pub after: Key,
    #[serde(rename = "b")]
    pub upto: Key,
}

fn must_refetch(detail: &str) -> ApiError {
    ApiError::Gone {
        code: "must_refetch",
        detail: format!("{detail}; drop the local copy and sync again without a checkpoint"),
    }
}

impl Checkpoint {
    /// The start of a first pass: nothing read yet.
    pub fn start(user: &str, role: Role, scope: Scope) -> Checkpoint {
        Checkpoint {
            format: FORMAT,
            user: user.to_owned(),
            role,
            scope,
            cursor: (0, 0),
            previous: None,
            rescan: None,
            fresh: true,
            fresh_until: None,
        }
    }

    /// Another role waits for other tasks: the app's copy of them cannot be patched up.
    pub fn follow_role(&self, now: Role) -> Result<(), ApiError> {
        if self.role != now {
            return Err(must_refetch("your role changed"));
        }
        Ok(())
    }

    /// Takes a change of the caller's scope into the pass: what left and what came in are
    /// found by walking again the rows already read. A second change before that pass is
    /// complete cannot be followed.
    pub fn follow_scope(&mut self, now: &Scope) -> Result<(), ApiError> {
        if &self.scope == now {
            return Ok(());
        }
        if self.previous.is_some() {
            return Err(must_refetch(
                "your scope changed twice before the feed caught up",
            ));
        }
        self.previous = Some(std::mem::replace(&mut self.scope, now.clone()));
        self.rescan = Some(Rescan {
            after: (0, 0),
            upto: self.cursor,
        });
        Ok(())
    }

    pub fn seal(&self, secret: &[u8]) -> String {
        let body = serde_json::to_vec(self).expect("a checkpoint serialises");
        let tag = tag(secret, &body);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Opens a sealed checkpoint for `user`: 400 for text the server never issued, 410
    /// `must_refetch` for one it issued but can no longer serve (another format, another
    /// user's, or sealed under a token secret since rotated).
    pub fn open(text: &str, secret: &[u8], user: &str) -> Result<Checkpoint, ApiError> {
        let invalid =
            || ApiError::validation("checkpoint", "is not a checkpoint this server issued");
        let (body, sealed_tag) = text.split_once('.').ok_or_else(invalid)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
        let sealed_tag = URL_SAFE_NO_PAD.decode(sealed_tag).map_err(|_| invalid())?;
        if sealed_tag.len() != TAG_BYTES {
            return Err(invalid());
        }
        if tag(secret, &body) != sealed_tag.as_slice() {
            return Err(must_refetch("the checkpoint was sealed under another key"));
        }
        let checkpoint: Checkpoint = serde_json::from_slice(&body).map_err(|_| invalid())?;
        if checkpoint.format != FORMAT {
            return Err(must_refetch("the checkpoint is of an older format"));
        }
        if checkpoint.user != user {
            return Err(must_refetch("the checkpoint belongs to another user"));
        }
        Ok(checkpoint)
    }

    /// 410 when the log never reached the cursor: the database was restored from an older
    /// copy, and the rows between are lost to this checkpoint.
    pub fn check_reachable(&self, last: Option<Key>) -> Result<(), ApiError> {
        if self.cursor > last.unwrap_or((0, 0)) {
            return Err(must_refetch("the server's log is behind this checkpoint"));
        }
        Ok(())
    }
}

const TAG_BYTES: usize = 16;

fn tag(secret: &[u8], body: &[u8]) -> [u8; TAG_BYTES] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"safeloop sync checkpoint\0");
    mac.update(body);
    let full = mac.finalize().into_bytes();
    let mut short = [0u8; TAG_BYTES];
    short.copy_from_slice(&full[..TAG_BYTES]);
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(prefix: &str) -> Scope {
        Scope::Area {
            region_prefix: prefix.into(),
            sectors: vec![],
        }
    }

    #[test]
    fn a_sealed_checkpoint_opens_only_for_its_user_and_key() {
        let mut checkpoint = Checkpoint::start("u1", Role::Inspector, area("360704"));
        checkpoint.cursor = (812, 40);
        let text = checkpoint.seal(b"secret");
        assert_eq!(
            Checkpoint::open(&text, b"secret", "u1").unwrap(),
            checkpoint
        );
        let other_user = Checkpoint::open(&text, b"secret", "u2").unwrap_err();
        assert_eq!(other_user.code(), "must_refetch");
        let other_key = Checkpoint::open(&text, b"rotated", "u1").unwrap_err();
        assert_eq!(other_key.code(), "must_refetch");
        for garbage in ["", "abc", "abc.def", "x.y.z", &text[1..]] {
            let error = Checkpoint::open(garbage, b"secret", "u1").unwrap_err();
            assert!(
                matches!(error.code(), "validation_failed" | "must_refetch"),
                "{garbage}: {}",
                error.code()
            );
        }
    }

    #[test]
    fn a_forged_scope_breaks_the_seal() {
        let text = Checkpoint::start("u1", Role::Inspector, area("360704")).seal(b"secret");
        let (body, tag) = text.split_once('.').unwrap();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        let forged = json.replace(
            "\"Area\":{\"region_prefix\":\"360704\"",
            "\"Area\":{\"region_prefix\":\"36\"",
        );
        assert_ne!(forged, json);
        let text = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(forged));
        let error = Checkpoint::open(&text, b"secret", "u1").unwrap_err();
        assert_eq!(error.code(), "must_refetch");
    }

    #[test]
    fn a_scope_change_walks_the_read_rows_again_once() {
        let mut checkpoint = Checkpoint::start("u1", Role::Inspector, area("360704"));
        checkpoint.cursor = (0, 90);
        checkpoint.follow_scope(&area("360704")).unwrap();
        assert_eq!(checkpoint.rescan, None);
        checkpoint.follow_scope(&area("530524")).unwrap();
        assert_eq!(checkpoint.previous, Some(area("360704")));
        assert_eq!(
            checkpoint.rescan,
            Some(Rescan {
                after: (0, 0),
                upto: (0, 90)
            })
        );
        let again = checkpoint.clone().follow_scope(&area("3607")).unwrap_err();
        assert_eq!(again.code(), "must_refetch");
    }

    #[test]
    fn another_role_cannot_be_followed() {
        let checkpoint = Checkpoint::start("u1", Role::Inspector, area("360704"));
        assert!(checkpoint.follow_role(Role::Inspector).is_ok());
        let error = checkpoint.follow_role(Role::Supervisor).unwrap_err();
        assert_eq!(error.code(), "must_refetch");
    }

    #[test]
    fn a_cursor_beyond_the_log_cannot_be_served() {
        let mut checkpoint = Checkpoint::start("u1", Role::Admin, Scope::All);
        assert!(checkpoint.check_reachable(None).is_ok());
        checkpoint.cursor = (5, 12);
        assert!(checkpoint.check_reachable(Some((5, 12))).is_ok());
        assert!(checkpoint.check_reachable(Some((6, 1))).is_ok());
        let error = checkpoint.check_reachable(Some((5, 11))).unwrap_err();
        assert_eq!(error.code(), "must_refetch");
    }
}
