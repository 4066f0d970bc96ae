//! The bytes of a resumable upload: parts written to the photo store and recorded, the photo
//! made from them once across all nodes (claimed with a token), and the cleanup.

use actix_web::web::Bytes;

use futures_util::StreamExt;

use super::ingest;
use super::resumable::{self, ResumableRow};
use super::resumable_api::own_upload;
use super::spool::{Spooled, spool};
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::ApiError;

/// How long one node may hold a complete upload while it makes the photo.
const FINISH_LEASE_SECONDS: i64 = 120;

/// Writes a part's bytes `ahead` bytes past where the upload stands; returns (size, key).
pub async fn write_part(
    state: &AppState,
    row: &ResumableRow,
    ahead: i64,
    bytes: Bytes,
) -> Result<(i64, String), ApiError> {
    let key = resumable::part_key(&row.id, row.received + ahead);
    let size = bytes.len() as i64;
    state
        .store
        .put_new(&key, bytes, "application/octet-stream")
        .await?;
    Ok((size, key))
}

/// Records written parts at the upload's offset; 409 (and the objects removed) if another
/// PATCH moved the upload meanwhile.
pub async fn store_parts(
    state: &AppState,
    row: &mut ResumableRow,
    parts: Vec<(i64, String)>,
) -> Result<(), ApiError> {
    if parts.is_empty() {
        return Ok(());
    }
    let total: i64 = parts.iter().map(|(size, _)| size).sum();
    let (id, start, recorded_parts) = (row.id.clone(), row.received, parts.clone());
    let recorded = db::run(&state.pool, move |conn| {
        resumable::record_parts(conn, &id, start, &recorded_parts)
    })
    .await;
    match recorded {
        Ok(true) => {
            row.received += total;
            Ok(())
        }
        other => {
            remove_objects(state, parts.into_iter().map(|(_, key)| key)).await;
            other?;
            Err(ApiError::Conflict {
                code: "offset_mismatch",
                detail: "another request moved the upload meanwhile; HEAD it and resume".into(),
            })
        }
    }
}

/// The photo of a complete upload: made here, or by the node already at it (waited for). 503
/// while it is still being made after a while, so the client asks again rather than taking a
/// complete upload without its photo.
pub async fn photo_of_complete(
    state: &AppState,
    caller: &AuthUser,
    row: &ResumableRow,
) -> Result<String, ApiError> {
    if let Some(photo) = finish(state, caller, row).await? {
        return Ok(photo);
    }
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let id: uuid::Uuid = row.id.parse().map_err(ApiError::internal)?;
    while std::time::Instant::now() < give_up {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        let current = own_upload(state, caller, id).await?;
        if let Some(photo) = current.photo_id {
            return Ok(photo);
        }
        if current.finishing_since.is_none()
            && let Some(photo) = finish(state, caller, &current).await?
        {
            return Ok(photo);
        }
    }
    Err(ApiError::Unavailable(
        "the photo is still being made from this upload; ask again shortly".into(),
    ))
}

/// Turns a complete upload into a photo, once across all nodes: `None` if another node is at
/// it. The parts are joined (`join_parts`) and wait for the image semaphore as any upload does.
/// A photo refused by the checks ends the upload (its error is the answer).
async fn finish(
    state: &AppState,
    caller: &AuthUser,
    row: &ResumableRow,
) -> Result<Option<String>, ApiError> {
    let token = uuid::Uuid::new_v4().to_string();
    let (id, claim) = (row.id.clone(), token.clone());
    let now = db::now();
    let claimed = db::run(&state.pool, move |conn| {
        resumable::claim_finish(conn, &id, &claim, now, FINISH_LEASE_SECONDS)
    })
    .await?;
    if !claimed {
        return Ok(None);
    }
    let release = |token: String| {
        let id = row.id.clone();
        db::run(&state.pool, move |conn| {
            resumable::release(conn, &id, &token)
        })
    };
    let id = row.id.clone();
    let parts = db::run(&state.pool, move |conn| resumable::parts(conn, &id)).await?;
    let upload = match join_parts(state, row, &parts).await {
        Ok(upload) => upload,
        Err(error) => {
            release(token).await?;
            return Err(error);
        }
    };
    match ingest::ingest(state, caller.id, &row.purpose, row.declared(), upload).await {
        Ok(photo) => {
            let (id, photo_id, claim) = (row.id.clone(), photo.id.clone(), token.clone());
            let kept = db::run(&state.pool, move |conn| {
                resumable::finish(conn, &id, &claim, &photo_id)
            })
            .await?;
            if !kept {
                // Our claim lapsed and another node finished it: its photo is the one.
                return Ok(None);
            }
            remove_objects(state, parts.into_iter().map(|p| p.object_key)).await;
            Ok(Some(photo.id))
        }
        Err(ApiError::Unavailable(detail)) => {
            release(token).await?;
            Err(ApiError::Unavailable(detail))
        }
        Err(refused) => {
            let id = row.id.clone();
            let keys = db::run(&state.pool, move |conn| resumable::delete(conn, &id)).await?;
            remove_objects(state, keys.into_iter()).await;
            Err(refused)
        }
    }
}

/// The parts, in order, joined: in memory while the upload memory has room, else in an
/// anonymous temporary file.
async fn join_parts(
    state: &AppState,
    row: &ResumableRow,
    parts: &[resumable::PartRow],
) -> Result<Spooled, ApiError> {
    let mut expected_start = 0;
    let pieces = futures_util::stream::iter(parts).then(|part| {
        let gap = (part.start_offset != expected_start).then_some(expected_start);
        expected_start = part.start_offset + part.size;
        async move {
            if let Some(at) = gap {
                return Err(ApiError::internal(format!(
                    "upload {} has a gap at {at}",
                    row.id
                )));
            }
            let bytes = state.store.get(&part.object_key).await?;
            if bytes.len() as i64 != part.size {
                return Err(ApiError::internal(format!(
                    "upload {} has a part of {} bytes recorded as {} at {}",
                    row.id,
                    bytes.len(),
                    part.size,
                    part.start_offset
                )));
            }
            Ok(bytes)
        }
    });
    // No cap here: each part was held to the upload's length as it was written, and the
    // total is checked below.
    let joined = spool(
        Box::pin(pieces),
        usize::MAX,
        Some(row.length as usize),
        &state.upload_memory,
    )
    .await?;
    if joined.len() as i64 != row.length {
        return Err(ApiError::internal(format!(
            "upload {} joined {} of {} bytes",
            row.id,
            joined.len(),
            row.length
        )));
    }
    Ok(joined)
}

pub async fn remove_objects(state: &AppState, keys: impl Iterator<Item = String>) {
    for key in keys {
        if let Err(error) = state.store.delete(&key).await {
            tracing::warn!(%key, %error, "could not remove an upload part");
        }
    }
}

/// Removes uploads past their expiry and their parts; returns how many.
pub async fn collect_expired(state: &AppState) -> Result<usize, ApiError> {
    let now = db::now();
    let expired = db::run(&state.pool, move |conn| resumable::expired(conn, now)).await?;
    let count = expired.len();
    for id in expired {
        let keys = db::run(&state.pool, move |conn| resumable::delete(conn, &id)).await?;
        remove_objects(state, keys.into_iter()).await;
    }
    Ok(count)
}
