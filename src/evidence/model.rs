//! Photo rows, who may see them, and their links to hazards.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::schema::{hazard_photos, photos};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = photos)]
pub struct PhotoRow {
    pub id: String,
    pub sha256: String,
    pub storage_key: String,
    pub thumbnail_key: String,
    pub content_type: String,
    pub size: i64,
    pub width: i32,
    pub height: i32,
    pub purpose: String,
    pub exif_captured_at: Option<NaiveDateTime>,
    pub exif_latitude: Option<f64>,
    pub exif_longitude: Option<f64>,
    pub exif_orientation: Option<i32>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub declared_captured_at: Option<NaiveDateTime>,
    pub declared_latitude: Option<f64>,
    pub declared_longitude: Option<f64>,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    pub attached_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &PhotoRow) -> Result<(), ApiError> {
    conn.transaction(|conn| {
        diesel::insert_into(photos::table)
            .values(row)
            .execute(conn)?;
        touch_photo(conn, &row.id, &row.uploaded_by)
    })?;
    Ok(())
}

/// The uploader's feed: a photo not yet attached is theirs alone; attached or collected, it
/// leaves it (attached ones travel inside their hazard).
fn touch_photo(
    conn: &mut DbConnection,
    id: &str,
    uploader: &str,
) -> Result<(), diesel::result::Error> {
    use crate::sync::log::{self, Entity, Facts};
    log::touch(conn, Entity::Photo, id, &Facts::owned_by(uploader))
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<PhotoRow>, ApiError> {
    Ok(photos::table
        .find(id)
        .select(PhotoRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether another row still uses the object with this hash (objects are shared by hash).
pub fn hash_in_use(conn: &mut DbConnection, sha256: &str) -> Result<bool, ApiError> {
    let count: i64 = photos::table
        .filter(photos::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// The photo if the caller may see it: its uploader, an admin, or anyone who may see a hazard
/// it is attached to. Otherwise 404.
pub fn find_visible(
    conn: &mut DbConnection,
    caller: &AuthUser,
    id: &str,
) -> Result<PhotoRow, ApiError> {
    let photo = find(conn, id)?.ok_or(ApiError::NotFound("photo"))?;
    if caller.role == Role::Admin || photo.uploaded_by == caller.id.to_string() {
        return Ok(photo);
    }
    let scope = Scope::of(caller);
    let hazard_ids: Vec<String> = hazard_photos::table
        .filter(hazard_photos::photo_id.eq(id))
        .select(hazard_photos::hazard_id)
        .load(conn)?;
    for hazard_id in hazard_ids {
        if crate::hazard::model::find_in_scope(conn, &scope, &hazard_id).is_ok() {
            return Ok(photo);
        }
    }
    Err(ApiError::NotFound("photo"))
}

/// Attaches photos to a hazard: each must be the caller's own upload with one of `purposes`.
/// Attached photos are evidence from then on. Call inside the hazard's transaction.
pub fn attach(
    conn: &mut DbConnection,
    caller: &AuthUser,
    hazard_id: &str,
    photo_ids: &[String],
    purposes: &[&str],
    field: &str,
) -> Result<(), ApiError> {
    let now = db::now();
    for (i, photo_id) in photo_ids.iter().enumerate() {
        let photo = find(conn, photo_id)?
            .filter(|p| p.uploaded_by == caller.id.to_string())
            .ok_or_else(|| {
                ApiError::validation(format!("{field}[{i}]"), "is not a photo you uploaded")
            })?;
        if !purposes.contains(&photo.purpose.as_str()) {
            return Err(ApiError::validation(
                format!("{field}[{i}]"),
                format!(
                    "was uploaded as `{}`; this needs {}",
                    photo.purpose,
                    purposes.join(" or ")
                ),
            ));
        }
        diesel::insert_into(hazard_photos::table)
            .values((
                hazard_photos::hazard_id.eq(hazard_id),
                hazard_photos::photo_id.eq(photo_id),
            ))
            .execute(conn)?;
        diesel::update(
            photos::table
                .find(photo_id)
                .filter(photos::attached_at.is_null()),
        )
        .set(photos::attached_at.eq(now))
        .execute(conn)?;
        touch_photo(conn, photo_id, &photo.uploaded_by)?;
    }
    Ok(())
}

/// The photos attached to a hazard, oldest first.
pub fn of_hazard(conn: &mut DbConnection, hazard_id: &str) -> Result<Vec<PhotoRow>, ApiError> {
    Ok(photos::table
        .inner_join(hazard_photos::table)
        .filter(hazard_photos::hazard_id.eq(hazard_id))
        .order((photos::uploaded_at, photos::id))
        .select(PhotoRow::as_select())
        .load(conn)?)
}

/// Photos never attached and uploaded before `cutoff`: what the cleanup removes.
pub fn unattached_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> Result<Vec<PhotoRow>, ApiError> {
    Ok(photos::table
        .filter(photos::attached_at.is_null())
        .filter(photos::uploaded_at.lt(cutoff))
        .select(PhotoRow::as_select())
        .limit(1000)
        .load(conn)?)
}

/// Deletes an unattached photo row; `false` if it was attached meanwhile.
pub fn delete_unattached(conn: &mut DbConnection, id: &str) -> Result<bool, ApiError> {
    let deleted = conn.transaction(|conn| {
        let uploader: Option<String> = photos::table
            .find(id)
            .filter(photos::attached_at.is_null())
            .select(photos::uploaded_by)
            .first(conn)
            .optional()?;
        let deleted = diesel::delete(photos::table.find(id).filter(photos::attached_at.is_null()))
            .execute(conn)?;
        if let (Some(uploader), 1) = (uploader, deleted) {
            touch_photo(conn, id, &uploader)?;
        }
        Ok::<_, diesel::result::Error>(deleted)
    })?;
    Ok(deleted > 0)
}
