//! An upload's bytes while they wait for their turn at inspection. They stay in memory while
//! the server's upload memory has room, so a photo is not written to a file and read back;
//! past that they go to an anonymous temporary file, so a burst of uploads waits on disk.

use std::sync::Arc;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// The memory all uploads being received or waiting may hold at once, counted in KiB.
#[derive(Clone)]
pub struct UploadMemory(Arc<Semaphore>);

impl UploadMemory {
    pub fn new(bytes: usize) -> Self {
        UploadMemory(Arc::new(Semaphore::new(kib(bytes))))
    }

    /// `bytes` more of it, if it has room now; an upload never waits for memory.
    fn try_reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(kib(bytes)).ok()?;
        self.0.clone().try_acquire_many_owned(kib).ok()
    }

    /// How much of it is free, in bytes.
    pub fn available(&self) -> usize {
        self.0.available_permits() * 1024
    }
}

fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

/// Where an upload's bytes wait.
pub enum Spooled {
    /// In memory, holding its share of the upload memory until the bytes are dropped.
    Memory {
        bytes: Bytes,
        reserved: Option<OwnedSemaphorePermit>,
    },
    /// In an anonymous temporary file, gone when it is closed.
    File { file: tokio::fs::File, len: usize },
}

impl Spooled {
    pub fn len(&self) -> usize {
        match self {
            Spooled::Memory { bytes, .. } => bytes.len(),
            Spooled::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, read back from the file if they went there, with the memory share to keep
    /// as long as the bytes are kept.
    pub async fn into_bytes(self) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ApiError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        match self {
            Spooled::Memory { bytes, reserved } => Ok((bytes, reserved)),
            Spooled::File { mut file, len } => {
                let io = |e: std::io::Error| {
                    ApiError::internal(format!("reading a spooled upload: {e}"))
                };
                file.rewind().await.map_err(io)?;
                let mut bytes = Vec::with_capacity(len);
                file.read_to_end(&mut bytes).await.map_err(io)?;
                Ok((Bytes::from(bytes), None))
            }
        }
    }
}

/// How much of an upload is gathered in memory before it is written to its temporary file.
const FILE_BLOCK: usize = 256 * 1024;

/// The smallest piece of upload memory taken at a time.
const MEMORY_STEP: usize = 64 * 1024;

/// Receives one upload of at most `max_bytes`, stopping at once past that or at the first
/// error. `size_hint` is its expected size (a request's `Content-Length`), so memory is taken
/// once rather than grown.
pub async fn spool(
    mut body: impl Stream<Item = Result<Bytes, ApiError>> + Unpin,
    max_bytes: usize,
    size_hint: Option<usize>,
    memory: &UploadMemory,
) -> Result<Spooled, ApiError> {
    let mut held: Vec<u8> = Vec::new();
    let mut reserved: Option<OwnedSemaphorePermit> = None;
    let mut reserved_bytes = 0;
    let mut file: Option<FileSpool> = None;
    let mut len = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        len += chunk.len();
        if len > max_bytes {
            return Err(ApiError::PayloadTooLarge(format!(
                "the photo is larger than {max_bytes} bytes"
            )));
        }
        if file.is_none() && len > reserved_bytes {
            let hoped = size_hint
                .filter(|&hint| hint >= len)
                .unwrap_or(len.max(2 * reserved_bytes).max(MEMORY_STEP))
                .min(max_bytes);
            // What the hint or the doubling hoped for, else just enough for what has come.
            let needed = len.max(MEMORY_STEP).min(max_bytes);
            let granted = memory
                .try_reserve(hoped - reserved_bytes)
                .map(|more| (more, hoped))
                .or_else(|| {
                    (needed < hoped)
                        .then(|| memory.try_reserve(needed - reserved_bytes))
                        .flatten()
                        .map(|more| (more, needed))
                });
            match granted {
                Some((more, wanted)) => {
                    match reserved.as_mut() {
                        Some(permit) => permit.merge(more),
                        None => reserved = Some(more),
                    }
                    reserved_bytes = wanted;
                    held.reserve_exact(wanted - held.len());
                }
                None => {
                    let mut spill = FileSpool::create().await?;
                    spill.write(&held).await?;
                    held = Vec::new();
                    reserved = None;
                    file = Some(spill);
                }
            }
        }
        match file.as_mut() {
            Some(spill) => spill.write(&chunk).await?,
            None => held.extend_from_slice(&chunk),
        }
    }
    match file {
        Some(spill) => spill.finish(len).await,
        None => Ok(Spooled::Memory {
            bytes: Bytes::from(held),
            reserved,
        }),
    }
}

/// A temporary file being written in blocks: every write to a tokio file is a trip through the
/// blocking pool, so the network's chunks (8–64 KiB) are gathered first.
struct FileSpool {
    file: tokio::fs::File,
    block: Vec<u8>,
}

fn spool_error(e: std::io::Error) -> ApiError {
    ApiError::internal(format!("spooling an upload: {e}"))
}

impl FileSpool {
    async fn create() -> Result<Self, ApiError> {
        let file = actix_web::web::block(tempfile::tempfile)
            .await
            .map_err(ApiError::internal)?
            .map_err(spool_error)?;
        Ok(FileSpool {
            file: tokio::fs::File::from_std(file),
            block: Vec::with_capacity(FILE_BLOCK),
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ApiError> {
        use tokio::io::AsyncWriteExt;
        if self.block.len() + bytes.len() > FILE_BLOCK {
            self.file
                .write_all(&self.block)
                .await
                .map_err(spool_error)?;
            self.block.clear();
        }
        if bytes.len() > FILE_BLOCK {
            self.file.write_all(bytes).await.map_err(spool_error)?;
        } else {
            self.block.extend_from_slice(bytes);
        }
        Ok(())
    }

    async fn finish(mut self, len: usize) -> Result<Spooled, ApiError> {
        use tokio::io::AsyncWriteExt;
        self.file
            .write_all(&self.block)
            .await
            .map_err(spool_error)?;
        self.file.flush().await.map_err(spool_error)?;
        Ok(Spooled::File {
            file: self.file,
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(sizes: &[usize]) -> impl Stream<Item = Result<Bytes, ApiError>> + Unpin {
        let mut next = 0u8;
        let parts: Vec<_> = sizes
            .iter()
            .map(|&size| {
                let part: Vec<u8> = (0..size)
                    .map(|_| {
                        next = next.wrapping_add(7);
                        next
                    })
                    .collect();
                Ok(Bytes::from(part))
            })
            .collect();
        futures_util::stream::iter(parts)
    }

    async fn spooled(sizes: &[usize], hint: Option<usize>, memory: &UploadMemory) -> Spooled {
        spool(chunks(sizes), 1 << 20, hint, memory).await.unwrap()
    }

    async fn bytes_of(spooled: Spooled) -> Bytes {
        spooled.into_bytes().await.unwrap().0
    }

    #[actix_web::test]
    async fn an_upload_that_fits_stays_in_memory_and_holds_its_share() {
        let memory = UploadMemory::new(1 << 20);
        let first = spooled(&[40_000, 50_000], Some(90_000), &memory).await;
        assert!(matches!(first, Spooled::Memory { .. }));
        assert_eq!(first.len(), 90_000);
        assert_eq!(
            memory.available(),
            (1 << 20) - 88 * 1024,
            "the hint, in KiB"
        );
        let expected =
            bytes_of(spooled(&[40_000, 50_000], None, &UploadMemory::new(0)).await).await;
        let (bytes, share) = first.into_bytes().await.unwrap();
        assert_eq!(bytes, expected);
        drop(share);
        assert_eq!(memory.available(), 1 << 20, "given back with the bytes");
    }

    #[actix_web::test]
    async fn past_the_memory_an_upload_goes_to_a_file_with_every_byte() {
        let memory = UploadMemory::new(200 * 1024);
        let held = spooled(&[60_000], None, &memory).await;
        assert!(matches!(held, Spooled::Memory { .. }));
        // Takes 64 KiB, then finds no room for the rest and spills.
        let spilled = spooled(&[30_000, 30_000, 300_000, 10], None, &memory).await;
        assert!(matches!(spilled, Spooled::File { .. }));
        assert_eq!(spilled.len(), 360_010);
        assert_eq!(
            memory.available(),
            136 * 1024,
            "the spill gave its share back"
        );
        let in_memory = bytes_of(
            spooled(
                &[30_000, 30_000, 300_000, 10],
                None,
                &UploadMemory::new(1 << 20),
            )
            .await,
        )
        .await;
        assert_eq!(bytes_of(spilled).await, in_memory);
        drop(held);
        assert_eq!(memory.available(), 200 * 1024);
    }

    #[actix_web::test]
    async fn a_hint_past_the_room_still_takes_what_fits() {
        let memory = UploadMemory::new(100 * 1024);
        let held = spooled(&[50_000], Some(900_000), &memory).await;
        assert!(
            matches!(held, Spooled::Memory { .. }),
            "64 KiB fit where 900 KB did not"
        );
        assert_eq!(memory.available(), 36 * 1024);
    }

    #[actix_web::test]
    async fn a_wrong_hint_only_costs_growth() {
        let memory = UploadMemory::new(1 << 20);
        let short = spooled(&[10_000, 90_000], Some(20_000), &memory).await;
        assert!(matches!(short, Spooled::Memory { .. }));
        assert_eq!(bytes_of(short).await.len(), 100_000);
    }

    #[actix_web::test]
    async fn an_upload_past_the_limit_stops() {
        let memory = UploadMemory::new(4 << 20);
        let refused = spool(chunks(&[600_000, 600_000]), 1 << 20, None, &memory).await;
        assert!(matches!(refused, Err(ApiError::PayloadTooLarge(_))));
        assert_eq!(memory.available(), 4 << 20);
        let broken = chunks(&[600_000]).chain(futures_util::stream::iter([Err(
            ApiError::validation("file", "cut off"),
        )]));
        assert!(spool(broken, 1 << 20, None, &memory).await.is_err());
        assert_eq!(memory.available(), 4 << 20);
    }
}
