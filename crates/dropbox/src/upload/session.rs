//! Upload sessions fed while the bytes still arrive, committed once the path is known.

use super::{Chunk, check_hash};
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::hash::{BackgroundHasher, content_hash, hash_of_digests};
use bytes::Bytes;
use dropbox_sdk::files::{CommitInfo, FileMetadata, WriteMode};

/// An upload session fed as bytes arrive — while a person's browser is still sending them — and
/// committed later, once the path is known ([`DropboxClient::commit_upload`]; Dropbox keeps an
/// unfinished session for days). Bytes are hashed as they arrive, on a blocking thread beside the
/// transfer; each full chunk is appended in the background while the next one fills, one chunk at a
/// time (appends must arrive in order): at most two chunks are held, and the sender waits only when
/// hashing or Dropbox is slower than the bytes arrive. A chunk is the received pieces themselves,
/// sent on as they are: no byte is copied on its way through.
pub struct SessionUpload {
    client: DropboxClient,
    chunk: usize,
    filling: Chunk,
    /// Known once the start call (carrying the first chunk) has answered.
    session_id: Option<String>,
    /// Bytes handed to calls so far, including the one in flight.
    offset: u64,
    /// Every byte pushed, for each chunk's and the whole file's `content_hash`.
    hasher: BackgroundHasher,
    /// The call of the last chunk sent; it answers the session id when it was the start.
    in_flight: Option<tokio::task::JoinHandle<Result<Option<String>, DropboxError>>>,
}

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
            in_flight: None,
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
                self.send(hash_of_digests(&blocks)).await?;
            }
        }
        Ok(())
    }

    /// Sends what is left and closes the session for committing.
    pub async fn close(mut self) -> Result<PendingUpload, DropboxError> {
        let hasher = std::mem::take(&mut self.hasher);
        let (content_hash, rest) = hasher.finish_with_blocks().await?;
        if (self.session_id.is_none() && self.in_flight.is_none()) || !self.filling.is_empty() {
            self.send(hash_of_digests(&rest)).await?;
        }
        self.settle().await?;
        let session_id = self
            .session_id
            .take()
            .ok_or_else(|| DropboxError::UploadSession("the session never started".into()))?;
        Ok(PendingUpload {
            session_id,
            size: self.offset,
            content_hash,
        })
    }

    /// Waits for the call in flight: learns the session id from a start.
    async fn settle(&mut self) -> Result<(), DropboxError> {
        if let Some(call) = self.in_flight.take() {
            let started = call
                .await
                .map_err(|e| DropboxError::Unexpected(format!("upload task: {e}")))??;
            if let Some(id) = started {
                self.session_id = Some(id);
            }
        }
        Ok(())
    }

    /// Waits for the call before, then sends the chunk filled (whose `content_hash` is `hash`) in
    /// the background.
    async fn send(&mut self, hash: String) -> Result<(), DropboxError> {
        self.settle().await?;
        let chunk = std::mem::take(&mut self.filling);
        let client = self.client.clone();
        let offset = self.offset;
        self.offset += chunk.len() as u64;
        let session = self.session_id.clone();
        self.in_flight = Some(tokio::spawn(async move {
            match session {
                None => Ok(Some(client.session_start(chunk, hash).await?)),
                Some(id) => {
                    client.session_append(&id, offset, chunk, hash).await?;
                    Ok(None)
                }
            }
        }));
        Ok(())
    }
}

impl Drop for SessionUpload {
    /// A session given up on is left to expire in Dropbox; only the call in flight is stopped.
    fn drop(&mut self) {
        if let Some(call) = self.in_flight.take() {
            call.abort();
        }
    }
}
