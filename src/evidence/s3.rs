//! The S3-compatible store (MinIO, Ceph RGW, Garage, AWS) through aws-sdk-s3, path-style.

use actix_web::web::Bytes;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::presigning::PresigningConfig;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpConnectorSettings, SharedHttpConnector, http_client_fn,
};

use super::s3_put::ConditionalPut;
use super::store::StoreError;
use crate::config::S3Settings;

/// How long connecting to the store may take: a store that does not answer at all must
/// answer 503 soon.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// What a direct upload declared, for its presigned PUT.
pub struct PutDeclaration<'a> {
    /// Hex, as declared and checked.
    pub sha256: &'a str,
    pub size: u64,
    pub content_type: &'a str,
}

#[derive(Clone)]
pub struct S3Store {
    client: Client,
    /// PUTs of new objects, on the client's own connections.
    put: ConditionalPut,
    bucket: String,
    redirect_downloads: bool,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket_url", &self.put.bucket_url)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

impl S3Store {
    pub fn new(settings: &S3Settings) -> Self {
        // The SDK's default connector (rustls with aws-lc), built here once so that the
        // client and the photo PUTs share its connections.
        let connector = SharedHttpConnector::new(
            Connector::builder()
                .connector_settings(
                    HttpConnectorSettings::builder()
                        .connect_timeout(CONNECT_TIMEOUT)
                        .build(),
                )
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .build(),
        );
        let credentials = Credentials::new(
            &settings.access_key_id,
            settings.secret_access_key(),
            None,
            None,
            "safeloop-config",
        );
        let for_client = connector.clone();
        let config = aws_sdk_s3::Config::builder()
            .http_client(http_client_fn(move |_, _| for_client.clone()))
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&settings.endpoint)
            .region(Region::new(settings.region.clone()))
            .credentials_provider(credentials.clone())
            .force_path_style(true)
            // The SDK's default CRC32 of every body and every download is work the store does
            // not need: uploads carry the SHA-256 already computed, and TLS guards the rest.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // A store that is down must answer 503 soon, not after the SDK's default three
            // attempts with one-second backoff: one quick retry for a passing fault. The
            // connector above holds the connect timeout, for a host that does not answer at
            // all (the client's own timeout settings do not reach a connector given this way).
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(std::time::Duration::from_millis(100)),
            )
            .build();
        S3Store {
            client: Client::from_conf(config),
            put: ConditionalPut {
                connector,
                bucket_url: format!(
                    "{}/{}",
                    settings.endpoint.trim_end_matches('/'),
                    settings.bucket
                ),
                region: settings.region.clone(),
                identity: credentials.into(),
            },
            bucket: settings.bucket.clone(),
            redirect_downloads: settings.redirect_downloads,
        }
    }

    /// A presigned GET for `key`, valid for `valid`, when downloads are redirected.
    pub async fn download_url(
        &self,
        key: &str,
        content_type: &str,
        valid: std::time::Duration,
    ) -> Result<Option<String>, StoreError> {
        if !self.redirect_downloads {
            return Ok(None);
        }
        let config = PresigningConfig::expires_in(valid).map_err(unavailable)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .response_cache_control("private, max-age=300")
            .presigned(config)
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(Some(request.uri().to_owned()))
    }

    /// One conditional PUT (`If-None-Match: *`): `false` when the key is taken, which with
    /// content-addressed keys means the same bytes are there. `sha256` (hex), the digest
    /// ingest already computed, is sent as `x-amz-checksum-sha256`, so the store itself
    /// refuses other bytes.
    pub async fn put_new(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
        sha256: Option<&str>,
    ) -> Result<bool, StoreError> {
        let checksum = sha256
            .map(|hex| hex::decode(hex).map(|digest| BASE64.encode(digest)))
            .transpose()
            .map_err(unavailable)?;
        self.put
            .put_new(key, bytes, content_type, checksum.as_deref())
            .await
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    StoreError::NotFound
                } else {
                    unavailable(aws_sdk_s3::error::DisplayErrorContext(e))
                }
            })?;
        let data = object.body.collect().await.map_err(unavailable)?;
        Ok(data.into_bytes())
    }

    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(unavailable(aws_sdk_s3::error::DisplayErrorContext(e))),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    /// A presigned PUT of exactly `size` bytes of `content_type` to `key`, valid for `valid`:
    /// the URL and the headers the client must send with it. The declared SHA-256 is signed
    /// as `x-amz-checksum-sha256`, so the store itself refuses any other bytes.
    pub async fn presign_put(
        &self,
        key: &str,
        declared: &PutDeclaration<'_>,
        valid: std::time::Duration,
    ) -> Result<(String, Vec<(String, String)>), StoreError> {
        let config = PresigningConfig::expires_in(valid).map_err(unavailable)?;
        let digest = hex::decode(declared.sha256).map_err(unavailable)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(declared.content_type)
            .content_length(declared.size as i64)
            .checksum_sha256(BASE64.encode(digest))
            .presigned(config)
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let headers = request
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Ok((request.uri().to_owned(), headers))
    }

    pub async fn check(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}
