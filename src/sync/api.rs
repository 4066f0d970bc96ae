//! `GET /api/v1/sync`, `POST /api/v1/sync/write-checkpoint`, `GET /api/v1/sync/pack`: what an
//! offline phone needs to hold the server's view and to know when its own writes are in it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::checkpoint::Checkpoint;
use super::feed::{self, Change};
use super::{log, pack};
use crate::AppState;
use crate::auth::AuthUser;
use crate::auth::scope::Scope;
use crate::db;
use crate::error::ApiError;
use crate::extract::Json;

const DEFAULT_LIMIT: i64 = 500;
const MAX_LIMIT: i64 = 2000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// The `checkpoint` of the last answer; absent for everything from the start.
    pub checkpoint: Option<String>,
    /// How many log rows to read, 1-2000 (default 500); a page may carry fewer changes, and
    /// a `task` after each hazard.
    #[param(minimum = 1, maximum = 2000)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncPage {
    /// Oldest first; apply in order.
    pub changes: Vec<Change>,
    /// Send it back for the next page; keep it once `has_more` is false.
    pub checkpoint: String,
    /// Read again while true (after `Retry-After` seconds when it is sent, as when the page is
    /// empty because an older transaction is still open); false means the app now holds the
    /// server's view.
    pub has_more: bool,
}

/// The changes the caller may see since `checkpoint`, oldest first: a `put` carries the
/// entity as its GET answers it, a `remove` names one that left the caller's view (deleted,
/// moved out of their region, their own scope changed). Read until `has_more` is false:
/// nothing is missed, even a change whose transaction commits late, and nothing comes twice in
/// one pass. A checkpoint the server can no longer serve answers 410 `must_refetch`: drop the
/// local copy and start again without one.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    responses(
        (status = 200, body = SyncPage),
        (status = 410, description = "`must_refetch`: start again without a checkpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/sync")]
pub async fn sync_feed(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
    };
    let secret = state.config.token_secret_bytes().to_vec();
    let me = caller.id.to_string();
    let checkpoint = match &query.checkpoint {
        Some(text) => Checkpoint::open(text, &secret, &me)?,
        None => Checkpoint::start(&me, caller.role, Scope::of(&caller)),
    };
    let now = db::now();
    let page = db::run(&state.pool, move |conn| {
        feed::page(conn, &caller, checkpoint, limit, now)
    })
    .await?;
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if page.has_more && page.changes.is_empty() {
        // Held behind an older transaction still open: come back in a moment, not at once.
        response.insert_header((header::RETRY_AFTER, "1"));
    }
    Ok(response.json(SyncPage {
        changes: page.changes,
        checkpoint: page.checkpoint.seal(&secret),
        has_more: page.has_more,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteCheckpointRequest {
    /// The app's current checkpoint; without one nothing counts as received yet.
    pub checkpoint: Option<String>,
    /// Ids the app made for what it created offline (hazards, inspections …).
    #[serde(default)]
    pub ids: Vec<uuid::Uuid>,
    /// `Idempotency-Key`s of the requests it sent.
    #[serde(default)]
    pub idempotency_keys: Vec<String>,
}

/// Where one write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteState {
    /// Its result is in the feed up to the checkpoint sent: the local copy can go.
    Visible,
    /// Done on the server, not yet read from the feed: sync, then ask again.
    Pending,
    /// Still running on the server (an `Idempotency-Key` whose first request has not ended).
    Running,
    /// The server refused it (`status` says how); the app should show why.
    Refused,
    /// Never seen (or forgotten after 24 hours): send it again.
    Unknown,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteStatus {
    pub id: Option<uuid::Uuid>,
    pub idempotency_key: Option<String>,
    pub state: WriteState,
    /// The HTTP status of a request sent with an `Idempotency-Key`.
    pub status: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteCheckpoint {
    /// True when nothing is pending, running or unknown.
    pub settled: bool,
    pub writes: Vec<WriteStatus>,
}

/// Whether the app's offline writes (by the ids it made, or by the `Idempotency-Key`s it
/// sent) are in the feed it has read up to `checkpoint`, so it knows which local copies it
/// may drop.
#[utoipa::path(
    tag = "sync",
    request_body = WriteCheckpointRequest,
    responses((status = 200, body = WriteCheckpoint)),
    security(("bearer" = []))
)]
#[post("/sync/write-checkpoint")]
pub async fn write_checkpoint(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: Json<WriteCheckpointRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let me = caller.id.to_string();
    let secret = state.config.token_secret_bytes().to_vec();
    let received = match &body.checkpoint {
        Some(text) => {
            let checkpoint = Checkpoint::open(text, &secret, &me)?;
            // Mid-walk after a scope change, the rows read so far are being re-read.
            checkpoint.rescan.is_none().then_some(checkpoint.cursor)
        }
        None => None,
    };
    for (i, key) in body.idempotency_keys.iter().enumerate() {
        if !crate::idempotency_key::is_well_formed(key) {
            return Err(ApiError::validation(
                format!("idempotency_keys[{i}]"),
                "is not an Idempotency-Key (1-255 visible ASCII characters)",
            ));
        }
    }
    let writes = db::run(&state.pool, move |conn| {
        let caller = caller;
        let mut writes = Vec::new();
        let mut by_id: Vec<(Option<(String, i32)>, uuid::Uuid)> =
            body.ids.iter().map(|id| (None, *id)).collect();
        for key in &body.idempotency_keys {
            let outcome = crate::idempotency_key::outcome(conn, &me, key)?;
            let entry = |state, status| WriteStatus {
                id: None,
                idempotency_key: Some(key.to_string()),
                state,
                status,
            };
            match outcome {
                None => writes.push(entry(WriteState::Unknown, None)),
                Some((None, _)) => writes.push(entry(WriteState::Running, None)),
                Some((Some(status), _)) if status >= 400 => {
                    writes.push(entry(WriteState::Refused, Some(status)))
                }
                Some((Some(status), body)) => {
                    let id = body
                        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
                        .and_then(|v| v["id"].as_str().and_then(|s| s.parse().ok()));
                    match id {
                        Some(id) => by_id.push((Some((key.clone(), status)), id)),
                        None => writes.push(entry(WriteState::Visible, Some(status))),
                    }
                }
            }
        }
        let ids: Vec<String> = by_id.iter().map(|(_, id)| id.to_string()).collect();
        let scope = Scope::of(&caller);
        let latest = log::latest_keys(conn, &ids, || feed::relevant(&scope, &me))?;
        for (key, id) in by_id {
            let state = match (latest.get(&id.to_string()), received) {
                (None, _) => WriteState::Unknown,
                (Some(at), Some(received)) if *at <= received => WriteState::Visible,
                (Some(_), _) => WriteState::Pending,
            };
            let (idempotency_key, status) = key.unzip();
            writes.push(WriteStatus {
                id: Some(id),
                idempotency_key,
                state,
                status,
            });
        }
        Ok::<_, ApiError>(writes)
    })
    .await?;
    let settled = writes
        .iter()
        .all(|w| matches!(w.state, WriteState::Visible | WriteState::Refused));
    Ok(HttpResponse::Ok().json(WriteCheckpoint { settled, writes }))
}

/// The catalogs for working offline, in one answer: sectors, the regions of the caller's scope
/// (with those above them), every checklist with its items and legal basis. Compressed when
/// the app accepts it; send the `ETag` back in `If-None-Match` for a 304 when nothing changed.
#[utoipa::path(
    tag = "sync",
    responses(
        (status = 200, body = pack::OfflinePack),
        (status = 304, description = "unchanged since the `ETag` sent"),
    ),
    security(("bearer" = []))
)]
#[get("/sync/pack")]
pub async fn offline_pack(
    state: web::Data<AppState>,
    caller: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let scope = Scope::of(&caller);
    let pack = db::run(&state.pool, move |conn| pack::build(conn, &scope)).await?;
    let body = serde_json::to_vec(&pack).map_err(ApiError::internal)?;
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        // Weak comparison (RFC 9110): a proxy that compresses may have made the tag weak.
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .content_type("application/json")
        .body(body))
}
