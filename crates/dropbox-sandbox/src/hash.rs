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
    /// Each finished block's digest, kept only by a [`ContentHasher::recording`] hasher.
    blocks: Option<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for ContentHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentHasher")
            .field("block_len", &self.block_len)
            .finish_non_exhaustive()
    }
}

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// A hasher that also keeps each block's digest, so that a hash standing at a block boundary can
    /// take over its work with [`ContentHasher::extend_with`] instead of hashing the same bytes again.
    pub fn recording() -> Self {
        Self {
            blocks: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// Whether the bytes hashed so far fill whole blocks (nothing, too, counts).
    pub fn at_block_boundary(&self) -> bool {
        self.block_len == 0
    }

    /// Continues this hash with everything `next` hashed, as if it had been fed the same bytes. Only
    /// possible at a block boundary of this hash and with a recording `next`; returns false and changes
    /// nothing otherwise.
    pub fn extend_with(&mut self, next: &ContentHasher) -> bool {
        let Some(blocks) = next.blocks.as_ref().filter(|_| self.at_block_boundary()) else {
            return false;
        };
        blocks.iter().for_each(|d| self.overall.update(d));
        if let Some(own) = self.blocks.as_mut() {
            own.extend_from_slice(blocks);
        }
        self.block = next.block.clone();
        self.block_len = next.block_len;
        true
    }

    /// A recording hasher continuing from the digests of finished blocks, fed `tail` (the bytes after
    /// them, less than a block): how an upload session's hash is restored without rehashing its content.
    pub fn resume(blocks: &[[u8; 32]], tail: &[u8]) -> Self {
        let mut h = Self::recording();
        for d in blocks {
            h.overall.update(d);
        }
        if let Some(own) = h.blocks.as_mut() {
            own.extend_from_slice(blocks);
        }
        h.update(tail);
        h
    }

    /// Digests of the finished blocks (a recording hasher keeps them; others have none).
    pub fn block_digests(&self) -> &[[u8; 32]] {
        self.blocks.as_deref().unwrap_or(&[])
    }

    /// Bytes hashed since the last finished block.
    pub fn tail_len(&self) -> usize {
        self.block_len
    }

    /// Every block digest, the partial last block's included: what a piece of a concurrent upload
    /// contributes to the file's hash (see [`hash_of_blocks`]).
    pub fn finish_blocks(mut self) -> Vec<[u8; 32]> {
        if self.blocks.is_none() {
            self.blocks = Some(Vec::new());
        }
        if self.block_len > 0 {
            self.finish_block();
        }
        self.blocks.unwrap_or_default()
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
        if let Some(blocks) = self.blocks.as_mut() {
            blocks.push(digest.into());
        }
        self.block_len = 0;
    }

    pub fn finish_hex(mut self) -> String {
        if self.block_len > 0 {
            self.finish_block();
        }
        hex::encode(self.overall.finalize())
    }
}

/// The content hash of content whose blocks have these digests, in order.
pub fn hash_of_blocks(blocks: &[[u8; 32]]) -> String {
    let mut overall = Sha256::new();
    for d in blocks {
        overall.update(d);
    }
    hex::encode(overall.finalize())
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
    fn a_hash_extended_with_a_recorded_one_equals_hashing_everything() {
        let data: Vec<u8> = (0..(3 * BLOCK_SIZE + 99))
            .map(|i| (i % 241) as u8)
            .collect();
        // From a block boundary (also from nothing), with whole and partial blocks following.
        for split in [0, BLOCK_SIZE, 2 * BLOCK_SIZE] {
            for end in [2 * BLOCK_SIZE, 3 * BLOCK_SIZE + 99] {
                let (head, tail) = (&data[..split], &data[split..end.max(split)]);
                let mut whole = ContentHasher::new();
                whole.update(head);
                let mut next = ContentHasher::recording();
                next.update(tail);
                assert!(whole.extend_with(&next));
                // The extended hasher goes on hashing correctly.
                whole.update(b"more");
                let mut expected = data[..end.max(split)].to_vec();
                expected.extend_from_slice(b"more");
                assert_eq!(whole.finish_hex(), content_hash(&expected), "{split} {end}");
            }
        }
    }

    #[test]
    fn a_hash_inside_a_block_or_a_plain_next_hash_is_not_extended() {
        let mut inside = ContentHasher::new();
        inside.update(b"abc");
        let mut next = ContentHasher::recording();
        next.update(b"def");
        assert!(!inside.extend_with(&next));
        assert_eq!(inside.finish_hex(), content_hash(b"abc"));
        assert!(!ContentHasher::new().extend_with(&ContentHasher::new()));
    }

    #[test]
    fn a_resumed_hash_equals_hashing_everything() {
        let data: Vec<u8> = (0..(2 * BLOCK_SIZE + 500))
            .map(|i| (i % 239) as u8)
            .collect();
        let mut first = ContentHasher::recording();
        first.update(&data[..BLOCK_SIZE + 7]);
        let blocks = first.block_digests().to_vec();
        assert_eq!(blocks.len(), 1);
        assert_eq!(first.tail_len(), 7);
        let mut resumed = ContentHasher::resume(&blocks, &data[BLOCK_SIZE..BLOCK_SIZE + 7]);
        resumed.update(&data[BLOCK_SIZE + 7..]);
        assert_eq!(resumed.block_digests().len(), 2);
        assert_eq!(resumed.finish_hex(), content_hash(&data));
    }

    #[test]
    fn pieces_hashed_apart_at_block_boundaries_give_the_whole_hash() {
        let data: Vec<u8> = (0..(2 * BLOCK_SIZE + 3)).map(|i| (i % 233) as u8).collect();
        let mut digests = Vec::new();
        for piece in [&data[..BLOCK_SIZE], &data[BLOCK_SIZE..]] {
            let mut h = ContentHasher::recording();
            h.update(piece);
            digests.extend(h.finish_blocks());
        }
        assert_eq!(hash_of_blocks(&digests), content_hash(&data));
        assert_eq!(hash_of_blocks(&[]), content_hash(b""));
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
