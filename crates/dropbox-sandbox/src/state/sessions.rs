//! Upload sessions. Their data lives in `data_dir/sessions/<id>`; the session itself is part of the saved
//! state, so an interrupted upload resumes after a restart. What the content hash needs is saved as the
//! digests of the finished 4 MiB blocks: a restored sequential session rehashes at most its last partial
//! block. Concurrent sessions (`session_type: concurrent`) take pieces at any 4 MiB-aligned offset, in any
//! order; each piece keeps its own block digests, and the file's hash is the hash of all of them in order.

use crate::hash::{BLOCK_SIZE, ContentHasher, hash_of_blocks};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// `files.UploadSessionType`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SessionType {
    #[default]
    Sequential,
    Concurrent,
}

/// A piece of a concurrent session.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Piece {
    pub len: u64,
    /// Hex digests of its blocks (the last one partial for the closing piece).
    pub blocks: Vec<String>,
}

/// An upload session in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadSession {
    pub account_id: String,
    #[serde(default)]
    pub session_type: SessionType,
    /// Sequential: bytes received. Concurrent: the file's length, known once the closing piece arrived.
    pub offset: u64,
    pub closed: bool,
    #[serde(default)]
    pub created_ms: i64,
    /// Sequential: hex digests of the finished blocks.
    #[serde(default)]
    pub blocks: Vec<String>,
    /// Concurrent: pieces received, by offset.
    #[serde(default)]
    pub pieces: BTreeMap<u64, Piece>,
    /// Offsets being appended at right now.
    #[serde(skip)]
    pub busy: BTreeSet<u64>,
    /// Sequential: the running hash, rebuilt from `blocks` and the file after a restart.
    #[serde(skip)]
    pub hasher: Option<ContentHasher>,
}

/// Hex of block digests, and back.
pub fn digests_to_hex(blocks: &[[u8; 32]]) -> Vec<String> {
    blocks.iter().map(hex::encode).collect()
}

pub fn digests_from_hex(blocks: &[String]) -> Option<Vec<[u8; 32]>> {
    blocks
        .iter()
        .map(|h| hex::decode(h).ok()?.try_into().ok())
        .collect()
}

/// Why a concurrent session cannot be finished yet (`UploadSessionFinishError` tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReady {
    NotClosed,
    MissingData,
}

impl UploadSession {
    pub fn new(account_id: &str, session_type: SessionType, now_ms: i64) -> Self {
        Self {
            account_id: account_id.to_string(),
            session_type,
            offset: 0,
            closed: false,
            created_ms: now_ms,
            blocks: Vec::new(),
            pieces: BTreeMap::new(),
            busy: BTreeSet::new(),
            hasher: Some(ContentHasher::recording()),
        }
    }

    pub fn is_concurrent(&self) -> bool {
        self.session_type == SessionType::Concurrent
    }

    /// Where a sequential session's hash has to be rebuilt from: the finished blocks and the offset of the
    /// partial block to rehash from the file.
    pub fn resume_point(&self) -> Option<(Vec<[u8; 32]>, u64)> {
        let blocks = digests_from_hex(&self.blocks)?;
        let from = blocks.len() as u64 * BLOCK_SIZE as u64;
        (from <= self.offset).then_some((blocks, from))
    }

    /// Records a sequential append that ended with `hasher`.
    pub fn appended(&mut self, len: u64, hasher: ContentHasher, close: bool) {
        self.offset += len;
        self.blocks = digests_to_hex(hasher.block_digests());
        self.hasher = Some(hasher);
        self.closed |= close;
    }

    /// Records a piece of a concurrent session; the closing piece fixes the length.
    pub fn add_piece(&mut self, offset: u64, piece: Piece, close: bool) {
        if close {
            self.closed = true;
            self.offset = offset + piece.len;
        }
        self.pieces.insert(offset, piece);
    }

    /// The content hash of a concurrent session whose pieces cover `[0, offset)` without gaps.
    pub fn concurrent_hash(&self) -> Result<String, NotReady> {
        if !self.closed {
            return Err(NotReady::NotClosed);
        }
        let mut next = 0;
        let mut digests = Vec::new();
        for (at, piece) in self.pieces.range(..self.offset.max(1)) {
            if *at != next {
                return Err(NotReady::MissingData);
            }
            digests.extend(digests_from_hex(&piece.blocks).ok_or(NotReady::MissingData)?);
            next = at + piece.len;
        }
        if next != self.offset {
            return Err(NotReady::MissingData);
        }
        Ok(hash_of_blocks(&digests))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::content_hash;

    fn piece(data: &[u8]) -> Piece {
        let mut h = ContentHasher::recording();
        h.update(data);
        Piece {
            len: data.len() as u64,
            blocks: digests_to_hex(&h.finish_blocks()),
        }
    }

    #[test]
    fn a_concurrent_session_hashes_its_pieces_in_offset_order() {
        let data: Vec<u8> = (0..(2 * BLOCK_SIZE + 9)).map(|i| (i % 229) as u8).collect();
        let b = BLOCK_SIZE as u64;
        let mut s = UploadSession::new("a", SessionType::Concurrent, 0);
        s.add_piece(2 * b, piece(&data[2 * BLOCK_SIZE..]), true);
        assert_eq!(s.concurrent_hash(), Err(NotReady::MissingData));
        s.add_piece(0, piece(&data[..BLOCK_SIZE]), false);
        assert_eq!(s.concurrent_hash(), Err(NotReady::MissingData));
        s.add_piece(b, piece(&data[BLOCK_SIZE..2 * BLOCK_SIZE]), false);
        assert_eq!(s.concurrent_hash(), Ok(content_hash(&data)));
        assert_eq!(s.offset, data.len() as u64);
    }

    #[test]
    fn an_unclosed_concurrent_session_is_not_ready_and_an_empty_one_hashes_nothing() {
        let mut s = UploadSession::new("a", SessionType::Concurrent, 0);
        assert_eq!(s.concurrent_hash(), Err(NotReady::NotClosed));
        s.add_piece(0, piece(b""), true);
        assert_eq!(s.concurrent_hash(), Ok(content_hash(b"")));
    }

    #[test]
    fn a_saved_session_round_trips_without_its_hasher() {
        let mut s = UploadSession::new("a", SessionType::Sequential, 5);
        let mut h = ContentHasher::recording();
        h.update(&vec![1u8; BLOCK_SIZE + 3]);
        s.appended((BLOCK_SIZE + 3) as u64, h, false);
        let back: UploadSession =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert!(back.hasher.is_none());
        let (blocks, from) = back.resume_point().unwrap();
        assert_eq!((blocks.len(), from), (1, BLOCK_SIZE as u64));
    }
}
