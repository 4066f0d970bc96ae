//! The conditional PUT of every new object (photos and their thumbnails, resumable uploads'
//! parts, papers), signed with SigV4 by the SDK's own signer and sent on the connector the SDK
//! client shares.
//!
//! Why not `client.put_object()`: the SDK runs each operation through its orchestrator
//! (interceptors, endpoint rules, auth scheme resolution, config layers), measured at ~0.3 ms
//! of CPU a PUT; an upload makes two, and the whole upload's overhead beyond the photo's
//! decode is a few milliseconds. Everything else (GET, HEAD, DELETE, presigning) stays on
//! the client, where it is not hot.

use std::time::{Duration, SystemTime};

use actix_web::web::Bytes;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;

use super::store::StoreError;

/// How long one attempt may take before it counts as failed: a 20 MiB photo at under 1 MiB/s.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The pause before the one retry of a failed attempt (the client's own retries start at the
/// same 100 ms, with jitter).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Where and as whom objects are PUT. The credentials are the configuration's, fixed at start.
#[derive(Clone)]
pub struct ConditionalPut {
    pub connector: SharedHttpConnector,
    /// The endpoint with the bucket, path-style, without a trailing slash.
    pub bucket_url: String,
    pub region: String,
    pub identity: Identity,
}

/// What the store said to a PUT.
enum Answer {
    Stored,
    AlreadyThere,
    /// Worth one more try: the connection failed or timed out (perhaps after the store had the
    /// bytes), or the store is busy.
    Transient(String),
    Refused(String),
}

impl ConditionalPut {
    /// PUTs `bytes` at `key` unless the key is taken (`If-None-Match: *`; 412 means it is):
    /// `true` when this call stored them. When an attempt's answer is lost and the retry finds
    /// the key taken, that is `false` too: the caller then never removes an object that may
    /// be another upload's. `checksum` (base64 SHA-256) goes as
    /// `x-amz-checksum-sha256`, so the store itself refuses other bytes. The payload is not
    /// hashed to sign it (UNSIGNED-PAYLOAD, as a presigned PUT is).
    pub async fn put_new(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
        checksum: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            let sent = tokio::time::timeout(
                ATTEMPT_TIMEOUT,
                self.attempt(key, bytes.clone(), content_type, checksum),
            )
            .await
            .unwrap_or_else(|_| Answer::Transient(format!("PUT {key}: no answer in time")));
            match sent {
                Answer::Stored => return Ok(true),
                Answer::AlreadyThere => return Ok(false),
                Answer::Refused(why) => return Err(StoreError::Unavailable(why)),
                Answer::Transient(why) => last = why,
            }
        }
        Err(StoreError::Unavailable(last))
    }

    async fn attempt(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
        checksum: Option<&str>,
    ) -> Answer {
        let request = match self.signed_request(key, bytes, content_type, checksum) {
            Ok(request) => request,
            Err(why) => return Answer::Refused(why),
        };
        let response = match self.connector.call(request).await {
            Ok(response) => response,
            Err(error) => return Answer::Transient(format!("PUT {key}: {error}")),
        };
        let status = response.status().as_u16();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        match status {
            200..=299 => Answer::Stored,
            412 => Answer::AlreadyThere,
            _ => {
                let code = error_code(&body);
                let why = format!("PUT {key}: {status} {code}");
                // As the SDK's retry classifier: throttling, timeouts and the store's own
                // errors; and a conditional write that raced another (AWS asks for a retry).
                let transient = status >= 500
                    || matches!(status, 408 | 429)
                    || matches!(
                        code.as_str(),
                        "RequestTimeout" | "SlowDown" | "ConditionalRequestConflict"
                    );
                if transient {
                    Answer::Transient(why)
                } else {
                    Answer::Refused(why)
                }
            }
        }
    }

    fn signed_request(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
        checksum: Option<&str>,
    ) -> Result<HttpRequest, String> {
        // Keys are made by the server from digests, UUIDs, numbers and fixed words
        // (`store::original_key`, `resumable::part_key`): nothing in them needs
        // percent-encoding, in the URL or in the signature.
        let url = format!("{}/{key}", self.bucket_url);
        let mut headers = vec![
            ("content-type", content_type.to_owned()),
            ("content-length", bytes.len().to_string()),
            ("if-none-match", "*".to_owned()),
        ];
        if let Some(checksum) = checksum {
            headers.push(("x-amz-checksum-sha256", checksum.to_owned()));
        }
        // S3's flavour of SigV4: the path encoded once and never normalised, and the payload's
        // hash (here UNSIGNED-PAYLOAD) sent as x-amz-content-sha256.
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| format!("signing a PUT: {e}"))?
            .into();
        let signable = SignableRequest::new(
            "PUT",
            &url,
            headers.iter().map(|(name, value)| (*name, value.as_str())),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| format!("signing a PUT: {e}"))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| format!("signing a PUT: {e}"))?
            .into_parts();
        let mut request = http::Request::builder().method("PUT").uri(&url);
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let mut request = request
            .body(SdkBody::from(bytes))
            .map_err(|e| format!("PUT {key}: {e}"))?;
        instructions.apply_to_request_http1x(&mut request);
        HttpRequest::try_from(request).map_err(|e| format!("PUT {key}: {e}"))
    }
}

/// The `<Code>` of an S3 error document, or nothing.
fn error_code(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::error_code;

    #[test]
    fn the_code_of_an_s3_error_is_read_and_anything_else_is_nothing() {
        let body =
            b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>x</Message></Error>";
        assert_eq!(error_code(body), "SlowDown");
        assert_eq!(error_code(b"<html>bad gateway</html>"), "");
        assert_eq!(error_code(b""), "");
    }
}
