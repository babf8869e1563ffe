//! The first chunk of a byte stream, to tell a file that fits in one call from one that needs an
//! upload session.

use crate::error::DropboxError;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

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

    /// What the source has not yet given out as chunks: the piece read ahead, then the rest.
    pub(super) fn into_rest(self) -> impl Stream<Item = std::io::Result<Bytes>> + Unpin {
        futures::stream::iter(self.pending.map(Ok)).chain(self.src)
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
