//! One upload call's bytes as the pieces they arrived in.

use crate::hash::ContentHasher;
use bytes::Bytes;

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

    pub(super) fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.pieces.push(piece);
        }
    }

    /// The bytes from `at` on (what is left to send when Dropbox holds the first `at`).
    pub(super) fn after(&self, mut at: usize) -> Self {
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

    pub(super) fn content_hash(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::content_hash;
    use std::time::Duration;

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
}
