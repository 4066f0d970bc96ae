//! Cursor pagination: `limit` (1–200, default 50), an opaque `cursor`, and `next_cursor`.
//!
//! The cursor is the sort key of the last row served (time, id); the next page starts strictly
//! after it, so rows inserted meanwhile are neither repeated nor skipped.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A page as a JSON answer, written into a buffer sized for its `items` at `bytes_per_item`:
/// serde_json's own starts at 128 bytes and doubles, copying a 35 KB page of hazards over
/// again at each of nine steps.
pub fn json_page(page: &impl Serialize, items: usize, bytes_per_item: usize) -> HttpResponse {
    let mut body = Vec::with_capacity(256 + items * bytes_per_item);
    serde_json::to_writer(&mut body, page).expect("serialisable");
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: NaiveDateTime,
    pub id: String,
}

#[derive(Serialize, Deserialize)]
struct Encoded {
    /// Microseconds since the epoch.
    t: i64,
    i: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let encoded = Encoded {
            t: self.at.and_utc().timestamp_micros(),
            i: self.id.clone(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&encoded).expect("serialisable"))
    }

    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::validation("cursor", "is not a cursor this server issued");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let encoded: Encoded = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        // A cursor is the server's own (time, id) of a row: its time lies in the years rows
        // are made, and its id is plain text. Anything else was forged, and would reach SQL
        // (PostgreSQL refuses NUL in text and times before 4713 BC).
        let at = DateTime::from_timestamp_micros(encoded.t)
            .filter(|t| (1970..=9999).contains(&chrono::Datelike::year(t)))
            .ok_or_else(invalid)?
            .naive_utc();
        let plain_id =
            (1..=64).contains(&encoded.i.len()) && encoded.i.bytes().all(|b| b.is_ascii_graphic());
        if !plain_id {
            return Err(invalid());
        }
        Ok(Cursor { at, id: encoded.i })
    }
}

/// The page size asked for, checked.
pub fn limit(requested: Option<i64>) -> Result<i64, ApiError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// How far `server_time` lags the clock, so a change committed just after a sync read started
/// (with an earlier `updated_at`) is still picked up by the next sync.
pub const SYNC_OVERLAP_SECS: i64 = 5;

/// The `server_time` to hand back with a list, for the next `updated_since`.
pub fn server_time() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::seconds(SYNC_OVERLAP_SECS)
}

/// Splits a fetch of `limit + 1` rows into the page and the cursor for the next one.
pub fn finish<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if has_more {
        rows.last().map(|row| key(row).encode())
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_to_the_microsecond() {
        let at = DateTime::from_timestamp_micros(1_763_800_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = Cursor {
            at,
            id: "0193a1b2-0000-7000-8000-000000000001".into(),
        };
        let text = cursor.encode();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(Cursor::decode(&text).unwrap(), cursor);
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for text in [
            "",
            "%%%",
            "bm90IGpzb24",
            &URL_SAFE_NO_PAD.encode(br#"{"t":"x","i":"1"}"#),
            // Forged: a NUL in the id, a time before PostgreSQL's calendar, an empty id.
            &URL_SAFE_NO_PAD.encode(br#"{"t":1700000000000000,"i":"a\u0000b"}"#),
            &URL_SAFE_NO_PAD.encode(br#"{"t":-8000000000000000000,"i":"1"}"#),
            &URL_SAFE_NO_PAD.encode(br#"{"t":1700000000000000,"i":""}"#),
        ] {
            assert!(Cursor::decode(text).is_err(), "{text}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(200)).unwrap(), 200);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
    }

    #[test]
    fn finish_cuts_the_extra_row_into_a_cursor() {
        let at = DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        let key = |n: &i32| Cursor {
            at,
            id: n.to_string(),
        };
        let (page, next) = finish(vec![1, 2, 3], 2, key);
        assert_eq!(page, vec![1, 2]);
        assert_eq!(Cursor::decode(&next.unwrap()).unwrap().id, "2");
        let (page, next) = finish(vec![1, 2], 2, key);
        assert_eq!((page, next), (vec![1, 2], None));
    }
}
