//! `files/upload`, and what every upload-style commit shares: the `Content-Type` check, `files.CommitInfo`,
//! the `content_hash` argument and committing stored content to a path. Bodies stream to disk; the content
//! hash is computed on the way and checked against the client's `content_hash` when given.

use super::call::{Args, Caller, resolve, write_err};
use crate::blobs::StoreError;
use crate::paths::{PathArg, PathKind};
use crate::state::Sandbox;
use crate::state::tree::file_metadata;
use crate::state::tree_ops::{BlobRef, Commit, WriteMode};
use crate::util::{parse_timestamp, random_alnum};
use crate::wire::{ApiError, tag};
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

pub fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::TooLarge => ApiError::Route(tag("payload_too_large")),
        StoreError::Body(m) => ApiError::bad_request(format!("request body: {m}")),
        StoreError::Io(e) => ApiError::internal(e),
    }
}

/// The `content_hash` argument (`Sha256HexHash`), lowercased.
pub fn content_hash_arg(a: &Args) -> Result<Option<String>, ApiError> {
    let h = a.opt_str("content_hash")?;
    match &h {
        Some(h) if h.len() != 64 => {
            return Err(a.field_err("content_hash", format!("'{h}' must be 64 characters long")));
        }
        Some(h) if !h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            return Err(a.field_err(
                "content_hash",
                format!("'{h}' did not match pattern '[0-9a-f]{{64}}'"),
            ));
        }
        _ => {}
    }
    Ok(h.map(|h| h.to_lowercase()))
}

/// `files.CommitInfo` → the path argument and commit options. `malformed` wraps a malformed-path error.
pub fn parse_commit(
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
                _ => return Err(a.field_err("mode", "invalid rev for update")),
            },
            other => return Err(a.field_err("mode", format!("unknown tag '{other}'"))),
        },
    };
    let client_modified = match a.opt_str("client_modified")? {
        None => None,
        Some(s) => Some(parse_timestamp(&s).ok_or_else(|| {
            a.field_err(
                "client_modified",
                format!("'{s}' is not a timestamp of format '%Y-%m-%dT%H:%M:%SZ'"),
            )
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

/// Resolves the commit path and commits `blob`; `wrap` builds the route error from a `WriteError`. Returns
/// the `FileMetadata` as the caller sees it.
pub fn commit_blob(
    sb: &Sandbox,
    c: &Caller,
    p: &PathArg,
    mut commit: Commit,
    blob: &BlobRef,
    wrap: impl Fn(Value) -> ApiError,
) -> Result<Value, ApiError> {
    let r = resolve(sb, c, p).map_err(|e| wrap(write_err(&e)))?;
    r.writable().map_err(|e| wrap(write_err(&e)))?;
    commit.path = r.path;
    sb.mutate(|s| {
        let f = s.tree.commit_file(&r.nsid, &commit, blob)?;
        Ok(c.present(&s.tree, &r.nsid, file_metadata(&f)))
    })
    .map_err(|e| wrap(write_err(&e)))
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
