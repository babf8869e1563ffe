//! Upload sessions over HTTP: `upload_session/start`, `append_v2` and `finish`, sequential or concurrent,
//! and committing a session whose data is all there, which `finish` and the `finish_batch` routes share.
//!
//! Sequential sessions take their data in order and hash it as it comes. Concurrent sessions
//! (`session_type: concurrent`) take no data with `start` or `finish`; their appends may come in any
//! order and in parallel, each at an offset that is a multiple of 4 MiB and each a multiple of 4 MiB long
//! except the one with `close: true`, which fixes the file's length.

use super::call::{Args, Caller};
use super::upload::{commit_blob, content_hash_arg, parse_commit, store_err};
use crate::blobs::{self, StoreError};
use crate::hash::{BLOCK_SIZE, ContentHasher, content_hash};
use crate::paths::PathArg;
use crate::state::Sandbox;
use crate::state::sessions::{NotReady, Piece, SessionType, UploadSession, digests_to_hex};
use crate::state::tree_ops::{BlobRef, Commit};
use crate::util::{now_millis, random_alnum};
use crate::wire::{ApiError, route_err, tag};
use axum::body::Body;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Sessions are good for a week, as on Dropbox.
const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;
/// The largest file an upload session can make (2^41 - 2^22 bytes); appends beyond are `too_large`.
const MAX_FILE: u64 = (1 << 41) - (1 << 22);
const BLOCK: u64 = BLOCK_SIZE as u64;

/// Why an append failed: an `UploadSessionLookupError` or a top-level error of the route.
enum AppendError {
    Lookup(Value),
    Top(ApiError),
}

fn lookup(t: &str) -> AppendError {
    AppendError::Lookup(tag(t))
}

fn top(t: &str) -> AppendError {
    AppendError::Top(ApiError::Route(tag(t)))
}

fn incorrect_offset(correct: u64) -> Value {
    json!({".tag": "incorrect_offset", "correct_offset": correct})
}

/// The caller's session `id`, if it exists and has not expired.
fn live<'s>(
    sessions: &'s mut HashMap<String, UploadSession>,
    id: &str,
    c: &Caller,
) -> Option<&'s mut UploadSession> {
    sessions.get_mut(id).filter(|s| {
        s.account_id == c.account.account_id && now_millis() - s.created_ms < SESSION_TTL_MS
    })
}

/// The running hash of a sequential session; after a restart, rebuilt from the saved block digests and the
/// last partial block read back from disk.
async fn running_hash(
    sb: &Sandbox,
    id: &str,
    s: &UploadSession,
) -> Result<ContentHasher, ApiError> {
    if let Some(h) = &s.hasher {
        return Ok(h.clone());
    }
    let (blocks, from) = s
        .resume_point()
        .ok_or_else(|| ApiError::internal("the upload session's saved state is damaged"))?;
    let tail = blobs::read_range(&sb.blobs.session_path(id), from, (s.offset - from) as usize)
        .await
        .map_err(ApiError::internal)?;
    Ok(ContentHasher::resume(&blocks, &tail))
}

/// What an append wrote.
enum Written {
    Sequential(u64, Box<ContentHasher>),
    Piece(Piece),
}

/// Appends to a sequential session at its end; on any failure the file is cut back.
async fn write_sequential(
    sb: &Sandbox,
    id: &str,
    sess: &UploadSession,
    body: Body,
    chunk_hash: Option<String>,
) -> Result<Written, AppendError> {
    let offset = sess.offset;
    let mut hasher = running_hash(sb, id, sess).await.map_err(AppendError::Top)?;
    // At a block boundary of the session (always, with chunks of a multiple of 4 MiB) the session's
    // hash takes over the chunk's block digests afterwards: every byte is hashed once, not twice.
    let mut chunk = ContentHasher::recording();
    let shared = hasher.at_block_boundary();
    let hashers: &mut [&mut ContentHasher] = if shared {
        &mut [&mut chunk]
    } else {
        &mut [&mut hasher, &mut chunk]
    };
    let path = sb.blobs.session_path(id);
    let written = blobs::write_at(&path, body, sb.config.max_upload_bytes, offset, hashers).await;
    let outcome = match written {
        Ok(_) if chunk_hash.is_some_and(|h| h != chunk.clone().finish_hex()) => {
            Err(top("content_hash_mismatch"))
        }
        Ok(n) => {
            if shared {
                hasher.extend_with(&chunk);
            }
            Ok(Written::Sequential(n, Box::new(hasher)))
        }
        Err(StoreError::TooLarge) => Err(top("payload_too_large")),
        Err(e) => Err(AppendError::Top(store_err(e))),
    };
    if outcome.is_err() {
        let _ = blobs::truncate(&path, offset).await;
    }
    outcome
}

/// Writes a piece of a concurrent session at its offset.
async fn write_piece(
    sb: &Sandbox,
    id: &str,
    offset: u64,
    body: Body,
    close: bool,
    chunk_hash: Option<String>,
) -> Result<Written, AppendError> {
    let mut piece = ContentHasher::recording();
    let path = sb.blobs.session_path(id);
    let written = blobs::write_at(
        &path,
        body,
        sb.config.max_upload_bytes,
        offset,
        &mut [&mut piece],
    )
    .await;
    let len = match written {
        Ok(n) => n,
        Err(StoreError::TooLarge) => return Err(top("payload_too_large")),
        Err(e) => return Err(AppendError::Top(store_err(e))),
    };
    if !close && !len.is_multiple_of(BLOCK) {
        return Err(lookup("concurrent_session_invalid_data_size"));
    }
    if chunk_hash.is_some_and(|h| h != piece.clone().finish_hex()) {
        return Err(top("content_hash_mismatch"));
    }
    let blocks = digests_to_hex(&piece.finish_blocks());
    Ok(Written::Piece(Piece { len, blocks }))
}

/// Appends `body` at `offset`; `close` closes the session.
async fn append(
    sb: &Sandbox,
    c: &Caller,
    id: &str,
    offset: u64,
    body: Body,
    close: bool,
    chunk_hash: Option<String>,
) -> Result<(), AppendError> {
    let claimed = sb.update(|s| {
        let sess = live(&mut s.sessions, id, c).ok_or_else(|| lookup("not_found"))?;
        if offset >= MAX_FILE {
            return Err(lookup("too_large"));
        }
        if sess.is_concurrent() {
            if !offset.is_multiple_of(BLOCK) {
                return Err(lookup("concurrent_session_invalid_offset"));
            }
            if sess.closed && offset >= sess.offset {
                return Err(lookup("closed"));
            }
            if !sess.busy.insert(offset) {
                return Err(AppendError::Lookup(incorrect_offset(offset)));
            }
        } else {
            if !sess.busy.is_empty() || offset != sess.offset {
                return Err(AppendError::Lookup(incorrect_offset(sess.offset)));
            }
            if sess.closed {
                return Err(lookup("closed"));
            }
            sess.busy.insert(offset);
        }
        Ok(sess.clone())
    })?;
    let written = if claimed.is_concurrent() {
        write_piece(sb, id, offset, body, close, chunk_hash).await
    } else {
        write_sequential(sb, id, &claimed, body, chunk_hash).await
    };
    sb.update(|s| {
        let Some(sess) = s.sessions.get_mut(id) else {
            return written.map(|_| ());
        };
        sess.busy.remove(&offset);
        match written? {
            Written::Sequential(n, hasher) => sess.appended(n, *hasher, close),
            Written::Piece(piece) => sess.add_piece(offset, piece, close),
        }
        Ok(())
    })
}

/// `files.UploadSessionCursor` of an argument.
fn cursor_of(a: &Args) -> Result<(String, u64), ApiError> {
    let cur = a.sub("cursor")?.ok_or_else(|| a.missing("cursor"))?;
    let id = cur.str("session_id")?;
    let offset = cur
        .u64("offset", 0, u64::MAX)?
        .ok_or_else(|| cur.missing("offset"))?;
    Ok((id, offset))
}

/// Forgets sessions past their week and removes their data.
async fn sweep_expired(sb: &Sandbox) {
    let now = now_millis();
    let expired: Vec<String> = sb.update(|s| {
        let ids: Vec<String> = s
            .sessions
            .iter()
            .filter(|(_, sess)| now - sess.created_ms >= SESSION_TTL_MS && sess.busy.is_empty())
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            s.sessions.remove(id);
        }
        ids
    });
    for id in expired {
        let _ = tokio::fs::remove_file(sb.blobs.session_path(&id)).await;
    }
}

/// Removes the file of a session that could not start.
async fn discard(path: &std::path::Path, e: ApiError) -> Result<Value, ApiError> {
    let _ = tokio::fs::remove_file(path).await;
    Err(e)
}

pub async fn session_start(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    body: Body,
) -> Result<Value, ApiError> {
    let close = a.bool("close", false)?;
    let session_type = match a.union("session_type")? {
        None => SessionType::Sequential,
        Some((t, _)) if t == "sequential" => SessionType::Sequential,
        Some((t, _)) if t == "concurrent" => SessionType::Concurrent,
        Some((t, _)) => return Err(a.field_err("session_type", format!("unknown tag '{t}'"))),
    };
    let chunk_hash = content_hash_arg(a)?;
    sweep_expired(sb).await;
    let id = format!("pid_upload_session:{}", random_alnum(40));
    let path = sb.blobs.session_path(&id);
    tokio::fs::File::create(&path)
        .await
        .map_err(ApiError::internal)?;
    let session = UploadSession::new(&c.account.account_id, session_type, now_millis());
    if session_type == SessionType::Concurrent {
        if close {
            return discard(
                &path,
                ApiError::Route(tag("concurrent_session_close_not_allowed")),
            )
            .await;
        }
        match blobs::body_is_empty(body).await {
            Ok(true) => {}
            Ok(false) => {
                let refused = ApiError::Route(tag("concurrent_session_data_not_allowed"));
                return discard(&path, refused).await;
            }
            Err(e) => return discard(&path, store_err(e)).await,
        }
        sb.update(|s| s.sessions.insert(id.clone(), session));
        return Ok(json!({"session_id": id}));
    }
    sb.update(|s| s.sessions.insert(id.clone(), session));
    match append(sb, c, &id, 0, body, close, chunk_hash).await {
        Ok(()) => Ok(json!({"session_id": id})),
        Err(e) => {
            sb.update(|s| s.sessions.remove(&id));
            let e = match e {
                AppendError::Lookup(v) => ApiError::internal(v),
                AppendError::Top(e) => e,
            };
            discard(&path, e).await
        }
    }
}

pub async fn session_append(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    body: Body,
) -> Result<Value, ApiError> {
    let (id, offset) = cursor_of(a)?;
    let close = a.bool("close", false)?;
    let chunk_hash = content_hash_arg(a)?;
    match append(sb, c, &id, offset, body, close, chunk_hash).await {
        Ok(()) => Ok(Value::Null),
        Err(AppendError::Lookup(v)) => Err(ApiError::Route(v)),
        Err(AppendError::Top(e)) => Err(e),
    }
}

pub async fn session_finish(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    body: Body,
) -> Result<Value, ApiError> {
    let (id, offset) = cursor_of(a)?;
    let commit_args = a.sub("commit")?.ok_or_else(|| a.missing("commit"))?;
    let (p, commit) = parse_commit(&commit_args, |m| route_err("path", m))?;
    // Like every upload-style call, `content_hash` covers the data sent in this call.
    let chunk_hash = content_hash_arg(a)?;
    let sess = sb.update(|s| live(&mut s.sessions, &id, c).cloned());
    let Some(sess) = sess else {
        return Err(route_err("lookup_failed", tag("not_found")));
    };
    let commit_at = if sess.is_concurrent() || sess.closed {
        // Nothing comes with this commit: a concurrent session's data came by append, a closed one is
        // complete.
        if !blobs::body_is_empty(body).await.map_err(store_err)? {
            return Err(if sess.is_concurrent() {
                ApiError::Route(tag("concurrent_session_data_not_allowed"))
            } else {
                route_err("lookup_failed", tag("closed"))
            });
        }
        if chunk_hash.is_some_and(|h| h != content_hash(b"")) {
            return Err(ApiError::Route(tag("content_hash_mismatch")));
        }
        Some(offset)
    } else {
        append(sb, c, &id, offset, body, false, chunk_hash)
            .await
            .map_err(|e| match e {
                AppendError::Lookup(v) => route_err("lookup_failed", v),
                AppendError::Top(e) => e,
            })?;
        None
    };
    let ready = Ready {
        id: &id,
        offset: commit_at,
        must_be_closed: false,
    };
    commit_session(sb, c, ready, &p, commit, None).await
}

/// Which session to commit and what it must look like.
pub struct Ready<'a> {
    pub id: &'a str,
    /// The cursor's offset, which must be the session's length; `None` when the data just came with the
    /// call.
    pub offset: Option<u64>,
    /// `finish_batch` commits only closed sessions.
    pub must_be_closed: bool,
}

/// Commits a session whose data is all there: checks it, derives the file's hash (checked against
/// `whole_hash` when given), moves the data into the blob store and commits it to `p`. The session is
/// taken out meanwhile and put back if anything fails, for a retry. Errors are
/// `UploadSessionFinishError`s.
pub async fn commit_session(
    sb: &Sandbox,
    c: &Caller,
    ready: Ready<'_>,
    p: &PathArg,
    commit: Commit,
    whole_hash: Option<String>,
) -> Result<Value, ApiError> {
    let id = ready.id;
    let lookup_failed = |v: Value| route_err("lookup_failed", v);
    let (sess, concurrent_hash) = sb.update(|s| {
        let sess = live(&mut s.sessions, id, c).ok_or_else(|| lookup_failed(tag("not_found")))?;
        if !sess.busy.is_empty() {
            return Err(lookup_failed(incorrect_offset(sess.offset)));
        }
        let hash = if sess.is_concurrent() {
            Some(sess.concurrent_hash().map_err(|e| {
                ApiError::Route(tag(match e {
                    NotReady::NotClosed => "concurrent_session_not_closed",
                    NotReady::MissingData => "concurrent_session_missing_data",
                }))
            })?)
        } else if ready.must_be_closed && !sess.closed {
            return Err(lookup_failed(tag("not_closed")));
        } else {
            None
        };
        if let Some(o) = ready.offset
            && o != sess.offset
        {
            return Err(lookup_failed(incorrect_offset(sess.offset)));
        }
        let sess = s
            .sessions
            .remove(id)
            .ok_or_else(|| lookup_failed(tag("not_found")))?;
        Ok((sess, hash))
    })?;
    let put_back = |sess: UploadSession| {
        sb.update(|s| s.sessions.insert(id.to_string(), sess));
    };
    let hash = match concurrent_hash {
        Some(h) => h,
        None => match running_hash(sb, id, &sess).await {
            Ok(h) => h.finish_hex(),
            Err(e) => {
                put_back(sess);
                return Err(e);
            }
        },
    };
    if whole_hash.is_some_and(|h| h != hash) {
        put_back(sess);
        return Err(ApiError::Route(tag("content_hash_mismatch")));
    }
    let path = sb.blobs.session_path(id);
    // A concurrent session's file may hold bytes of refused pieces past its end.
    let adopted = match blobs::truncate(&path, sess.offset).await {
        Ok(()) => sb.blobs.adopt_session(id).await,
        Err(e) => Err(e),
    };
    let name = match adopted {
        Ok(name) => name,
        Err(e) => {
            put_back(sess);
            return Err(ApiError::internal(e));
        }
    };
    let blob = BlobRef {
        name,
        size: sess.offset,
        content_hash: hash,
    };
    let result = commit_blob(sb, c, p, commit, &blob, |w| route_err("path", w));
    if result.is_err() {
        let _ = tokio::fs::rename(sb.blobs.blob_path(&blob.name), &path).await;
        put_back(sess);
    }
    result
}

/// An entry of `finish_batch`: `files.UploadSessionFinishArg`, parsed.
pub struct FinishEntry {
    id: String,
    offset: u64,
    path: PathArg,
    commit: Commit,
    content_hash: Option<String>,
}

impl FinishEntry {
    pub fn parse(a: &Args) -> Result<Self, ApiError> {
        let (id, offset) = cursor_of(a)?;
        let commit_args = a.sub("commit")?.ok_or_else(|| a.missing("commit"))?;
        let (path, commit) = parse_commit(&commit_args, |m| route_err("path", m))?;
        Ok(Self {
            id,
            offset,
            path,
            commit,
            content_hash: content_hash_arg(a)?,
        })
    }

    /// Commits the entry's closed session; a `content_hash` must be the whole file's (no data comes with
    /// a batch commit).
    pub async fn run(&self, sb: &Sandbox, c: &Caller) -> Result<Value, ApiError> {
        let ready = Ready {
            id: &self.id,
            offset: Some(self.offset),
            must_be_closed: true,
        };
        let whole = self.content_hash.clone();
        commit_session(sb, c, ready, &self.path, self.commit.clone(), whole).await
    }
}
