//! The upload pipeline: inspect -> store original and thumbnail -> record. If recording fails,
//! the objects this upload wrote are removed again, unless another photo shares them.

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};

use super::inspect::{self, InspectError};
use super::model::{self, PhotoRow};
use super::spool::Spooled;
use super::store;
use crate::AppState;
use crate::db;
use crate::error::ApiError;
use crate::ids::UserId;

/// What the phone says about a photo, kept beside what the photo says about itself.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub captured_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

pub const PURPOSES: [&str; 4] = ["site", "hazard", "rectification", "verification"];

/// Reads one of the phone's declared values (`captured_at`, `latitude`, `longitude`) from its
/// text, as a form field or tus metadata carries it; `Ok(false)` for any other name.
pub fn declare(declared: &mut Declared, name: &str, value: &str) -> Result<bool, ApiError> {
    match name {
        "captured_at" => {
            declared.captured_at = Some(
                DateTime::parse_from_rfc3339(value.trim())
                    .map_err(|_| ApiError::validation("captured_at", "must be an RFC 3339 time"))?
                    .with_timezone(&Utc),
            );
        }
        "latitude" | "longitude" => {
            let number: f64 = value
                .trim()
                .parse()
                .map_err(|_| ApiError::validation(name, "must be a number"))?;
            let bound = if name == "latitude" { 90.0 } else { 180.0 };
            if !(-bound..=bound).contains(&number) {
                return Err(ApiError::validation(
                    name,
                    format!("must be within ±{bound}"),
                ));
            }
            if name == "latitude" {
                declared.latitude = Some(number);
            } else {
                declared.longitude = Some(number);
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The purpose (required, one of `PURPOSES`) with the declared values: both coordinates or
/// neither.
pub fn check_declaration(purpose: Option<&str>, declared: &Declared) -> Result<String, ApiError> {
    let purpose = purpose.ok_or_else(|| ApiError::validation("purpose", "is required"))?;
    if !PURPOSES.contains(&purpose) {
        return Err(ApiError::validation(
            "purpose",
            "must be site, hazard, rectification or verification",
        ));
    }
    if declared.latitude.is_some() != declared.longitude.is_some() {
        return Err(ApiError::validation(
            "latitude",
            "give both latitude and longitude, or neither",
        ));
    }
    Ok(purpose.to_owned())
}

/// What a photo shows, as the document names the `purpose` values (`PURPOSES` in order).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PhotoPurpose {
    /// The site, on an inspection.
    Site,
    /// A hazard, when it is reported.
    Hazard,
    /// Proof of rectification, from the enterprise.
    Rectification,
    /// The re-check, by the inspector.
    Verification,
}

impl From<InspectError> for ApiError {
    fn from(error: InspectError) -> Self {
        match error {
            InspectError::Unsupported(message) => ApiError::UnsupportedMediaType(message),
            InspectError::TooManyPixels { .. } => ApiError::PayloadTooLarge(error.to_string()),
            InspectError::Corrupt(_) => ApiError::validation("file", error.to_string()),
        }
    }
}

/// Inspects, stores and records one photo. An upload spooled to a file is read into memory
/// only once it has its turn at the image semaphore, so memory follows the cores, not the
/// queue; one held in memory keeps its share of the upload memory until it is stored.
pub async fn ingest(
    state: &AppState,
    uploader: UserId,
    purpose: &str,
    declared: Declared,
    upload: Spooled,
) -> Result<PhotoRow, ApiError> {
    let budget = state.config.photo_max_pixels;
    let (bytes, _memory_share, inspected) = {
        let _permit = state.image_permit().await;
        let (bytes, share) = upload.into_bytes().await?;
        let input = bytes.clone();
        let inspected = actix_web::web::block(move || inspect::inspect(&input, budget))
            .await
            .map_err(ApiError::internal)??;
        (bytes, share, inspected)
    };
    let original_key = store::original_key(&inspected.sha256);
    let thumbnail_key = store::thumbnail_key(&inspected.sha256);
    let mut guard = WrittenObjects {
        state: state.clone(),
        sha256: inspected.sha256.clone(),
        keys: Vec::new(),
    };
    if state
        .store
        .put_new_checked(
            &original_key,
            bytes.clone(),
            inspected.content_type,
            Some(&inspected.sha256),
        )
        .await?
    {
        guard.keys.push(original_key.clone());
    }
    if state
        .store
        .put_new(
            &thumbnail_key,
            Bytes::from(inspected.thumbnail),
            "image/jpeg",
        )
        .await?
    {
        guard.keys.push(thumbnail_key.clone());
    }
    let row = PhotoRow {
        id: uuid::Uuid::now_v7().to_string(),
        sha256: inspected.sha256,
        storage_key: original_key,
        thumbnail_key,
        content_type: inspected.content_type.to_owned(),
        size: bytes.len() as i64,
        width: inspected.width as i32,
        height: inspected.height as i32,
        purpose: purpose.to_owned(),
        exif_captured_at: inspected.exif.captured_at,
        exif_latitude: inspected.exif.latitude,
        exif_longitude: inspected.exif.longitude,
        exif_orientation: inspected.exif.orientation.map(|o| o as i32),
        camera_make: inspected.exif.camera_make,
        camera_model: inspected.exif.camera_model,
        declared_captured_at: declared.captured_at.map(db::stored_time),
        declared_latitude: declared.latitude,
        declared_longitude: declared.longitude,
        uploaded_by: uploader.to_string(),
        uploaded_at: db::now(),
        attached_at: None,
    };
    let stored = row.clone();
    db::run(&state.pool, move |conn| model::insert(conn, &stored)).await?;
    guard.keys.clear();
    Ok(row)
}

/// Objects written by an upload that has not been recorded yet; removed if it never is
/// (and no other photo came to use them meanwhile).
struct WrittenObjects {
    state: AppState,
    sha256: String,
    keys: Vec<String>,
}

impl Drop for WrittenObjects {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let state = self.state.clone();
        let sha = self.sha256.clone();
        let keys = std::mem::take(&mut self.keys);
        actix_web::rt::spawn(async move {
            let in_use = db::run(&state.pool, move |conn| model::hash_in_use(conn, &sha)).await;
            if !matches!(in_use, Ok(false)) {
                return;
            }
            for key in keys {
                if let Err(error) = state.store.delete(&key).await {
                    tracing::warn!(%key, %error, "could not remove the object of a failed upload");
                }
            }
        });
    }
}

/// Removes photos never attached within 24 hours (and direct-upload slots abandoned as long),
/// and their objects when no other photo uses
/// them. Returns how many photos went.
pub async fn collect_garbage(state: &AppState) -> Result<usize, ApiError> {
    let cutoff = db::now() - chrono::Duration::hours(24);
    let stale = db::run(&state.pool, move |conn| {
        model::unattached_before(conn, cutoff)
    })
    .await?;
    let mut removed = 0;
    for photo in stale {
        let (id, sha) = (photo.id.clone(), photo.sha256.clone());
        let orphaned = db::run(&state.pool, move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                if !model::delete_unattached(conn, &id)? {
                    return Ok(None);
                }
                Ok(Some(!model::hash_in_use(conn, &sha)?))
            })
        })
        .await?;
        match orphaned {
            None => continue,
            Some(true) => {
                state.store.delete(&photo.storage_key).await?;
                state.store.delete(&photo.thumbnail_key).await?;
            }
            Some(false) => {}
        }
        removed += 1;
    }
    // Direct-upload slots whose URL expired, completed or abandoned: their staged bytes (a
    // PUT after completion stages them again) and the slot.
    let abandoned = db::run(&state.pool, move |conn| {
        super::upload::expired_before(conn, cutoff)
    })
    .await?;
    for slot in abandoned {
        state.store.delete(&slot.staging_key).await?;
        db::run(&state.pool, move |conn| {
            super::upload::delete(conn, &slot.id)
        })
        .await?;
    }
    // Resumable uploads past their expiry, and their parts.
    super::resumable_parts::collect_expired(state).await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::{PURPOSES, PhotoPurpose};

    #[test]
    fn the_documented_purposes_are_the_accepted_ones() {
        for purpose in PURPOSES {
            let parsed: PhotoPurpose = serde_json::from_value(serde_json::json!(purpose)).unwrap();
            assert_eq!(serde_json::to_value(parsed).unwrap(), purpose);
        }
        assert!(serde_json::from_value::<PhotoPurpose>(serde_json::json!("selfie")).is_err());
    }
}
