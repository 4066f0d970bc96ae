//! Where photo bytes live: a local directory (the embedded default) or any S3-compatible store.
//! Keys are made by the server from content hashes; an existing object is never overwritten.

use actix_web::web::Bytes;

use super::local::LocalStore;
use super::s3::S3Store;
use crate::config::Config;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such object")]
    NotFound,
    /// The store could not be reached or refused; the cause is logged, not shown.
    #[error("object store: {0}")]
    Unavailable(String),
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound("photo content"),
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "object store unavailable");
                ApiError::Unavailable("the photo store is unavailable; try again shortly".into())
            }
        }
    }
}

/// The configured backend. An enum rather than a trait object: there are exactly two, and
/// matching on them keeps the async methods plain.
#[derive(Clone)]
pub enum Store {
    Local(LocalStore),
    S3(S3Store),
}

/// How long a presigned download stays valid.
pub const DOWNLOAD_URL_SECONDS: u64 = 300;

/// The key of an original: `originals/ab/cd/<sha256>`, sharded so no directory grows huge.
pub fn original_key(sha256: &str) -> String {
    format!("originals/{}/{}/{sha256}", &sha256[..2], &sha256[2..4])
}

/// The key of a thumbnail, beside its original's.
pub fn thumbnail_key(sha256: &str) -> String {
    format!("thumbnails/{}/{}/{sha256}.jpg", &sha256[..2], &sha256[2..4])
}

impl Store {
    /// The store named by configuration: S3 when `S3_ENDPOINT` is set, else `$DATA_DIR/objects`.
    pub fn from_config(config: &Config) -> Result<Store, String> {
        match &config.s3 {
            Some(s3) => Ok(Store::S3(S3Store::new(s3))),
            None => LocalStore::new(config.data_dir.join("objects")).map(Store::Local),
        }
    }

    /// Stores `bytes` under `key` unless an object is already there (content-addressed keys
    /// make that object identical). Returns whether this call wrote it.
    pub async fn put_new(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<bool, StoreError> {
        self.put_new_checked(key, bytes, content_type, None).await
    }

    /// `put_new` of bytes whose SHA-256 (hex) is known: an object store checks it on arrival.
    pub async fn put_new_checked(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
        sha256: Option<&str>,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Local(store) => store.put_new(key, bytes).await,
            Store::S3(store) => store.put_new(key, bytes, content_type, sha256).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        match self {
            Store::Local(store) => store.get(key).await,
            Store::S3(store) => store.get(key).await,
        }
    }

    /// The object's size, or `None` when it does not exist.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Local(store) => store.size(key).await,
            Store::S3(store) => store.size(key).await,
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Local(store) => store.delete(key).await,
            Store::S3(store) => store.delete(key).await,
        }
    }

    /// Where the caller may fetch the object straight from the store for the next five minutes
    /// (a presigned GET, when S3 downloads are redirected); `None` when the API serves it.
    pub async fn download_url(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<Option<String>, StoreError> {
        match self {
            Store::Local(_) => Ok(None),
            Store::S3(store) => {
                let valid = std::time::Duration::from_secs(DOWNLOAD_URL_SECONDS);
                store.download_url(key, content_type, valid).await
            }
        }
    }

    /// Whether the store answers, for `/readyz`.
    pub async fn check(&self) -> Result<(), StoreError> {
        match self {
            Store::Local(store) => store.check().await,
            Store::S3(store) => store.check().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sharded_by_hash() {
        let sha = "ab12cd34".repeat(8);
        assert_eq!(original_key(&sha), format!("originals/ab/12/{sha}"));
        assert_eq!(thumbnail_key(&sha), format!("thumbnails/ab/12/{sha}.jpg"));
    }
}
