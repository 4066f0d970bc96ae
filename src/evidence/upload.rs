//! Direct uploads: the client declares a photo (SHA-256, size, type, purpose),
//! gets a slot it PUTs the bytes into, and confirms. On S3 the slot is a presigned PUT that
//! keeps the bytes off the API servers; on local disk it is safeloop's own URL, signed the same
//! way. Either way the server then checks the bytes against the declaration before the photo
//! goes through the same inspection as a multipart upload.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::ingest::PURPOSES;
use crate::db::DbConnection;
use crate::db::schema::photo_uploads;
use crate::error::{ApiError, FieldError};

/// How long a slot stays open.
pub const VALID_MINUTES: i64 = 15;

/// How long a completion holds its slot before another may take over: far longer than checking
/// a photo takes, short enough that a server stopped mid-way does not lock the slot for good.
pub const CLAIM_LEASE_SECONDS: i64 = 120;

/// The formats the server can take (sniffed again on completion).
pub const CONTENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = photo_uploads)]
pub struct UploadRow {
    pub id: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub purpose: String,
    pub staging_key: String,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub photo_id: Option<String>,
    pub completed_at: Option<NaiveDateTime>,
    /// When a completion began checking the bytes; see `claim`.
    pub claimed_at: Option<NaiveDateTime>,
}

/// Where the bytes wait until completion: never a client's name.
pub fn staging_key(id: &str) -> String {
    format!("uploads/{id}")
}

/// What a declaration gets wrong, field by field. `max_bytes` is the photo size limit.
pub fn declaration_errors(
    sha256: &str,
    size: i64,
    content_type: &str,
    purpose: &str,
    max_bytes: u64,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        errors.push(FieldError::new("sha256", "must be 64 lowercase hex digits"));
    }
    if size < 1 {
        errors.push(FieldError::new("size", "must be at least 1 byte"));
    }
    if !PURPOSES.contains(&purpose) {
        errors.push(FieldError::new(
            "purpose",
            format!("must be one of {}", PURPOSES.join(", ")),
        ));
    }
    ApiError::check_fields(errors)?;
    if size as u64 > max_bytes {
        return Err(ApiError::PayloadTooLarge(format!(
            "a photo may be at most {max_bytes} bytes"
        )));
    }
    if !CONTENT_TYPES.contains(&content_type) {
        return Err(ApiError::UnsupportedMediaType(
            if content_type == "image/heic" {
                "HEIC photos are not accepted; set the camera to \"most compatible\" (JPEG)".into()
            } else {
                format!("content_type must be one of {}", CONTENT_TYPES.join(", "))
            },
        ));
    }
    Ok(())
}

/// The signature of a local upload URL: HMAC-SHA256 over the slot id and its expiry.
pub fn signature(secret: &[u8], id: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("photo-upload\n{id}\n{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a local upload URL is genuine and still open at `now`.
pub fn signature_holds(
    secret: &[u8],
    id: &str,
    expires: i64,
    given: &str,
    now: DateTime<Utc>,
) -> bool {
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("photo-upload\n{id}\n{expires}").as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&given).is_ok() && now.timestamp() <= expires
}

pub fn insert(conn: &mut DbConnection, row: &UploadRow) -> Result<(), ApiError> {
    diesel::insert_into(photo_uploads::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The caller's own upload slot.
pub fn find_own(conn: &mut DbConnection, id: &str, user: &str) -> Result<UploadRow, ApiError> {
    photo_uploads::table
        .find(id)
        .filter(photo_uploads::uploaded_by.eq(user))
        .select(UploadRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("photo upload"))
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<UploadRow>, ApiError> {
    Ok(photo_uploads::table
        .find(id)
        .select(UploadRow::as_select())
        .first(conn)
        .optional()?)
}

/// Takes the slot for one completion at `at`, unless it is completed or another completion
/// holds it within the lease. `false` when the slot is not free.
pub fn claim(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<bool, ApiError> {
    let lapsed = at - chrono::Duration::seconds(CLAIM_LEASE_SECONDS);
    let taken = diesel::update(
        photo_uploads::table
            .find(id)
            .filter(photo_uploads::photo_id.is_null())
            .filter(
                photo_uploads::claimed_at
                    .is_null()
                    .or(photo_uploads::claimed_at.lt(lapsed)),
            ),
    )
    .set(photo_uploads::claimed_at.eq(at))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Gives the slot back after a completion failed, so the client may try again.
pub fn release(conn: &mut DbConnection, id: &str) -> Result<(), ApiError> {
    diesel::update(photo_uploads::table.find(id))
        .set(photo_uploads::claimed_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// Records the photo the slot became.
pub fn complete(
    conn: &mut DbConnection,
    id: &str,
    photo_id: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(photo_uploads::table.find(id))
        .set((
            photo_uploads::photo_id.eq(photo_id),
            photo_uploads::completed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), ApiError> {
    diesel::delete(photo_uploads::table.find(id)).execute(conn)?;
    Ok(())
}

/// Slots whose URL expired before `cutoff`, completed or not: what the cleanup removes. A
/// completed slot's URL stays valid until it expires, and a PUT to it after completion would
/// stage bytes again; once no PUT can arrive, its staging key is removed for good with the slot.
pub fn expired_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> Result<Vec<UploadRow>, ApiError> {
    Ok(photo_uploads::table
        .filter(photo_uploads::expires_at.lt(cutoff))
        .select(UploadRow::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn declarations_are_checked() {
        assert!(declaration_errors(SHA, 1000, "image/jpeg", "site", 20 << 20).is_ok());
        let Err(ApiError::Validation { errors, .. }) =
            declaration_errors(&SHA.to_uppercase(), 0, "image/jpeg", "selfie", 20 << 20)
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sha256", "size", "purpose"]);
        assert!(matches!(
            declaration_errors(SHA, 21 << 20, "image/jpeg", "site", 20 << 20),
            Err(ApiError::PayloadTooLarge(_))
        ));
        assert!(matches!(
            declaration_errors(SHA, 10, "image/heic", "site", 20 << 20),
            Err(ApiError::UnsupportedMediaType(m)) if m.contains("HEIC")
        ));
    }

    #[test]
    fn signatures_bind_the_slot_and_the_time() {
        let now = Utc::now();
        let expires = now.timestamp() + 900;
        let sig = signature(b"secret", "slot-1", expires);
        assert!(signature_holds(b"secret", "slot-1", expires, &sig, now));
        assert!(!signature_holds(b"secret", "slot-2", expires, &sig, now));
        assert!(!signature_holds(
            b"secret",
            "slot-1",
            expires + 1,
            &sig,
            now
        ));
        assert!(!signature_holds(b"other", "slot-1", expires, &sig, now));
        assert!(!signature_holds(b"secret", "slot-1", expires, "zz", now));
        let later = now + chrono::Duration::seconds(901);
        assert!(!signature_holds(b"secret", "slot-1", expires, &sig, later));
    }
}
