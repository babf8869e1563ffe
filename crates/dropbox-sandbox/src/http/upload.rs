//! Upload-style routes: `files/upload` and the upload session trio. Bodies stream to disk; the content hash
//! is computed on the way and checked against the client's `content_hash` when given.

use super::call::{Args, Caller, resolve, write_err};
use crate::blobs::{StoreError, append_body};
use crate::hash::ContentHasher;
use crate::paths::{PathArg, PathKind};
use crate::state::tree::file_metadata;
use crate::state::tree_ops::{BlobRef, Commit, WriteMode};
use crate::state::{Sandbox, UploadSession, lock};
use crate::util::{parse_timestamp, random_alnum};
use crate::wire::{ApiError, route_err, tag};
use axum::body::Body;
use axum::http::HeaderMap;
use serde_json::{Value, json};

pub fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let ok = [
        "application/octet-stream",
        "text/plain; charset=dropbox-cors-hack",
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(ct));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Bad HTTP \"Content-Type\" header: \"{ct}\".  Expecting one of \"application/octet-stream\", \"text/plain; charset=dropbox-cors-hack\"."
        )))
    }
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::TooLarge => ApiError::Route(tag("payload_too_large")),
        StoreError::Body(m) => ApiError::bad_request(format!("request body: {m}")),
        StoreError::Io(e) => ApiError::internal(e),
    }
}

fn content_hash_arg(a: &Args) -> Result<Option<String>, ApiError> {
    let h = a.opt_str("content_hash")?;
    if let Some(h) = &h
        && h.len() != 64
    {
        return Err(ApiError::bad_request(format!(
            "HTTP header \"Dropbox-API-Arg\": content_hash: '{h}' must be 64 characters long"
        )));
    }
    Ok(h.map(|h| h.to_lowercase()))
}

/// `files.CommitInfo` → the path argument and commit options. `malformed` wraps a malformed-path error.
fn parse_commit(
    a: &Args,
    malformed: impl FnOnce(Value) -> ApiError,
) -> Result<(PathArg, Commit), ApiError> {
    let p = a.path("path", PathKind::WriteOrId, malformed)?;
    let mode = match a.union("mode")? {
        None => WriteMode::Add,
        Some((t, v)) => match t.as_str() {
            "add" => WriteMode::Add,
            "overwrite" => WriteMode::Overwrite,
            "update" => match v.get("update").and_then(Value::as_str) {
                Some(r) if r.len() >= 9 && r.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    WriteMode::Update(r.to_string())
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "HTTP header \"Dropbox-API-Arg\": mode: invalid rev for update",
                    ));
                }
            },
            other => {
                return Err(ApiError::bad_request(format!(
                    "HTTP header \"Dropbox-API-Arg\": mode: unknown tag '{other}'"
                )));
            }
        },
    };
    let client_modified = match a.opt_str("client_modified")? {
        None => None,
        Some(s) => Some(parse_timestamp(&s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "HTTP header \"Dropbox-API-Arg\": client_modified: '{s}' is not a timestamp of format '%Y-%m-%dT%H:%M:%SZ'"
            ))
        })?),
    };
    let commit = Commit {
        path: String::new(),
        mode,
        autorename: a.bool("autorename", false)?,
        strict_conflict: a.bool("strict_conflict", false)?,
        client_modified,
    };
    Ok((p, commit))
}

/// Resolves the commit path and commits `blob`; `wrap` builds the route error from a `WriteError`.
fn commit_blob(
    sb: &Sandbox,
    c: &Caller,
    p: &PathArg,
    mut commit: Commit,
    blob: &BlobRef,
    wrap: impl Fn(Value) -> ApiError,
) -> Result<Value, ApiError> {
    let r = resolve(sb, c, p).map_err(|e| wrap(write_err(&e)))?;
    if r.key.is_empty() {
        return Err(wrap(tag("malformed_path")));
    }
    commit.path = r.path;
    let f = sb
        .mutate(|s| s.tree.commit_file(&r.nsid, &commit, blob))
        .map_err(|e| wrap(write_err(&e)))?;
    Ok(file_metadata(&f))
}

fn upload_failed(reason: Value) -> ApiError {
    ApiError::Route(
        json!({".tag": "path", "reason": reason, "upload_session_id": random_alnum(24)}),
    )
}

pub async fn upload(sb: &Sandbox, c: &Caller, a: &Args, body: Body) -> Result<Value, ApiError> {
    let (p, commit) = parse_commit(a, upload_failed)?;
    let expected = content_hash_arg(a)?;
    let blob = sb
        .blobs
        .store_body(body, sb.config.max_upload_bytes)
        .await
        .map_err(store_err)?;
    if expected.is_some_and(|h| h != blob.content_hash) {
        let _ = tokio::fs::remove_file(sb.blobs.blob_path(&blob.name)).await;
        return Err(ApiError::Route(tag("content_hash_mismatch")));
    }
    commit_blob(sb, c, &p, commit, &blob, upload_failed)
}

/// Why appending to a session failed: a `UploadSessionLookupError` or a top-level error of the route.
enum AppendError {
    Lookup(Value),
    Top(ApiError),
}

async fn append(
    sb: &Sandbox,
    c: &Caller,
    id: &str,
    offset: u64,
    body: Body,
    close: bool,
    chunk_hash: Option<String>,
) -> Result<(), AppendError> {
    let mut hasher = {
        let mut sessions = lock(&sb.sessions);
        let s = sessions
            .get_mut(id)
            .filter(|s| s.account_id == c.account.account_id)
            .ok_or_else(|| AppendError::Lookup(tag("not_found")))?;
        if s.busy || offset != s.offset {
            return Err(AppendError::Lookup(
                json!({".tag": "incorrect_offset", "correct_offset": s.offset}),
            ));
        }
        if s.closed {
            return Err(AppendError::Lookup(tag("closed")));
        }
        s.busy = true;
        s.hasher.clone()
    };
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
    let result = append_body(&path, body, sb.config.max_upload_bytes, offset, hashers).await;
    if shared && result.is_ok() {
        hasher.extend_with(&chunk);
    }
    let outcome = match result {
        Ok(_)
            if chunk_hash
                .as_ref()
                .is_some_and(|h| *h != chunk.finish_hex()) =>
        {
            let _ = truncate(&path, offset).await;
            Err(AppendError::Top(ApiError::Route(tag(
                "content_hash_mismatch",
            ))))
        }
        Ok(n) => Ok(n),
        Err(StoreError::TooLarge) => {
            Err(AppendError::Top(ApiError::Route(tag("payload_too_large"))))
        }
        Err(e) => Err(AppendError::Top(store_err(e))),
    };
    let mut sessions = lock(&sb.sessions);
    if let Some(s) = sessions.get_mut(id) {
        s.busy = false;
        if let Ok(n) = &outcome {
            s.offset += n;
            s.hasher = hasher;
            s.closed |= close;
        }
    }
    outcome.map(|_| ())
}

async fn truncate(path: &std::path::Path, len: u64) -> std::io::Result<()> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .await?
        .set_len(len)
        .await
}

fn cursor_of(a: &Args) -> Result<(String, u64), ApiError> {
    let cur = a.sub("cursor")?.ok_or_else(|| {
        ApiError::bad_request("HTTP header \"Dropbox-API-Arg\": missing required field 'cursor'")
    })?;
    let id = cur.str("session_id")?;
    let offset = cur.u64("offset", 0, u64::MAX)?.ok_or_else(|| {
        ApiError::bad_request(
            "HTTP header \"Dropbox-API-Arg\": cursor: missing required field 'offset'",
        )
    })?;
    Ok((id, offset))
}

pub async fn session_start(
    sb: &Sandbox,
    c: &Caller,
    a: &Args,
    body: Body,
) -> Result<Value, ApiError> {
    let close = a.bool("close", false)?;
    let chunk_hash = content_hash_arg(a)?;
    let id = format!("pid_upload_session:{}", random_alnum(40));
    let path = sb.blobs.session_path(&id);
    tokio::fs::File::create(&path)
        .await
        .map_err(ApiError::internal)?;
    lock(&sb.sessions).insert(
        id.clone(),
        UploadSession {
            account_id: c.account.account_id.clone(),
            offset: 0,
            closed: false,
            busy: false,
            hasher: ContentHasher::new(),
        },
    );
    match append(sb, c, &id, 0, body, close, chunk_hash).await {
        Ok(()) => Ok(json!({"session_id": id})),
        Err(e) => {
            lock(&sb.sessions).remove(&id);
            let _ = tokio::fs::remove_file(&path).await;
            Err(match e {
                AppendError::Lookup(v) => ApiError::internal(v),
                AppendError::Top(e) => e,
            })
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
    let commit_args = a.sub("commit")?.ok_or_else(|| {
        ApiError::bad_request("HTTP header \"Dropbox-API-Arg\": missing required field 'commit'")
    })?;
    let (p, commit) = parse_commit(&commit_args, |m| route_err("path", m))?;
    // Like every upload-style call, `content_hash` covers the data sent in this call.
    let chunk_hash = content_hash_arg(a)?;
    let closed = lock(&sb.sessions).get(&id).is_some_and(|s| s.closed);
    if !closed {
        match append(sb, c, &id, offset, body, false, chunk_hash).await {
            Ok(()) => {}
            Err(AppendError::Lookup(v)) => return Err(route_err("lookup_failed", v)),
            Err(AppendError::Top(e)) => return Err(e),
        }
    } else {
        let current = lock(&sb.sessions).get(&id).map(|s| s.offset).unwrap_or(0);
        if offset != current {
            let v = json!({".tag": "incorrect_offset", "correct_offset": current});
            return Err(route_err("lookup_failed", v));
        }
        if chunk_hash.is_some_and(|h| h != crate::hash::content_hash(b"")) {
            return Err(ApiError::Route(tag("content_hash_mismatch")));
        }
    }
    let session = lock(&sb.sessions)
        .get(&id)
        .cloned()
        .ok_or_else(|| route_err("lookup_failed", tag("not_found")))?;
    let hash = session.hasher.clone().finish_hex();
    let name = sb
        .blobs
        .adopt_session(&id)
        .await
        .map_err(ApiError::internal)?;
    let blob = BlobRef {
        name,
        size: session.offset,
        content_hash: hash,
    };
    let result = commit_blob(sb, c, &p, commit, &blob, |w| route_err("path", w));
    if result.is_ok() {
        lock(&sb.sessions).remove(&id);
    } else {
        // Keep the session usable for a retried commit.
        let _ = tokio::fs::rename(sb.blobs.blob_path(&blob.name), sb.blobs.session_path(&id)).await;
    }
    result
}
