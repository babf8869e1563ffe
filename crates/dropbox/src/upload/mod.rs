//! Uploads from a byte stream: one `files/upload` call when the content fits in one chunk, otherwise a
//! concurrent upload session with chunks of a multiple of 4 MiB ([`SessionUpload`], in `session`,
//! which also feeds a session while a person's bytes still arrive and commits it later). At most
//! three chunks are held in memory (two appends on their way, the next filling). Chunks are retried
//! at their offset and resumed from Dropbox's `correct_offset`; the whole-file `content_hash` is
//! sent with the commit and checked against the metadata Dropbox returns.

mod chunk;
mod chunker;
mod session;

use crate::call::Retry;
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::hash::content_hash;
use bytes::Bytes;
use chunker::Chunker;
use dropbox_sdk::files::{
    self, CommitInfo, FileMetadata, UploadArg, UploadSessionAppendArg, UploadSessionAppendError,
    UploadSessionCursor, UploadSessionFinishArg, UploadSessionFinishError,
    UploadSessionLookupError, UploadSessionStartArg, UploadSessionType,
};
use futures::{Stream, StreamExt};

pub(crate) use chunk::Chunk;
pub use dropbox_sdk::files::WriteMode;
pub use session::{PendingUpload, SessionUpload};

/// How many times one chunk may be re-aligned to Dropbox's `correct_offset`.
const MAX_OFFSET_CORRECTIONS: u32 = 3;

impl DropboxClient {
    /// Uploads `content` to `path`. While two chunks are on their way to Dropbox the next is read and
    /// hashed, so reading, hashing and Dropbox's storing overlap; at most three chunks are held.
    pub async fn upload<S>(
        &self,
        path: &str,
        mode: WriteMode,
        content: S,
    ) -> Result<FileMetadata, DropboxError>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
    {
        self.upload_with(path, mode, false, content).await
    }

    /// [`upload`](Self::upload); with `autorename` a taken `path` makes Dropbox pick `name (n).ext`
    /// (in one step, so two writers never pick the same name).
    pub async fn upload_with<S>(
        &self,
        path: &str,
        mode: WriteMode,
        autorename: bool,
        content: S,
    ) -> Result<FileMetadata, DropboxError>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin,
    {
        let mut chunker = Chunker::new(content, self.chunk_size());
        let first = chunker.next_chunk().await?;
        if chunker.at_end().await? {
            return self.upload_small(path, mode, autorename, first).await;
        }
        // Larger: the concurrent session a person's upload feeds as it arrives, fed as fast as the
        // source reads, then committed at once.
        let mut session = self.session_upload();
        session.push(first).await?;
        let mut rest = chunker.into_rest();
        while let Some(bytes) = rest.next().await {
            session.push(bytes.map_err(DropboxError::Source)?).await?;
        }
        let pending = session.close().await?;
        self.commit_upload(&pending, path, mode, autorename).await
    }

    /// Uploads bytes already in memory (small files).
    pub async fn upload_bytes(
        &self,
        path: &str,
        mode: WriteMode,
        content: Bytes,
    ) -> Result<FileMetadata, DropboxError> {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(content)]);
        self.upload(path, mode, stream).await
    }

    async fn upload_small(
        &self,
        path: &str,
        mode: WriteMode,
        autorename: bool,
        body: Bytes,
    ) -> Result<FileMetadata, DropboxError> {
        let hash = content_hash(&body);
        // Overwriting with the same bytes twice is harmless; adding or updating twice is not.
        let retry = match mode {
            WriteMode::Overwrite => Retry::Safe,
            _ => Retry::Unsafe,
        };
        let arg = UploadArg::new(path.to_string())
            .with_mode(mode)
            .with_autorename(autorename)
            .with_content_hash(hash.clone());
        let meta = self
            .run(retry, |c| {
                let (arg, body) = (arg.clone(), body.clone());
                async move { files::upload(&c, &arg, body).await }
            })
            .await?;
        check_hash(&meta, &hash)?;
        Ok(meta)
    }

    async fn session_start(&self, body: Chunk, hash: String) -> Result<String, DropboxError> {
        self.start_session(
            UploadSessionStartArg::default().with_content_hash(hash),
            body,
        )
        .await
    }

    /// Starts a concurrent session: no data comes with the start; appends may then be in flight
    /// together, each at an offset and of a length that are multiples of 4 MiB (but the closing one).
    async fn session_start_concurrent(&self) -> Result<String, DropboxError> {
        let arg = UploadSessionStartArg::default().with_session_type(UploadSessionType::Concurrent);
        self.start_session(arg, Chunk::default()).await
    }

    async fn start_session(
        &self,
        arg: UploadSessionStartArg,
        body: Chunk,
    ) -> Result<String, DropboxError> {
        // Repeating a start only leaves an unused session behind.
        let r = self
            .run(Retry::Safe, |c| {
                let (arg, c) = (arg.clone(), c.with_request_body(body.clone()));
                async move { files::upload_session_start(&c, &arg, Bytes::new()).await }
            })
            .await?;
        Ok(r.session_id)
    }

    /// Appends `chunk` at `offset`; `close` closes the session with it (how a concurrent session
    /// learns its length). A retried append that already landed, or landed partly, is recognised by
    /// Dropbox's `incorrect_offset.correct_offset` and resumed from there.
    async fn session_append(
        &self,
        session_id: &str,
        offset: u64,
        chunk: Chunk,
        hash: String,
        close: bool,
    ) -> Result<(), DropboxError> {
        let end = offset + chunk.len() as u64;
        let (mut at, mut data) = (offset, chunk);
        for _ in 0..=MAX_OFFSET_CORRECTIONS {
            // A resent tail needs its own hash; the whole chunk's was computed by the caller.
            let hash = if at == offset {
                hash.clone()
            } else {
                data.content_hash()
            };
            let arg =
                UploadSessionAppendArg::new(UploadSessionCursor::new(session_id.to_string(), at))
                    .with_content_hash(hash)
                    .with_close(close);
            let outcome = self
                .run(Retry::Safe, |c| {
                    let (arg, c) = (arg.clone(), c.with_request_body(data.clone()));
                    async move {
                        match files::upload_session_append_v2(&c, &arg, Bytes::new()).await {
                            Ok(()) => Ok(None),
                            Err(dropbox_sdk::Error::Api(
                                UploadSessionAppendError::IncorrectOffset(o),
                            )) => Ok(Some(o.correct_offset)),
                            Err(e) => Err(e),
                        }
                    }
                })
                .await?;
            let Some(correct) = outcome else {
                return Ok(());
            };
            tracing::debug!("dropbox: upload session at {correct}, we sent {at}..{end}");
            if correct == end {
                return Ok(()); // an earlier attempt landed though its answer was lost
            }
            if !(offset..end).contains(&correct) {
                return Err(DropboxError::UploadSession(format!(
                    "Dropbox expects offset {correct}, outside this chunk ({offset}..{end})"
                )));
            }
            data = data.after((correct - at) as usize);
            at = correct;
        }
        Err(DropboxError::UploadSession(format!(
            "offset kept moving while appending {offset}..{end}"
        )))
    }

    async fn session_finish(
        &self,
        session_id: &str,
        offset: u64,
        (last, last_hash): (Chunk, String),
        commit: CommitInfo,
        hash: &str,
    ) -> Result<FileMetadata, DropboxError> {
        let path = commit.path.clone();
        let autorename = commit.autorename;
        // Like every upload-style call, `content_hash` covers the bytes of this call; the whole-file
        // hash is compared with the metadata Dropbox returns.
        let arg = UploadSessionFinishArg::new(
            UploadSessionCursor::new(session_id.to_string(), offset),
            commit,
        )
        .with_content_hash(last_hash);
        let mut attempt = 0u32;
        let finished = self
            .run(Retry::Safe, |c| {
                attempt += 1;
                let retried = attempt > 1;
                let (arg, c) = (arg.clone(), c.with_request_body(last.clone()));
                async move {
                    match files::upload_session_finish(&c, &arg, Bytes::new()).await {
                        Ok(m) => Ok(Some(m)),
                        // On a retry, a consumed session means the first finish went through.
                        Err(dropbox_sdk::Error::Api(UploadSessionFinishError::LookupFailed(
                            UploadSessionLookupError::NotFound | UploadSessionLookupError::Closed,
                        ))) if retried => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        match finished {
            Some(m) => Ok(m),
            None if !autorename => self.committed_with_hash(&path, hash).await,
            // Where it went is not known (`path` or a numbered name): not an error to upload again
            // after — the caller looks for the content among the numbered names.
            None => Err(DropboxError::Unexpected(
                "the commit went through but its answer was lost".into(),
            )),
        }
    }

    /// The file at `path`, if its content is the one we uploaded.
    async fn committed_with_hash(
        &self,
        path: &str,
        hash: &str,
    ) -> Result<FileMetadata, DropboxError> {
        match self.get_metadata(path).await? {
            files::Metadata::File(f) if f.content_hash.as_deref() == Some(hash) => Ok(f),
            _ => Err(DropboxError::UploadSession(
                "the upload session ended but the file does not hold the uploaded content".into(),
            )),
        }
    }
}

fn check_hash(meta: &FileMetadata, ours: &str) -> Result<(), DropboxError> {
    match meta.content_hash.as_deref() {
        Some(theirs) if theirs != ours => Err(DropboxError::ContentHashMismatch {
            expected: ours.to_string(),
            actual: theirs.to_string(),
        }),
        _ => Ok(()),
    }
}
