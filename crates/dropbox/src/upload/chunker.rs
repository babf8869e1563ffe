//! A byte stream cut into chunks of one size, each hashed before it is sent: what a whole-stream
//! upload sends while it reads the next.

use crate::error::DropboxError;
use crate::hash::{block_digests, hash_of_digests};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

/// Cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter).
pub(super) struct Chunker<S> {
    src: S,
    size: usize,
    pending: Option<Bytes>,
    eof: bool,
}

impl<S: Stream<Item = std::io::Result<Bytes>> + Unpin> Chunker<S> {
    pub(super) fn new(src: S, size: usize) -> Self {
        Self {
            src,
            size,
            pending: None,
            eof: false,
        }
    }

    pub(super) async fn next_chunk(&mut self) -> Result<Bytes, DropboxError> {
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
    pub(super) async fn at_end(&mut self) -> Result<bool, DropboxError> {
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

/// A chunk read and hashed, ready to send.
pub(super) struct Prepared {
    pub(super) chunk: Bytes,
    digests: Vec<[u8; 32]>,
    /// No bytes follow this chunk.
    pub(super) last: bool,
}

impl Prepared {
    /// The next chunk of `chunker`, hashed.
    pub(super) async fn read<S: Stream<Item = std::io::Result<Bytes>> + Unpin>(
        chunker: &mut Chunker<S>,
    ) -> Result<Self, DropboxError> {
        let chunk = chunker.next_chunk().await?;
        let last = chunker.at_end().await?;
        Self::hashed(chunk, last).await
    }

    /// Hashes on a blocking thread: the runtime's threads are meanwhile free to send.
    pub(super) async fn hashed(chunk: Bytes, last: bool) -> Result<Self, DropboxError> {
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
    pub(super) fn hash(&self, file_hash: &mut Sha256) -> String {
        self.digests.iter().for_each(|d| file_hash.update(d));
        hash_of_digests(&self.digests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunker(
        items: Vec<&'static [u8]>,
        size: usize,
    ) -> Chunker<impl Stream<Item = std::io::Result<Bytes>> + Unpin> {
        Chunker::new(
            futures::stream::iter(items.into_iter().map(|b| Ok(Bytes::from_static(b)))),
            size,
        )
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

    #[tokio::test]
    async fn chunker_sees_the_end_right_after_an_exact_chunk() {
        let mut c = chunker(vec![b"abcd", b""], 4);
        assert_eq!(&c.next_chunk().await.unwrap()[..], b"abcd");
        assert!(c.at_end().await.unwrap());
    }
}
