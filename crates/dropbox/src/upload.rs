//! Uploads from a byte stream: one `files/upload` call when the content fits in one chunk, otherwise an
//! upload session with chunks of a multiple of 4 MiB. At most one chunk is held in memory. Chunks are
//! retried at their offset and resumed from Dropbox's `correct_offset`; the whole-file `content_hash` is
//! sent with the commit and checked against the metadata Dropbox returns.

use crate::call::Retry;
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::hash::{BackgroundHasher, ContentHasher, block_digests, content_hash, hash_of_digests};
use bytes::{Bytes, BytesMut};
use dropbox_sdk::files::{
    self, CommitInfo, FileMetadata, UploadArg, UploadSessionAppendArg, UploadSessionAppendError,
    UploadSessionCursor, UploadSessionFinishArg, UploadSessionFinishError,
    UploadSessionLookupError, UploadSessionStartArg,
};
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

pub use dropbox_sdk::files::WriteMode;

/// How many times one chunk may be re-aligned to Dropbox's `correct_offset`.
const MAX_OFFSET_CORRECTIONS: u32 = 3;

/// Cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter).
struct Chunker<S> {
    src: S,
    size: usize,
    pending: Option<Bytes>,
    eof: bool,
}

impl<S: Stream<Item = std::io::Result<Bytes>> + Unpin> Chunker<S> {
    async fn next_chunk(&mut self) -> Result<Bytes, DropboxError> {
        let mut buf = BytesMut::with_capacity(self.size);
        while buf.len() < self.size {
            let mut item = match self.pending.take() {
                Some(b) => b,
                None if self.eof => break,
                None => match self.src.next().await {
                    Some(r) => r.map_err(DropboxError::Source)?,
                    None => {
                        self.eof = true;
                        break;
                    }
                },
            };
            let room = self.size - buf.len();
            if item.len() > room {
                self.pending = Some(item.split_off(room));
            }
            buf.extend_from_slice(&item);
        }
        Ok(buf.freeze())
    }

    /// Whether the source has no more bytes (reads ahead at most one item).
    async fn at_end(&mut self) -> Result<bool, DropboxError> {
        while self.pending.as_ref().is_none_or(Bytes::is_empty) {
            if self.eof {
                return Ok(true);
            }
            match self.src.next().await {
                Some(r) => self.pending = Some(r.map_err(DropboxError::Source)?),
                None => self.eof = true,
            }
        }
        Ok(false)
    }
}

/// The bytes of one upload call as the pieces they arrived in. The transport sends the pieces
/// themselves ([`Conn::with_request_body`](crate::transport::Conn::with_request_body)), so bytes
/// received from a person's browser go on to Dropbox without being gathered into one buffer first;
/// a clone for a retry only counts references.
#[derive(Clone, Debug, Default)]
pub(crate) struct Chunk {
    pieces: Vec<Bytes>,
    len: usize,
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.pieces.push(piece);
        }
    }

    /// The bytes from `at` on (what is left to send when Dropbox holds the first `at`).
    fn after(&self, mut at: usize) -> Self {
        let mut rest = Self::default();
        for piece in &self.pieces {
            if at >= piece.len() {
                at -= piece.len();
            } else {
                rest.push(piece.slice(at..));
                at = 0;
            }
        }
        rest
    }

    fn content_hash(&self) -> String {
        let mut h = ContentHasher::new();
        self.pieces.iter().for_each(|p| h.update(p));
        h.finish()
    }

    /// `request` with these bytes as its body: the pieces written in order, under a
    /// `Content-Length` (a body made of pieces would otherwise go out chunked).
    pub(crate) fn into_body_of(self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let len = self.len;
        let pieces = self.pieces.into_iter().map(Ok::<_, std::io::Error>);
        request
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
    }
}

impl From<Bytes> for Chunk {
    fn from(bytes: Bytes) -> Self {
        let mut chunk = Self::default();
        chunk.push(bytes);
        chunk
    }
}

/// A chunk read and hashed, ready to send.
struct Prepared {
    chunk: Bytes,
    digests: Vec<[u8; 32]>,
    /// No bytes follow this chunk.
    last: bool,
}

impl Prepared {
    /// The next chunk of `chunker`, hashed.
    async fn read<S: Stream<Item = std::io::Result<Bytes>> + Unpin>(
        chunker: &mut Chunker<S>,
    ) -> Result<Self, DropboxError> {
        let chunk = chunker.next_chunk().await?;
        let last = chunker.at_end().await?;
        Self::hashed(chunk, last).await
    }

    /// Hashes on a blocking thread: the runtime's threads are meanwhile free to send.
    async fn hashed(chunk: Bytes, last: bool) -> Result<Self, DropboxError> {
        let bytes = chunk.clone();
        let digests = tokio::task::spawn_blocking(move || block_digests(&bytes))
            .await
            .map_err(|e| DropboxError::Unexpected(format!("hashing: {e}")))?;
        Ok(Self {
            chunk,
            digests,
            last,
        })
    }

    /// This chunk's `content_hash`, after adding its block digests to the file's hash.
    fn hash(&self, file_hash: &mut Sha256) -> String {
        self.digests.iter().for_each(|d| file_hash.update(d));
        hash_of_digests(&self.digests)
    }
}

impl DropboxClient {
    /// Uploads `content` to `path`. While one chunk is on its way to Dropbox the next is read and
    /// hashed, so hashing overlaps sending; at most these two chunks are held in memory.
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
        let mut chunker = Chunker {
            src: content,
            size: self.chunk_size(),
            pending: None,
            eof: false,
        };
        let first = chunker.next_chunk().await?;
        if chunker.at_end().await? {
            return self.upload_small(path, mode, autorename, first).await;
        }
        // Chunks are block-aligned, so each chunk's block digests feed both its own hash and the file's.
        let mut file_hash = Sha256::new();
        let first = Prepared::hashed(first, false).await?;
        let first_hash = first.hash(&mut file_hash);
        let mut offset = first.chunk.len() as u64;
        let (session_id, mut next) = futures::try_join!(
            self.session_start(first.chunk.into(), first_hash),
            Prepared::read(&mut chunker),
        )?;
        while !next.last {
            let current = next;
            let (len, hash) = (current.chunk.len() as u64, current.hash(&mut file_hash));
            ((), next) = futures::try_join!(
                self.session_append(&session_id, offset, current.chunk.into(), hash),
                Prepared::read(&mut chunker),
            )?;
            offset += len;
        }
        let last_hash = next.hash(&mut file_hash);
        let hash = hex::encode(file_hash.finalize());
        let commit = CommitInfo::new(path.to_string())
            .with_mode(mode)
            .with_autorename(autorename);
        let meta = self
            .session_finish(
                &session_id,
                offset,
                (next.chunk.into(), last_hash),
                commit,
                &hash,
            )
            .await?;
        check_hash(&meta, &hash)?;
        Ok(meta)
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
        let arg = UploadSessionStartArg::default().with_content_hash(hash);
        // Repeating a start only leaves an unused session behind.
        let r = self
            .run(Retry::Safe, |c| {
                let (arg, c) = (arg.clone(), c.with_request_body(body.clone()));
                async move { files::upload_session_start(&c, &arg, Bytes::new()).await }
            })
            .await?;
        Ok(r.session_id)
    }

    /// Appends `chunk` at `offset`. A retried append that already landed, or landed partly, is
    /// recognised by Dropbox's `incorrect_offset.correct_offset` and resumed from there.
    async fn session_append(
        &self,
        session_id: &str,
        offset: u64,
        chunk: Chunk,
        hash: String,
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
                    .with_content_hash(hash);
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

fn check_hash(meta: &FileMetadata, ours: &str) -> Result<(), DropboxError> {
    match meta.content_hash.as_deref() {
        Some(theirs) if theirs != ours => Err(DropboxError::ContentHashMismatch {
            expected: ours.to_string(),
            actual: theirs.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn chunker(
        items: Vec<&'static [u8]>,
        size: usize,
    ) -> Chunker<impl Stream<Item = std::io::Result<Bytes>> + Unpin> {
        Chunker {
            src: futures::stream::iter(items.into_iter().map(|b| Ok(Bytes::from_static(b)))),
            size,
            pending: None,
            eof: false,
        }
    }

    #[tokio::test]
    async fn chunker_cuts_exact_sizes_across_item_boundaries() {
        let mut c = chunker(vec![b"abc", b"defgh", b"ij"], 4);
        assert_eq!(&c.next_chunk().await.unwrap()[..], b"abcd");
        assert!(!c.at_end().await.unwrap());
        assert_eq!(&c.next_chunk().await.unwrap()[..], b"efgh");
        assert_eq!(&c.next_chunk().await.unwrap()[..], b"ij");
        assert!(c.at_end().await.unwrap());
    }

    #[test]
    fn a_chunk_resumed_after_an_offset_keeps_the_bytes_after_it_across_pieces() {
        let mut chunk = Chunk::default();
        for piece in [&b"abc"[..], b"", b"defgh", b"ij"] {
            chunk.push(Bytes::copy_from_slice(piece));
        }
        let bytes = |c: &Chunk| c.pieces.concat();

        assert_eq!(chunk.len(), 10);
        assert_eq!(chunk.pieces.len(), 3, "empty pieces are not kept");
        assert_eq!(bytes(&chunk.after(0)), b"abcdefghij");
        assert_eq!(bytes(&chunk.after(3)), b"defghij");
        assert_eq!(bytes(&chunk.after(4)), b"efghij");
        assert_eq!(chunk.after(4).len(), 6);
        assert_eq!(chunk.after(10).len(), 0);
        assert_eq!(chunk.content_hash(), content_hash(b"abcdefghij"));
        assert_eq!(chunk.after(4).content_hash(), content_hash(b"efghij"));
    }

    #[tokio::test]
    async fn a_chunk_goes_out_as_one_body_with_its_length_not_chunked() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Until the client has nothing more to send.
            while let Ok(Ok(n @ 1..)) =
                tokio::time::timeout(Duration::from_millis(300), socket.read(&mut buf)).await
            {
                request.extend_from_slice(&buf[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let mut chunk = Chunk::default();
        for piece in [&b"abc"[..], b"defgh", b"ij"] {
            chunk.push(Bytes::copy_from_slice(piece));
        }

        let request = reqwest::Client::new().post(format!("http://{address}/"));
        chunk.into_body_of(request).send().await.unwrap();

        let request = server.await.unwrap();
        let (head, body) = request.split_once("\r\n\r\n").unwrap();
        let head = head.to_ascii_lowercase();
        assert!(head.contains("content-length: 10"), "{head}");
        assert!(!head.contains("transfer-encoding"), "{head}");
        assert_eq!(body, "abcdefghij");
    }

    #[tokio::test]
    async fn chunker_sees_the_end_right_after_an_exact_chunk() {
        let mut c = chunker(vec![b"abcd", b""], 4);
        assert_eq!(&c.next_chunk().await.unwrap()[..], b"abcd");
        assert!(c.at_end().await.unwrap());
    }
}
