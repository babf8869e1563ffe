//! Dropbox's `content_hash`: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block.
//! Computed while bytes stream past so neither direction ever buffers a whole file.

use sha2::{Digest, Sha256};

/// Dropbox hashes content in blocks of this size; upload chunks are multiples of it.
pub const BLOCK_SIZE: usize = 4 * 1024 * 1024;

/// Incremental `content_hash`.
#[derive(Clone, Default)]
pub struct ContentHasher {
    overall: Sha256,
    block: Sha256,
    in_block: usize,
}

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (BLOCK_SIZE - self.in_block).min(data.len());
            self.block.update(&data[..take]);
            self.in_block += take;
            data = &data[take..];
            if self.in_block == BLOCK_SIZE {
                let digest = std::mem::take(&mut self.block).finalize();
                self.overall.update(digest);
                self.in_block = 0;
            }
        }
    }

    /// The lowercase hex hash of everything fed so far.
    pub fn finish(mut self) -> String {
        if self.in_block > 0 {
            let digest = self.block.finalize();
            self.overall.update(digest);
        }
        hex::encode(self.overall.finalize())
    }
}

/// `content_hash` of a byte slice.
pub fn content_hash(data: &[u8]) -> String {
    let mut h = ContentHasher::new();
    h.update(data);
    h.finish()
}

/// SHA-256 of each 4 MiB block of `data` (the last may be short). For block-aligned chunks these are
/// the very digests the whole-file hash is built from, so a chunk's hash and the file's share the work.
pub(crate) fn block_digests(data: &[u8]) -> Vec<[u8; 32]> {
    data.chunks(BLOCK_SIZE)
        .map(|b| Sha256::digest(b).into())
        .collect()
}

/// `content_hash` from block digests.
pub(crate) fn hash_of_digests(digests: &[[u8; 32]]) -> String {
    let mut h = Sha256::new();
    for d in digests {
        h.update(d);
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_content_hashes_to_sha256_of_nothing() {
        // No blocks: SHA-256 of the empty concatenation.
        assert_eq!(
            content_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn incremental_hash_equals_one_shot_across_block_boundaries() {
        let data: Vec<u8> = (0..(BLOCK_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut h = ContentHasher::new();
        for piece in data.chunks(1_000_003) {
            h.update(piece);
        }
        assert_eq!(h.finish(), content_hash(&data));
        assert_eq!(content_hash(&data), dropbox_sandbox::content_hash(&data));
        assert_eq!(hash_of_digests(&block_digests(&data)), content_hash(&data));
    }
}
