//! Dropbox's `content_hash`: SHA-256 over the concatenated SHA-256 digests of each 4 MiB block.
//! Computed while bytes stream past so neither direction ever buffers a whole file.

use crate::error::DropboxError;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Dropbox hashes content in blocks of this size; upload chunks are multiples of it.
pub const BLOCK_SIZE: usize = 4 * 1024 * 1024;

/// Incremental `content_hash`.
#[derive(Clone, Default)]
pub struct ContentHasher {
    overall: Sha256,
    block: Sha256,
    in_block: usize,
    /// Digests of the blocks completed since the last [`take_blocks`](Self::take_blocks) (32 bytes
    /// per 4 MiB: an upload session sends them as each chunk's hash).
    blocks: Vec<[u8; 32]>,
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
                self.blocks.push(digest.into());
                self.in_block = 0;
            }
        }
    }

    /// The lowercase hex hash of everything fed so far.
    pub fn finish(self) -> String {
        self.finish_with_blocks().0
    }

    /// The digests of the whole blocks fed since the last call.
    pub fn take_blocks(&mut self) -> Vec<[u8; 32]> {
        std::mem::take(&mut self.blocks)
    }

    /// [`finish`](Self::finish), with the digests of the blocks not yet taken, the last partial
    /// block's included.
    pub fn finish_with_blocks(mut self) -> (String, Vec<[u8; 32]>) {
        if self.in_block > 0 {
            let digest = self.block.finalize();
            self.overall.update(digest);
            self.blocks.push(digest.into());
        }
        (hex::encode(self.overall.finalize()), self.blocks)
    }
}

/// Bytes handed to the hashing thread at a time.
const BATCH: usize = 1 << 20;

/// A `ContentHasher` that hashes on a blocking thread, beside the transfer: chunks are collected into
/// batches, and each full batch is hashed while the next one arrives, so hashing every byte overlaps
/// moving it instead of adding to it. At most two batches are held, one hashing and one filling: a
/// transfer faster than hashing waits for the previous batch (backpressure, so memory stays bounded).
/// Chunks are kept by reference count, never copied.
pub struct BackgroundHasher {
    batch: Vec<Bytes>,
    batch_len: usize,
    hasher: HasherState,
}

enum HasherState {
    Idle(Box<ContentHasher>),
    Busy(tokio::task::JoinHandle<ContentHasher>),
}

impl Default for BackgroundHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl BackgroundHasher {
    pub fn new() -> Self {
        Self {
            batch: Vec::new(),
            batch_len: 0,
            hasher: HasherState::Idle(Box::default()),
        }
    }

    pub async fn update(&mut self, chunk: Bytes) -> Result<(), DropboxError> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= BATCH {
            let mut hasher = self.idle().await?;
            let batch = std::mem::take(&mut self.batch);
            self.batch_len = 0;
            self.hasher = HasherState::Busy(tokio::task::spawn_blocking(move || {
                batch.iter().for_each(|b| hasher.update(b));
                hasher
            }));
        }
        Ok(())
    }

    /// The hash of everything added; the last partial batch is hashed here.
    pub async fn finish(self) -> Result<String, DropboxError> {
        Ok(self.finish_with_blocks().await?.0)
    }

    /// The digests of the whole blocks of everything added so far that were not taken yet: waits
    /// for the batch being hashed and hashes the one filling (at most one batch).
    pub async fn take_blocks(&mut self) -> Result<Vec<[u8; 32]>, DropboxError> {
        let mut hasher = self.idle().await?;
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        let (hasher, blocks) = tokio::task::spawn_blocking(move || {
            batch.iter().for_each(|b| hasher.update(b));
            let blocks = hasher.take_blocks();
            (hasher, blocks)
        })
        .await
        .map_err(|e| DropboxError::Unexpected(format!("hashing: {e}")))?;
        self.hasher = HasherState::Idle(Box::new(hasher));
        Ok(blocks)
    }

    /// [`ContentHasher::finish_with_blocks`] of everything added.
    pub async fn finish_with_blocks(mut self) -> Result<(String, Vec<[u8; 32]>), DropboxError> {
        let mut hasher = self.idle().await?;
        self.batch.iter().for_each(|b| hasher.update(b));
        Ok(hasher.finish_with_blocks())
    }

    /// The hasher, once it is done with the batch it holds.
    async fn idle(&mut self) -> Result<ContentHasher, DropboxError> {
        match std::mem::replace(&mut self.hasher, HasherState::Idle(Box::default())) {
            HasherState::Idle(h) => Ok(*h),
            HasherState::Busy(task) => task
                .await
                .map_err(|e| DropboxError::Unexpected(format!("hashing: {e}"))),
        }
    }
}

/// `content_hash` of a byte slice.
pub fn content_hash(data: &[u8]) -> String {
    let mut h = ContentHasher::new();
    h.update(data);
    h.finish()
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
        // A chunk's hash and the file's share the work: both are built from the block digests.
        let blocks: Vec<[u8; 32]> = data
            .chunks(BLOCK_SIZE)
            .map(|b| Sha256::digest(b).into())
            .collect();
        assert_eq!(hash_of_digests(&blocks), content_hash(&data));
    }

    #[tokio::test]
    async fn background_hash_equals_one_shot_across_batches_and_blocks() {
        let data = Bytes::from(
            (0..2 * BLOCK_SIZE + 3 * BATCH + 5)
                .map(|i| (i % 253) as u8)
                .collect::<Vec<_>>(),
        );
        // Several batches and blocks with a short tail, an exact block boundary, and nothing.
        for len in [data.len(), 2 * BLOCK_SIZE, 0] {
            let mut h = BackgroundHasher::new();
            for at in (0..len).step_by(300_007) {
                h.update(data.slice(at..(at + 300_007).min(len)))
                    .await
                    .unwrap();
            }
            assert_eq!(h.finish().await.unwrap(), content_hash(&data[..len]));
        }
    }
}
