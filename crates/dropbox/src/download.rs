//! Streaming downloads: bytes flow to the caller as they arrive, a broken connection is resumed with a
//! `Range` request pinned to the same revision, and a full download is checked against `content_hash`
//! (hashed on a blocking thread beside the transfer, see [`BackgroundHasher`]).

use crate::call::Retry;
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::hash::BackgroundHasher;
use crate::transport::{BodySlot, ByteStream};
use bytes::Bytes;
use dropbox_sdk::files::{self, DownloadArg, FileMetadata};
use futures::stream::{self, BoxStream, StreamExt};

/// Bytes `start..=end` of a file (`end: None` means to the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadRange {
    pub start: u64,
    pub end: Option<u64>,
}

/// A download in progress.
pub struct Download {
    pub metadata: FileMetadata,
    /// How many bytes `stream` yields, when Dropbox said.
    pub content_length: Option<u64>,
    /// The content. Ends with an error rather than silently short or corrupt data.
    pub stream: BoxStream<'static, Result<Bytes, DropboxError>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("metadata", &self.metadata)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

struct State {
    client: DropboxClient,
    body: Option<ByteStream>,
    rev: String,
    range: Option<DownloadRange>,
    received: u64,
    expected: Option<u64>,
    /// Only for whole-file downloads: the hash covers the whole content.
    hasher: Option<BackgroundHasher>,
    expected_hash: Option<String>,
    resumes: u32,
    done: bool,
}

impl DropboxClient {
    /// Starts downloading `path` (or part of it). Metadata is available at once; content streams.
    pub async fn download(
        &self,
        path: &str,
        range: Option<DownloadRange>,
    ) -> Result<Download, DropboxError> {
        if let Some(DownloadRange {
            start,
            end: Some(end),
        }) = range
            && end < start
        {
            return Err(DropboxError::BadRequest(format!(
                "empty range {start}-{end}"
            )));
        }
        let (metadata, content_length, body) = self.open(path.to_string(), range, 0).await?;
        let expected = match range {
            None => Some(metadata.size),
            Some(_) => content_length,
        };
        let state = State {
            client: self.clone(),
            body: Some(body),
            rev: metadata.rev.clone(),
            range,
            received: 0,
            expected,
            hasher: range.is_none().then(BackgroundHasher::new),
            expected_hash: metadata.content_hash.clone(),
            resumes: 0,
            done: false,
        };
        Ok(Download {
            metadata,
            content_length: expected,
            stream: stream::unfold(state, next_chunk).boxed(),
        })
    }

    /// One download request starting `skip` bytes into the requested range.
    async fn open(
        &self,
        path: String,
        range: Option<DownloadRange>,
        skip: u64,
    ) -> Result<(FileMetadata, Option<u64>, ByteStream), DropboxError> {
        let arg = DownloadArg::new(path);
        let (start, end) = match range {
            None if skip == 0 => (None, None),
            None => (Some(skip), None),
            Some(r) => (Some(r.start + skip), r.end),
        };
        let slot = BodySlot::default();
        let r = self
            .run(Retry::Safe, |c| {
                let (arg, c) = (arg.clone(), c.with_body_slot(slot.clone()));
                async move { files::download(&c, &arg, start, end).await }
            })
            .await?;
        let body = slot
            .take()
            .ok_or_else(|| DropboxError::Unexpected("download without a body".into()))?;
        Ok((r.result, r.content_length, body))
    }
}

async fn next_chunk(mut s: State) -> Option<(Result<Bytes, DropboxError>, State)> {
    loop {
        if s.done {
            return None;
        }
        let item = match s.body.as_mut() {
            Some(b) => b.next().await,
            None => None,
        };
        match item {
            Some(Ok(chunk)) => {
                s.received += chunk.len() as u64;
                if let Some(h) = s.hasher.as_mut()
                    && let Err(e) = h.update(chunk.clone()).await
                {
                    s.done = true;
                    return Some((Err(e), s));
                }
                return Some((Ok(chunk), s));
            }
            Some(Err(e)) => {
                // Connection broke mid-body: ask for the rest of the same revision.
                s.body = None;
                s.resumes += 1;
                let Some(delay) = s.client.hub.retry.next_delay(s.resumes, None) else {
                    s.done = true;
                    let err = DropboxError::Transient {
                        attempts: s.resumes,
                        detail: format!("download interrupted: {e}"),
                    };
                    return Some((Err(err), s));
                };
                tracing::debug!(
                    "dropbox: download interrupted at {} ({e}); resuming",
                    s.received
                );
                tokio::time::sleep(delay).await;
                let path = format!("rev:{}", s.rev);
                match s.client.open(path, s.range, s.received).await {
                    Ok((_, _, body)) => s.body = Some(body),
                    Err(err) => {
                        s.done = true;
                        return Some((Err(err), s));
                    }
                }
            }
            None => {
                s.done = true;
                return finish(&mut s).await.map(|err| (Err(err), s));
            }
        }
    }
}

/// Checks length and hash at the end of the stream.
async fn finish(s: &mut State) -> Option<DropboxError> {
    if let Some(expected) = s.expected
        && expected != s.received
    {
        return Some(DropboxError::Transient {
            attempts: s.resumes + 1,
            detail: format!("download ended after {} of {expected} bytes", s.received),
        });
    }
    let (Some(hasher), Some(expected)) = (s.hasher.take(), s.expected_hash.as_ref()) else {
        return None;
    };
    let actual = match hasher.finish().await {
        Ok(a) => a,
        Err(e) => return Some(e),
    };
    (actual != *expected).then(|| DropboxError::ContentHashMismatch {
        expected: expected.clone(),
        actual,
    })
}
