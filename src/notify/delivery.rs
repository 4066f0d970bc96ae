//! Sending due deliveries: at least once, in no promised order. A delivery is claimed in the
//! database before it is sent (so two nodes never send it at once), carries the same
//! `webhook-id` on every attempt, and is retried on the configured schedule; `Retry-After` on
//! 429 and 503 is honoured, 410 disables the endpoint, and an endpoint failing for days is
//! disabled and says so. Robot endpoints get everything due folded into one message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::endpoints::{self, EndpointKind, EndpointRow};
use super::{robots, signing};
use crate::AppState;
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// Deliveries looked at per round; robots take all of theirs in one message.
const ROUND: i64 = 1000;

/// Standard deliveries claimed per round, and how many are in flight at once: a round takes at
/// most `STANDARD_PER_ROUND / IN_FLIGHT` timeouts, well inside the lease.
pub const STANDARD_PER_ROUND: usize = 64;
const IN_FLIGHT: usize = 16;

/// The longest `Retry-After` honoured; beyond it the schedule's own wait applies.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// An endpoint whose every delivery has failed for this long is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 3;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub response_excerpt: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    /// The claim the delivery is under now (`claim_due`).
    pub claim_token: Option<String>,
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status_code: Option<u16>,
    pub latency_ms: i32,
    pub excerpt: Option<String>,
    pub error: Option<String>,
    pub verdict: Verdict,
}

/// Whether to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again, not before this.
    Retry(Option<Duration>),
    /// 410: the receiver is gone for good.
    Gone,
}

/// Claims what is due now and sends it, writing each outcome as it comes; how many deliveries
/// were attempted.
pub async fn deliver_due(state: &AppState) -> Result<usize, ApiError> {
    use futures_util::StreamExt;
    let now = db::now();
    let waves = (STANDARD_PER_ROUND / IN_FLIGHT) as u32 + 1;
    let lease = state.config.webhook_timeout * waves + Duration::from_secs(30);
    let token = uuid::Uuid::now_v7().to_string();
    let claim = token.clone();
    let claimed = db::run(&state.pool, move |conn| claim_due(conn, now, lease, &claim)).await?;
    let client = awc::Client::builder()
        .timeout(state.config.webhook_timeout)
        .disable_redirects()
        .finish();
    // One send per standard delivery, one per robot for everything it has due.
    let mut sends = Vec::new();
    for (endpoint, deliveries) in claimed {
        match endpoint.kind() {
            EndpointKind::Standard => {
                for delivery in deliveries {
                    sends.push((endpoint.clone(), vec![delivery]));
                }
            }
            _ => sends.push((endpoint, deliveries)),
        }
    }
    let attempted = sends.iter().map(|(_, d)| d.len()).sum();
    let client = &client;
    let token = &token;
    let results = futures_util::stream::iter(sends)
        .map(|(endpoint, deliveries)| async move {
            let attempt = match endpoint.kind() {
                EndpointKind::Standard => {
                    send_standard(state, client, &endpoint, &deliveries[0]).await
                }
                _ => send_to_robot(state, client, &endpoint, &deliveries).await,
            };
            let schedule = state.config.webhook_retry_schedule.clone();
            let token = token.clone();
            db::run(&state.pool, move |conn| {
                conn.transaction(|conn| {
                    for delivery in &deliveries {
                        record(
                            conn,
                            &endpoint,
                            delivery,
                            &attempt,
                            &schedule,
                            &token,
                            db::now(),
                        )?;
                    }
                    Ok(())
                })
            })
            .await
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>()
        .await;
    for result in results {
        result?;
    }
    Ok(attempted)
}

/// Due deliveries of enabled endpoints, each claimed under `token` for `lease`, grouped by
/// endpoint; at most `STANDARD_PER_ROUND` of them for standard endpoints.
fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease: Duration,
    token: &str,
) -> Result<Vec<(EndpointRow, Vec<DeliveryRow>)>, ApiError> {
    use webhook_deliveries as d;
    use webhook_endpoints as e;
    let free = d::claimed_until.is_null().or(d::claimed_until.lt(now));
    let due: Vec<(DeliveryRow, EndpointRow)> = d::table
        .inner_join(e::table)
        .filter(e::disabled_at.is_null())
        .filter(d::status.eq("pending"))
        .filter(d::next_attempt_at.le(now))
        .filter(free)
        .order((d::next_attempt_at, d::id))
        .limit(ROUND)
        .select((DeliveryRow::as_select(), EndpointRow::as_select()))
        .load(conn)?;
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let mut by_endpoint: BTreeMap<String, (EndpointRow, Vec<DeliveryRow>)> = BTreeMap::new();
    let mut standard = 0;
    for (mut delivery, endpoint) in due {
        let is_standard = endpoint.kind() == EndpointKind::Standard;
        if is_standard && standard == STANDARD_PER_ROUND {
            continue;
        }
        let taken = diesel::update(
            d::table
                .find(&delivery.id)
                .filter(d::status.eq("pending"))
                .filter(d::claimed_until.is_null().or(d::claimed_until.lt(now))),
        )
        .set((d::claimed_until.eq(until), d::claim_token.eq(token)))
        .execute(conn)?;
        if taken == 1 {
            standard += usize::from(is_standard);
            delivery.claim_token = Some(token.to_owned());
            by_endpoint
                .entry(endpoint.id.clone())
                .or_insert_with(|| (endpoint, Vec::new()))
                .1
                .push(delivery);
        }
    }
    Ok(by_endpoint.into_values().collect())
}

/// Refuses a target that resolves to a private address now (DNS may have changed since the
/// endpoint was made).
async fn target_check(state: &AppState, url: &str) -> Result<(), String> {
    let (url, allow) = (url.to_owned(), state.config.webhook_allow_private);
    actix_web::web::block(move || endpoints::target_allowed(&url, allow))
        .await
        .map_err(|e| e.to_string())?
}

async fn send_standard(
    state: &AppState,
    client: &awc::Client,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
) -> Attempt {
    if let Err(why) = target_check(state, &endpoint.url).await {
        return failed_before_sending(why);
    }
    let timestamp = chrono::Utc::now().timestamp();
    let secrets = endpoint.signing_secrets(db::now());
    let signature =
        signing::standard_signature(&secrets, &delivery.event_id, timestamp, &delivery.body);
    let request = client
        .post(&endpoint.url)
        .insert_header(("webhook-id", delivery.event_id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .insert_header(("user-agent", "safeloop-webhooks/1"))
        .content_type("application/json");
    send(request, delivery.body.clone(), |_| true).await
}

async fn send_to_robot(
    state: &AppState,
    client: &awc::Client,
    endpoint: &EndpointRow,
    deliveries: &[DeliveryRow],
) -> Attempt {
    if let Err(why) = target_check(state, &endpoint.url).await {
        return failed_before_sending(why);
    }
    let now = db::now();
    let lines: Vec<String> = deliveries
        .iter()
        .map(|d| robots::line(&serde_json::from_str(&d.body).unwrap_or(Value::Null), now))
        .collect();
    let (title, text) = robots::message(&lines);
    let (url, body) = match endpoint.kind() {
        EndpointKind::Dingtalk => (
            robots::dingtalk_url(
                &endpoint.url,
                &endpoint.secret,
                chrono::Utc::now().timestamp_millis(),
            ),
            robots::dingtalk_body(&title, &text),
        ),
        _ => (endpoint.url.clone(), robots::wecom_body(&text)),
    };
    let request = client
        .post(url)
        .insert_header(("user-agent", "safeloop-webhooks/1"))
        .content_type("application/json");
    send(request, body, robots::accepted).await
}

fn failed_before_sending(why: String) -> Attempt {
    Attempt {
        status_code: None,
        latency_ms: 0,
        excerpt: None,
        error: Some(why),
        verdict: Verdict::Retry(None),
    }
}

/// Sends and classifies the answer; `accepted` reads a 2xx body (robots answer 200 with an
/// error code inside).
async fn send(request: awc::ClientRequest, body: String, accepted: fn(&str) -> bool) -> Attempt {
    let started = Instant::now();
    let answer = request.send_body(body).await;
    let latency_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let mut response = match answer {
        Ok(response) => response,
        Err(error) => {
            return Attempt {
                status_code: None,
                latency_ms,
                excerpt: None,
                error: Some(error.to_string()),
                verdict: Verdict::Retry(None),
            };
        }
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|seconds| Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    let bytes = response.body().limit(65_536).await.unwrap_or_default();
    let text: String = String::from_utf8_lossy(&bytes).chars().take(500).collect();
    let verdict = match status.as_u16() {
        200..=299 if accepted(&text) => Verdict::Delivered,
        200..=299 => Verdict::Retry(Some(Duration::from_secs(60))),
        410 => Verdict::Gone,
        429 | 503 => Verdict::Retry(retry_after),
        _ => Verdict::Retry(None),
    };
    Attempt {
        status_code: Some(status.as_u16()),
        latency_ms,
        excerpt: (!text.is_empty()).then_some(text),
        error: None,
        verdict,
    }
}

/// Writes an attempt's outcome and the endpoint's health.
/// Writes an attempt's outcome and the endpoint's health, only while the delivery is still
/// under `token`'s claim (a result that comes back after its lease lapsed is dropped).
pub fn record(
    conn: &mut DbConnection,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    attempt: &Attempt,
    schedule: &[Duration],
    token: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    use webhook_deliveries as d;
    let attempts = delivery.attempts + 1;
    let (status, next) = match attempt.verdict {
        Verdict::Delivered => ("delivered", delivery.next_attempt_at),
        Verdict::Gone => ("failed", delivery.next_attempt_at),
        Verdict::Retry(after) => match schedule.get(delivery.attempts.max(0) as usize) {
            Some(wait) => {
                let wait = after.map_or(*wait, |a| a.max(*wait));
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
                ("pending", now.checked_add_signed(wait).unwrap_or(now))
            }
            None => ("failed", delivery.next_attempt_at),
        },
    };
    let written = diesel::update(d::table.find(&delivery.id).filter(d::claim_token.eq(token)))
        .set((
            d::claim_token.eq(None::<String>),
            d::status.eq(status),
            d::attempts.eq(attempts),
            d::next_attempt_at.eq(next),
            d::claimed_until.eq(None::<NaiveDateTime>),
            d::last_attempt_at.eq(now),
            d::last_status_code.eq(attempt.status_code.map(i32::from)),
            d::last_latency_ms.eq(attempt.latency_ms),
            d::last_error.eq(&attempt.error),
            d::response_excerpt.eq(&attempt.excerpt),
            d::delivered_at.eq((status == "delivered").then_some(now)),
        ))
        .execute(conn)?;
    if written == 0 {
        tracing::warn!(delivery = %delivery.id, "an attempt outlived its claim; its outcome is dropped");
        return Ok(());
    }
    use webhook_endpoints as e;
    let endpoint_row = e::table.find(&endpoint.id);
    match attempt.verdict {
        Verdict::Delivered => {
            diesel::update(endpoint_row)
                .set(e::failing_since.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        }
        Verdict::Gone => {
            disable(conn, &endpoint.id, "the receiver answered 410 Gone", now)?;
        }
        Verdict::Retry(_) => {
            let since = endpoint.failing_since.unwrap_or(now);
            diesel::update(endpoint_row.filter(e::failing_since.is_null()))
                .set(e::failing_since.eq(now))
                .execute(conn)?;
            if now - since >= chrono::Duration::days(DISABLE_AFTER_DAYS) {
                let reason = format!(
                    "every delivery failed for {DISABLE_AFTER_DAYS} days (since {})",
                    since.and_utc().to_rfc3339()
                );
                disable(conn, &endpoint.id, &reason, now)?;
            }
        }
    }
    Ok(())
}

fn disable(
    conn: &mut DbConnection,
    endpoint_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    use webhook_endpoints as e;
    // The version moves, so a PATCH made from an older read cannot turn it back on unawares.
    diesel::update(e::table.find(endpoint_id).filter(e::disabled_at.is_null()))
        .set((
            e::disabled_at.eq(now),
            e::disabled_reason.eq(reason),
            e::version.eq(e::version + 1),
        ))
        .execute(conn)?;
    tracing::warn!(endpoint = endpoint_id, reason, "webhook endpoint disabled");
    Ok(())
}
