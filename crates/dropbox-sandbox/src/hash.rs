//! Dropbox's `content_hash`: split the content into 4 MiB blocks, SHA-256 each block, then SHA-256 the
//! concatenation of the block digests, hex-encoded.

use sha2::{Digest, Sha256};

/// Block size of Dropbox's content hash.
pub const BLOCK_SIZE: usize = 4 * 1024 * 1024;

/// Streaming content hasher: feed it chunks of any size.
#[derive(Default, Clone)]
pub struct ContentHasher {
    overall: Sha256,
    block: Sha256,
    block_len: usize,
}

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (BLOCK_SIZE - self.block_len).min(data.len());
            self.block.update(&data[..take]);
            self.block_len += take;
            data = &data[take..];
            if self.block_len == BLOCK_SIZE {
                self.finish_block();
            }
        }
    }

    fn finish_block(&mut self) {
        let digest = std::mem::take(&mut self.block).finalize();
        self.overall.update(digest);
        self.block_len = 0;
    }

    pub fn finish_hex(mut self) -> String {
        if self.block_len > 0 {
            self.finish_block();
        }
        hex::encode(self.overall.finalize())
    }
}

/// Content hash of an in-memory byte slice.
pub fn content_hash(data: &[u8]) -> String {
    let mut h = ContentHasher::new();
    h.update(data);
    h.finish_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_content_hashes_to_sha256_of_nothing() {
        assert_eq!(
            content_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hash_is_the_same_however_the_data_is_chunked() {
        let data: Vec<u8> = (0..(BLOCK_SIZE + 1234)).map(|i| (i % 251) as u8).collect();
        let mut h = ContentHasher::new();
        for chunk in data.chunks(777_777) {
            h.update(chunk);
        }
        assert_eq!(h.finish_hex(), content_hash(&data));
    }

    #[test]
    fn multi_block_hash_is_hash_of_block_hashes() {
        let data = vec![7u8; BLOCK_SIZE + 10];
        let b1 = Sha256::digest(&data[..BLOCK_SIZE]);
        let b2 = Sha256::digest(&data[BLOCK_SIZE..]);
        let mut all = Sha256::new();
        all.update(b1);
        all.update(b2);
        assert_eq!(content_hash(&data), hex::encode(all.finalize()));
    }
}
