//! The local-directory store: one file per object, written to a temporary name and then
//! linked into place so a reader never sees half an object and nothing is overwritten.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use actix_web::web::Bytes;

use super::store::StoreError;

#[derive(Clone, Debug)]
pub struct LocalStore {
    root: PathBuf,
}

fn unavailable(error: std::io::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Result<Self, String> {
        std::fs::create_dir_all(root.join("tmp"))
            .map_err(|e| format!("cannot create the photo directory {}: {e}", root.display()))?;
        Ok(LocalStore { root })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    pub async fn put_new(&self, key: &str, bytes: Bytes) -> Result<bool, StoreError> {
        let target = self.path(key);
        let temp = self.root.join("tmp").join(uuid::Uuid::new_v4().to_string());
        actix_web::web::block(move || write_new(&target, &temp, &bytes))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, StoreError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::NotFound),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match tokio::fs::metadata(self.path(key)).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn check(&self) -> Result<(), StoreError> {
        let probe = self.root.join("tmp");
        let meta = tokio::fs::metadata(&probe).await.map_err(unavailable)?;
        if meta.is_dir() && !meta.permissions().readonly() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "{} is not a writable directory",
                probe.display()
            )))
        }
    }
}

/// Writes `bytes` to `temp`, syncs, then hard-links it to `target` (which fails if `target`
/// exists, so nothing is overwritten) and removes `temp`.
fn write_new(target: &Path, temp: &Path, bytes: &[u8]) -> Result<bool, StoreError> {
    if target.exists() {
        return Ok(false);
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
    }
    std::fs::write(temp, bytes).map_err(unavailable)?;
    let linked = std::fs::hard_link(temp, target);
    let _ = std::fs::remove_file(temp);
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn objects_are_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().to_path_buf()).unwrap();
        assert!(
            store
                .put_new("originals/ab/cd/x", Bytes::from_static(b"first"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .put_new("originals/ab/cd/x", Bytes::from_static(b"second"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.get("originals/ab/cd/x").await.unwrap(),
            Bytes::from_static(b"first")
        );
        assert_eq!(store.size("originals/ab/cd/x").await.unwrap(), Some(5));
        store.delete("originals/ab/cd/x").await.unwrap();
        assert!(matches!(
            store.get("originals/ab/cd/x").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(store.size("originals/ab/cd/x").await.unwrap(), None);
        store.check().await.unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0,
            "no temp files left"
        );
    }
}
