//! Resumable photo uploads over tus 1.0.0 (core, creation, checksum, expiration,
//! termination): what the protocol's headers mean, and the upload's state in the database.
//!
//! The state is a row and the bytes are parts in the photo store, so any API node can take
//! the next PATCH. A PATCH without a checksum keeps every full part it receives even if the
//! connection drops (a phone on a weak network resumes from there); one with a checksum keeps
//! nothing until the whole PATCH matches it. When the last byte is in, the parts are read back
//! in order and the photo goes through the same ingest as a multipart upload.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ingest::{self, Declared};
use crate::db::DbConnection;
use crate::db::schema::{resumable_upload_parts, resumable_uploads};
use crate::error::ApiError;

pub const TUS_VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,checksum,expiration,termination";
/// A part is written once this much of a PATCH has arrived.
pub const PART_BYTES: usize = 1 << 20;
/// How long an upload may take, from its creation.
pub const VALID_HOURS: i64 = 24;
/// Unfinished uploads one user may hold open at once (each reserves up to the photo limit).
pub const MAX_OPEN_PER_USER: i64 = 50;
/// The longest `Upload-Metadata` taken.
pub const MAX_METADATA_BYTES: usize = 4096;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resumable_uploads)]
pub struct ResumableRow {
    pub id: String,
    pub uploaded_by: String,
    pub length: i64,
    pub received: i64,
    pub metadata: String,
    pub purpose: String,
    pub declared_captured_at: Option<NaiveDateTime>,
    pub declared_latitude: Option<f64>,
    pub declared_longitude: Option<f64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// When a node began turning the parts into a photo, and its claim; see `claim_finish`.
    pub finishing_since: Option<NaiveDateTime>,
    pub finishing_token: Option<String>,
    pub photo_id: Option<String>,
}

impl ResumableRow {
    pub fn declared(&self) -> Declared {
        Declared {
            captured_at: self.declared_captured_at.map(|t| t.and_utc()),
            latitude: self.declared_latitude,
            longitude: self.declared_longitude,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = resumable_upload_parts)]
pub struct PartRow {
    pub upload_id: String,
    pub start_offset: i64,
    pub size: i64,
    pub object_key: String,
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone is allowed).
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, String>, String> {
    let mut pairs = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((key, value)) => (key, value.trim()),
            None => (pair, ""),
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("`{key}` is not a metadata key"));
        }
        let bytes = STANDARD
            .decode(value)
            .map_err(|_| format!("the value of `{key}` is not Base64"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("the value of `{key}` is not UTF-8"))?;
        if pairs.insert(key.to_owned(), text).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
    }
    Ok(pairs)
}

/// The photo's purpose and the phone's declared values, from the metadata; other keys (a
/// client's `filename`, `filetype`) are kept in the row but mean nothing here.
pub fn declaration(metadata: &BTreeMap<String, String>) -> Result<(String, Declared), ApiError> {
    let mut declared = Declared::default();
    for (key, value) in metadata {
        ingest::declare(&mut declared, key, value).map_err(in_metadata)?;
    }
    let purpose = ingest::check_declaration(metadata.get("purpose").map(String::as_str), &declared)
        .map_err(in_metadata)?;
    Ok((purpose, declared))
}

/// Names a field error as the metadata key it came from.
fn in_metadata(error: ApiError) -> ApiError {
    match error {
        ApiError::Validation { errors, .. } => {
            let errors: Vec<_> = errors
                .into_iter()
                .map(|mut e| {
                    e.field = format!("Upload-Metadata.{}", e.field);
                    e
                })
                .collect();
            match ApiError::check_fields(errors) {
                Err(error) => error,
                Ok(()) => ApiError::validation("Upload-Metadata", "is invalid"),
            }
        }
        other => other,
    }
}

/// `Upload-Checksum: sha256 <Base64 digest>`; another algorithm is refused (400).
pub fn parse_checksum(header: &str) -> Result<[u8; 32], ApiError> {
    let bad = |detail: &str| ApiError::BadRequest {
        code: "invalid_checksum_header",
        detail: detail.to_owned(),
    };
    let (algorithm, digest) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("Upload-Checksum is `sha256 <Base64 digest>`"))?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(bad("the only checksum algorithm taken is sha256"));
    }
    let bytes = STANDARD
        .decode(digest.trim())
        .map_err(|_| bad("the Upload-Checksum digest is not Base64"))?;
    bytes
        .try_into()
        .map_err(|_| bad("a sha256 digest is 32 bytes"))
}

/// Where a part's bytes are kept: never a client's name, never the same key twice.
pub fn part_key(upload_id: &str, start: i64) -> String {
    format!(
        "resumable/{upload_id}/{start:012}-{}",
        uuid::Uuid::now_v7().simple()
    )
}

pub fn insert(conn: &mut DbConnection, row: &ResumableRow) -> Result<(), ApiError> {
    diesel::insert_into(resumable_uploads::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// How many unfinished, unexpired uploads the user has open.
pub fn open_count(
    conn: &mut DbConnection,
    user: &str,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    Ok(resumable_uploads::table
        .filter(resumable_uploads::uploaded_by.eq(user))
        .filter(resumable_uploads::photo_id.is_null())
        .filter(resumable_uploads::expires_at.gt(now))
        .count()
        .get_result(conn)?)
}

/// The caller's upload; another user's is as unknown as one never made.
pub fn find_own(conn: &mut DbConnection, id: &str, user: &str) -> Result<ResumableRow, ApiError> {
    resumable_uploads::table
        .find(id)
        .filter(resumable_uploads::uploaded_by.eq(user))
        .select(ResumableRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("upload"))
}

/// Records parts written from `start` on (each `(size, key)`, consecutive), if the upload
/// still stands at `start`; `false` when another PATCH moved it meanwhile (the caller removes
/// its objects).
pub fn record_parts(
    conn: &mut DbConnection,
    id: &str,
    start: i64,
    parts: &[(i64, String)],
) -> Result<bool, ApiError> {
    let total: i64 = parts.iter().map(|(size, _)| size).sum();
    conn.transaction(|conn| {
        let moved = diesel::update(
            resumable_uploads::table
                .find(id)
                .filter(resumable_uploads::received.eq(start))
                .filter(resumable_uploads::photo_id.is_null())
                .filter(resumable_uploads::finishing_since.is_null()),
        )
        .set(resumable_uploads::received.eq(start + total))
        .execute(conn)?;
        if moved == 0 {
            return Ok(false);
        }
        let mut at = start;
        for (size, key) in parts {
            diesel::insert_into(resumable_upload_parts::table)
                .values((
                    resumable_upload_parts::upload_id.eq(id),
                    resumable_upload_parts::start_offset.eq(at),
                    resumable_upload_parts::size.eq(size),
                    resumable_upload_parts::object_key.eq(key),
                ))
                .execute(conn)?;
            at += size;
        }
        Ok(true)
    })
}

pub fn parts(conn: &mut DbConnection, id: &str) -> Result<Vec<PartRow>, ApiError> {
    Ok(resumable_upload_parts::table
        .filter(resumable_upload_parts::upload_id.eq(id))
        .order(resumable_upload_parts::start_offset)
        .select(PartRow::as_select())
        .load(conn)?)
}

/// Takes the complete upload for turning into a photo under `token`; `false` when it is not
/// complete, is done, or another node holds it (for less than `lease_seconds`).
pub fn claim_finish(
    conn: &mut DbConnection,
    id: &str,
    token: &str,
    now: NaiveDateTime,
    lease_seconds: i64,
) -> Result<bool, ApiError> {
    let stale = now - chrono::Duration::seconds(lease_seconds);
    let taken = diesel::update(
        resumable_uploads::table
            .find(id)
            .filter(resumable_uploads::received.eq(resumable_uploads::length))
            .filter(resumable_uploads::photo_id.is_null())
            .filter(
                resumable_uploads::finishing_since
                    .is_null()
                    .or(resumable_uploads::finishing_since.lt(stale)),
            ),
    )
    .set((
        resumable_uploads::finishing_since.eq(now),
        resumable_uploads::finishing_token.eq(token),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// The photo is made: the upload names it from now on, and its parts are gone. `false` when
/// the claim `token` lapsed and another node took over (the photo made here is then left
/// unattached, for the cleanup).
pub fn finish(
    conn: &mut DbConnection,
    id: &str,
    token: &str,
    photo_id: &str,
) -> Result<bool, ApiError> {
    conn.transaction(|conn| {
        let done = diesel::update(
            resumable_uploads::table
                .find(id)
                .filter(resumable_uploads::finishing_token.eq(token))
                .filter(resumable_uploads::photo_id.is_null()),
        )
        .set((
            resumable_uploads::photo_id.eq(photo_id),
            resumable_uploads::finishing_since.eq(None::<NaiveDateTime>),
            resumable_uploads::finishing_token.eq(None::<String>),
        ))
        .execute(conn)?;
        if done == 0 {
            return Ok(false);
        }
        diesel::delete(
            resumable_upload_parts::table.filter(resumable_upload_parts::upload_id.eq(id)),
        )
        .execute(conn)?;
        Ok(true)
    })
}

/// Lets another attempt finish it (the store was down), if the claim is still `token`'s.
pub fn release(conn: &mut DbConnection, id: &str, token: &str) -> Result<(), ApiError> {
    diesel::update(
        resumable_uploads::table
            .find(id)
            .filter(resumable_uploads::finishing_token.eq(token)),
    )
    .set((
        resumable_uploads::finishing_since.eq(None::<NaiveDateTime>),
        resumable_uploads::finishing_token.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Forgets the upload and its parts; returns the parts' object keys for the caller to remove.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<Vec<String>, ApiError> {
    conn.transaction(|conn| {
        let keys = resumable_upload_parts::table
            .filter(resumable_upload_parts::upload_id.eq(id))
            .select(resumable_upload_parts::object_key)
            .load(conn)?;
        diesel::delete(
            resumable_upload_parts::table.filter(resumable_upload_parts::upload_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(resumable_uploads::table.find(id)).execute(conn)?;
        Ok(keys)
    })
}

/// Uploads past their expiry, finished or not: what the cleanup removes.
pub fn expired(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<String>, ApiError> {
    Ok(resumable_uploads::table
        .filter(resumable_uploads::expires_at.lt(now))
        .select(resumable_uploads::id)
        .limit(1000)
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_base64_pairs() {
        let header = "purpose cmVjdGlmaWNhdGlvbg==, filename cGhvdG8uanBn,is_confidential";
        let pairs = parse_metadata(header).unwrap();
        assert_eq!(pairs["purpose"], "rectification");
        assert_eq!(pairs["filename"], "photo.jpg");
        assert_eq!(pairs["is_confidential"], "");
        assert!(parse_metadata("purpose !!!").is_err());
        assert!(parse_metadata("purpose c2l0ZQ==,purpose c2l0ZQ==").is_err());
        assert!(parse_metadata("").unwrap().is_empty());
    }

    #[test]
    fn the_declaration_names_the_metadata_key_at_fault() {
        let pairs =
            parse_metadata("purpose c2l0ZQ==,latitude MjUuOA==,longitude MTE1LjE=").unwrap();
        let (purpose, declared) = declaration(&pairs).unwrap();
        assert_eq!(purpose, "site");
        assert_eq!(declared.latitude, Some(25.8));
        let missing = declaration(&parse_metadata("filename eC5qcGc=").unwrap()).unwrap_err();
        assert!(
            missing.to_string().contains("Upload-Metadata.purpose"),
            "{missing}"
        );
        let far =
            declaration(&parse_metadata("purpose c2l0ZQ==,latitude OTE=,longitude MA==").unwrap())
                .unwrap_err();
        assert!(
            far.to_string().contains("Upload-Metadata.latitude"),
            "{far}"
        );
    }

    #[test]
    fn checksums_are_sha256_only() {
        let digest = STANDARD.encode([7u8; 32]);
        assert_eq!(
            parse_checksum(&format!("sha256 {digest}")).unwrap(),
            [7u8; 32]
        );
        assert_eq!(
            parse_checksum(&format!("SHA256 {digest}")).unwrap(),
            [7u8; 32]
        );
        assert!(parse_checksum(&format!("md5 {digest}")).is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
        assert!(parse_checksum("sha256").is_err());
    }
}
