//! Upload sessions fed while the bytes still arrive, committed once the path is known.

use super::{Chunk, check_hash};
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::hash::{BackgroundHasher, content_hash, hash_of_digests};
use bytes::Bytes;
use dropbox_sdk::files::{CommitInfo, FileMetadata, WriteMode};
use std::collections::VecDeque;

/// An upload session fed as bytes arrive — while a person's browser is still sending them — and
/// committed later, once the path is known ([`DropboxClient::commit_upload`]; Dropbox keeps an
/// unfinished session for days). Bytes are hashed as they arrive, on a blocking thread beside the
/// transfer. Once a first full chunk shows the file is larger than one chunk, the session is a
/// *concurrent* one: each full chunk is appended in the background while the next fills, up to two
/// at once (`APPENDS_IN_FLIGHT`), so Dropbox stores one chunk while it already receives the next
/// instead of answering each before the next may leave. A file that fits in one chunk goes in one
/// call, the start. A chunk is the received pieces themselves, sent on as they are: no byte is
/// copied on its way through.
pub struct SessionUpload {
    client: DropboxClient,
    chunk: usize,
    filling: Chunk,
    /// The concurrent session's id, once the first full chunk started it.
    session_id: Option<String>,
    /// Bytes handed to calls so far, including those in flight.
    offset: u64,
    /// Every byte pushed, for each chunk's and the whole file's `content_hash`.
    hasher: BackgroundHasher,
    /// The appends sent and not yet answered, oldest first.
    in_flight: VecDeque<tokio::task::JoinHandle<Result<(), DropboxError>>>,
}

/// Appends of one session on their way at once. Two keep Dropbox busy while the next chunk arrives
/// and hashes; each holds its chunk in memory until answered (with the one filling: three chunks).
const APPENDS_IN_FLIGHT: usize = 2;

/// A closed upload session waiting to be committed: what [`DropboxClient::commit_upload`] needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingUpload {
    pub session_id: String,
    pub size: u64,
    /// The whole file's `content_hash`, checked against what Dropbox commits.
    pub content_hash: String,
}

impl DropboxClient {
    /// Starts feeding an upload session (see [`SessionUpload`]); nothing is sent before the first
    /// chunk is full or the upload is closed.
    pub fn session_upload(&self) -> SessionUpload {
        SessionUpload {
            client: self.clone(),
            chunk: self.chunk_size(),
            filling: Chunk::default(),
            session_id: None,
            offset: 0,
            hasher: BackgroundHasher::new(),
            in_flight: VecDeque::new(),
        }
    }

    /// Commits a closed session to `path` (`autorename` as in [`upload_with`](Self::upload_with));
    /// the metadata Dropbox answers must carry the uploaded content's hash. A session Dropbox no
    /// longer knows (expired, already committed) is `DropboxError::UploadSession`: upload the file
    /// again.
    pub async fn commit_upload(
        &self,
        pending: &PendingUpload,
        path: &str,
        mode: WriteMode,
        autorename: bool,
    ) -> Result<FileMetadata, DropboxError> {
        let commit = CommitInfo::new(path.to_string())
            .with_mode(mode)
            .with_autorename(autorename);
        let empty = (Chunk::default(), content_hash(&[]));
        let meta = self
            .session_finish(
                &pending.session_id,
                pending.size,
                empty,
                commit,
                &pending.content_hash,
            )
            .await
            .map_err(|e| match e {
                DropboxError::NotFound(detail) => DropboxError::UploadSession(detail),
                other => other,
            })?;
        check_hash(&meta, &pending.content_hash)?;
        Ok(meta)
    }
}

impl SessionUpload {
    /// Adds bytes; sends every chunk that fills.
    pub async fn push(&mut self, mut bytes: Bytes) -> Result<(), DropboxError> {
        while !bytes.is_empty() {
            let room = self.chunk - self.filling.len();
            let take = bytes.split_to(room.min(bytes.len()));
            self.filling.push(take.clone());
            self.hasher.update(take).await?;
            if self.filling.len() == self.chunk {
                // Chunks are block-aligned: the blocks hashed so far are exactly this chunk's.
                let blocks = self.hasher.take_blocks().await?;
                self.send(hash_of_digests(&blocks), false).await?;
            }
        }
        Ok(())
    }

    /// Sends what is left and closes the session for committing.
    pub async fn close(mut self) -> Result<PendingUpload, DropboxError> {
        let hasher = std::mem::take(&mut self.hasher);
        let (content_hash, rest) = hasher.finish_with_blocks().await?;
        let hash = hash_of_digests(&rest);
        let session_id = match self.session_id.clone() {
            // The whole file fits in one chunk: one call starts the session with it.
            None => {
                let chunk = std::mem::take(&mut self.filling);
                self.offset = chunk.len() as u64;
                self.client.session_start(chunk, hash).await?
            }
            // The rest, possibly nothing, closes the session; it tells Dropbox the file's length.
            Some(id) => {
                self.send(hash, true).await?;
                while self.settle_oldest().await? {}
                id
            }
        };
        Ok(PendingUpload {
            session_id,
            size: self.offset,
            content_hash,
        })
    }

    /// Waits for the oldest append in flight; false when none was.
    async fn settle_oldest(&mut self) -> Result<bool, DropboxError> {
        let Some(call) = self.in_flight.pop_front() else {
            return Ok(false);
        };
        call.await
            .map_err(|e| DropboxError::Unexpected(format!("upload task: {e}")))??;
        Ok(true)
    }

    /// Sends the chunk filled (whose `content_hash` is `hash`) in the background, once fewer than
    /// `APPENDS_IN_FLIGHT` are; the first one starts the session.
    async fn send(&mut self, hash: String, close: bool) -> Result<(), DropboxError> {
        while self.in_flight.len() >= APPENDS_IN_FLIGHT {
            self.settle_oldest().await?;
        }
        let id = match &self.session_id {
            Some(id) => id.clone(),
            None => {
                let id = self.client.session_start_concurrent().await?;
                self.session_id = Some(id.clone());
                id
            }
        };
        let chunk = std::mem::take(&mut self.filling);
        let client = self.client.clone();
        let offset = self.offset;
        self.offset += chunk.len() as u64;
        self.in_flight.push_back(tokio::spawn(async move {
            client.session_append(&id, offset, chunk, hash, close).await
        }));
        Ok(())
    }
}

impl Drop for SessionUpload {
    /// A session given up on is left to expire in Dropbox; only the calls in flight are stopped.
    fn drop(&mut self) {
        self.in_flight.iter().for_each(|call| call.abort());
    }
}
