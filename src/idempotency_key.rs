//! The `Idempotency-Key` header on any POST: the first answer is stored for 24 hours and a
//! retry with the same key and body gets it again, byte for byte, with its `ETag` and
//! `Location`; the same key with another body answers 422 (as the IETF Idempotency-Key draft
//! says), and a retry while the first is still running 409. Keys belong to the signed-in caller; requests without a valid token pass
//! through (the handler answers them).

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};
use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::db::schema::idempotency_keys;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");
/// How long a key is remembered.
pub const RETENTION_HOURS: i64 = 24;

enum Claim {
    /// First use: run the request and store its answer.
    Fresh,
    /// Seen before: answer what was answered then.
    Replay {
        status: i32,
        content_type: Option<String>,
        body: String,
        /// `Name: value` lines of the headers kept (`KEPT_HEADERS`).
        headers: Option<String>,
    },
}

/// The headers of the first answer that a replay repeats.
const KEPT_HEADERS: [HeaderName; 2] = [header::ETAG, header::LOCATION];

fn claim(conn: &mut DbConnection, user_id: &str, key: &str, hash: &str) -> Result<Claim, ApiError> {
    let now = db::now();
    // Forget what is past retention, then claim the key with a pending row.
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::idem_key.eq(key))
            .filter(idempotency_keys::created_at.lt(now - Duration::hours(RETENTION_HOURS))),
    )
    .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(Claim::Fresh),
        Err(e) if crate::idempotency::is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let (stored_hash, status, content_type, body, headers): (
        String,
        Option<i32>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = idempotency_keys::table
        .find((user_id, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::content_type,
            idempotency_keys::response_body,
            idempotency_keys::response_headers,
        ))
        .first(conn)?;
    if stored_hash != hash {
        return Err(ApiError::RuleBroken {
            code: "idempotency_key_reused",
            field: "Idempotency-Key".into(),
            detail: "this Idempotency-Key was used for a different request; make a new key".into(),
        });
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status,
            content_type,
            body,
            headers,
        }),
        _ => Err(ApiError::Conflict {
            code: "idempotency_key_in_progress",
            detail: "the first request with this Idempotency-Key is still running; retry shortly"
                .into(),
        }),
    }
}

/// The first answer, as stored for replays.
struct Answer {
    status: i32,
    content_type: Option<String>,
    body: String,
    headers: Option<String>,
}

fn finish(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    answer: Option<Answer>,
) -> Result<(), ApiError> {
    let row = idempotency_keys::table.find((user_id, key));
    match answer {
        Some(answer) => diesel::update(row)
            .set((
                idempotency_keys::status.eq(answer.status),
                idempotency_keys::content_type.eq(answer.content_type),
                idempotency_keys::response_body.eq(answer.body),
                idempotency_keys::response_headers.eq(answer.headers),
            ))
            .execute(conn)?,
        // A failure of ours is not an answer to remember: let the retry run again.
        None => diesel::delete(row).execute(conn)?,
    };
    Ok(())
}

fn caller_of(req: &ServiceRequest, state: &AppState) -> Option<String> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()
        .and_then(crate::auth::bearer_token)?;
    state
        .tokens
        .verify(token.trim())
        .ok()
        .map(|claims| claims.sub)
}

fn valid_key(value: &HeaderValue) -> Option<String> {
    let key = value.to_str().ok()?;
    is_well_formed(key).then(|| key.to_owned())
}

/// 1-255 visible ASCII characters.
pub fn is_well_formed(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let header_value = req.headers().get(IDEMPOTENCY_KEY).cloned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(header_value), Some(state), true) =
        (header_value, state, req.method() == Method::POST)
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // Without a valid token the handler answers 401 before any key matters.
    let Some(user_id) = caller_of(&req, &state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(key) = valid_key(&header_value) else {
        let error = ApiError::BadRequest {
            code: "invalid_idempotency_key",
            detail: "Idempotency-Key must be 1-255 visible ASCII characters".into(),
        };
        return Ok(req.into_response(error.error_response()));
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(error) => return Ok(req.into_response(error.error_response())),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&body);
    let hash = hex::encode(hasher.finalize());

    let (user, k, h) = (user_id.clone(), key.clone(), hash);
    let claimed = db::run(&state.pool, move |conn| claim(conn, &user, &k, &h)).await;
    match claimed {
        Err(error) => return Ok(req.into_response(error.error_response())),
        Ok(Claim::Replay {
            status,
            content_type,
            body,
            headers,
        }) => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            let mut response = HttpResponse::build(status);
            if let Some(content_type) = content_type {
                response.insert_header((header::CONTENT_TYPE, content_type));
            }
            for line in headers.as_deref().unwrap_or_default().lines() {
                if let Some((name, value)) = line.split_once(": ") {
                    response.insert_header((name, value));
                }
            }
            response.insert_header((REPLAYED, "true"));
            return Ok(req.into_response(response.body(body)));
        }
        Ok(Claim::Fresh) => {}
    }

    req.set_payload(body.into());
    let response = next.call(req).await?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let kept: Vec<String> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = response.headers().get(name)?.to_str().ok()?;
            Some(format!("{name}: {value}"))
        })
        .collect();
    let (http_request, response) = response.map_into_boxed_body().into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let answer = match (status.is_server_error(), String::from_utf8(bytes.to_vec())) {
        (false, Ok(body)) => Some(Answer {
            status: status.as_u16() as i32,
            content_type,
            body,
            headers: (!kept.is_empty()).then(|| kept.join("\n")),
        }),
        _ => None,
    };
    if let Err(error) = db::run(&state.pool, move |conn| {
        finish(conn, &user_id, &key, answer)
    })
    .await
    {
        tracing::error!(%error, "could not record an idempotency key's answer");
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_request, response))
}

/// A stored answer: its status (`None` while the first request still runs) and body.
pub type Outcome = (Option<i32>, Option<String>);

/// What became of the caller's request under `key`: `None` if the server never saw it (or
/// forgot it after `RETENTION_HOURS`).
pub fn outcome(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> Result<Option<Outcome>, ApiError> {
    Ok(idempotency_keys::table
        .find((user_id, key))
        .select((idempotency_keys::status, idempotency_keys::response_body))
        .first(conn)
        .optional()?)
}
