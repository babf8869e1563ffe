//! File contents on disk. Request bodies are streamed chunk by chunk into files (hashing as they go), and
//! downloads stream from those files, so no file is ever held in memory whole.

use crate::hash::ContentHasher;
use crate::state::tree_ops::BlobRef;
use crate::util::random_alnum;
use axum::body::Body;
use futures_util::StreamExt;
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Why storing a body failed.
#[derive(Debug)]
pub enum StoreError {
    /// The body exceeded the limit.
    TooLarge,
    /// The client went away or sent a broken body.
    Body(String),
    Io(io::Error),
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        StoreError::Io(e)
    }
}

pub struct BlobStore {
    root: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl BlobStore {
    /// Opens (creating) `<dir>/blobs` and `<dir>/sessions`, in a fresh temporary directory when `dir` is
    /// `None`.
    pub fn open(dir: Option<&Path>) -> io::Result<Self> {
        let (root, temp) = match dir {
            Some(d) => (d.to_path_buf(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("dropbox-sandbox-")
                    .tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        std::fs::create_dir_all(root.join("blobs"))?;
        std::fs::create_dir_all(root.join("sessions"))?;
        Ok(Self { root, _temp: temp })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, name: &str) -> PathBuf {
        self.root.join("blobs").join(name)
    }

    pub fn session_path(&self, id: &str) -> PathBuf {
        self.root.join("sessions").join(id)
    }

    /// Streams `body` into a new blob, refusing more than `limit` bytes.
    pub async fn store_body(&self, body: Body, limit: u64) -> Result<BlobRef, StoreError> {
        let name = random_alnum(24);
        let tmp = self.root.join("blobs").join(format!("{name}.part"));
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut hasher = ContentHasher::new();
        let result = copy_body(body, &mut file, limit, &mut [&mut hasher]).await;
        drop(file);
        match result {
            Ok(size) => {
                tokio::fs::rename(&tmp, self.blob_path(&name)).await?;
                Ok(BlobRef {
                    name,
                    size,
                    content_hash: hasher.finish_hex(),
                })
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    /// Stores bytes already in memory (control API seeding).
    pub async fn store_bytes(&self, data: &[u8]) -> io::Result<BlobRef> {
        let name = random_alnum(24);
        tokio::fs::write(self.blob_path(&name), data).await?;
        Ok(BlobRef {
            name,
            size: data.len() as u64,
            content_hash: crate::hash::content_hash(data),
        })
    }

    /// Moves a finished upload-session file into the blob store.
    pub async fn adopt_session(&self, session_id: &str) -> io::Result<String> {
        let name = random_alnum(24);
        tokio::fs::rename(self.session_path(session_id), self.blob_path(&name)).await?;
        Ok(name)
    }
}

/// Writes `body` into the file at `path` from `offset` on (creating the file), feeding every hasher;
/// returns the number of bytes written. What a failed write left behind is the caller's to undo.
pub async fn write_at(
    path: &Path,
    body: Body,
    limit: u64,
    offset: u64,
    hashers: &mut [&mut ContentHasher],
) -> Result<u64, StoreError> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    copy_body(body, &mut file, limit, hashers).await
}

/// Reads a body that must be empty; false as soon as a byte arrives.
pub async fn body_is_empty(body: Body) -> Result<bool, StoreError> {
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        if !chunk
            .map_err(|e| StoreError::Body(e.to_string()))?
            .is_empty()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Cuts the file at `path` back to `len` bytes.
pub async fn truncate(path: &Path, len: u64) -> io::Result<()> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .await?
        .set_len(len)
        .await
}

/// Reads `len` bytes of the file at `path` from `offset` (to rehash a session's last partial block).
pub async fn read_range(path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn copy_body(
    body: Body,
    file: &mut tokio::fs::File,
    limit: u64,
    hashers: &mut [&mut ContentHasher],
) -> Result<u64, StoreError> {
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StoreError::Body(e.to_string()))?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(StoreError::TooLarge);
        }
        for h in hashers.iter_mut() {
            h.update(&chunk);
        }
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(total)
}
