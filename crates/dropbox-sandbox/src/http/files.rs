//! File operations answered with JSON: get_metadata, create_folder_v2, delete_v2, move_v2/copy_v2,
//! search_v2 (+ continue), list_revisions and restore.

use super::call::{Args, Caller, Resolved, lookup_err, resolve, write_err};
use crate::paths::{PathArg, PathKind};
use crate::state::Sandbox;
use crate::state::tree::{OpError, deleted_metadata, file_metadata, tagged};
use crate::util::format_timestamp;
use crate::wire::{ApiError, route_err, tag};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Opaque cursor: URL-safe base64 of JSON.
pub fn encode_cursor(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

pub fn decode_cursor(s: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(s.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn resolve_or(sb: &Sandbox, c: &Caller, p: &PathArg, outer: &str) -> Result<Resolved, ApiError> {
    resolve(sb, c, p).map_err(|e| route_err(outer, lookup_err(&e)))
}

pub fn get_metadata(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Read, |m| route_err("path", m))?;
    let include_deleted = a.bool("include_deleted", false)?;
    let state = sb.read();
    if let PathArg::Rev(rev) = &p {
        return state
            .tree
            .find_rev(&c.nsids, rev)
            .map(|f| tagged("file", file_metadata(f)))
            .ok_or_else(|| route_err("path", tag("not_found")));
    }
    drop(state);
    let r = resolve_or(sb, c, &p, "path")?;
    if r.key.is_empty() {
        return Err(ApiError::bad_request(
            "request body: path: The root folder is unsupported.",
        ));
    }
    let state = sb.read();
    let ns = state.tree.ns(&r.nsid);
    if let Some(e) = ns.and_then(|n| n.entries.get(&r.key)) {
        return Ok(e.tagged());
    }
    match ns.and_then(|n| n.tombs.get(&r.key)) {
        Some(t) if include_deleted => Ok(deleted_metadata(&t.path_display)),
        _ => Err(route_err("path", tag("not_found"))),
    }
}

pub fn create_folder(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Write, |m| route_err("path", m))?;
    let autorename = a.bool("autorename", false)?;
    let r = resolve(sb, c, &p).map_err(|e| route_err("path", write_err(&e)))?;
    if r.key.is_empty() {
        return Err(route_err("path", tag("malformed_path")));
    }
    let entry = sb
        .mutate(|s| s.tree.create_folder(&r.nsid, &r.path, autorename))
        .map_err(|e| route_err("path", write_err(&e)))?;
    Ok(json!({"metadata": entry.metadata()}))
}

pub fn delete(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::WriteOrId, |m| route_err("path_lookup", m))?;
    let r = resolve_or(sb, c, &p, "path_lookup")?;
    let entry = sb
        .mutate(|s| s.tree.delete(&r.nsid, &r.key))
        .map_err(|e| route_err("path_lookup", lookup_err(&e)))?;
    Ok(json!({"metadata": entry.tagged()}))
}

pub fn relocate(sb: &Sandbox, c: &Caller, a: &Args, copy: bool) -> Result<Value, ApiError> {
    let from = a.path("from_path", PathKind::WriteOrId, |m| {
        route_err("from_lookup", m)
    })?;
    let to = a.path("to_path", PathKind::WriteOrId, |m| route_err("to", m))?;
    let autorename = a.bool("autorename", false)?;
    let from = resolve_or(sb, c, &from, "from_lookup")?;
    let to = resolve(sb, c, &to).map_err(|e| route_err("to", write_err(&e)))?;
    if to.key.is_empty() {
        return Err(route_err("to", tag("malformed_path")));
    }
    if from.nsid != to.nsid {
        return Err(route_err("to", tag("no_write_permission")));
    }
    let entry = sb
        .mutate(|s| {
            s.tree
                .relocate(&from.nsid, &from.path, &to.path, copy, autorename)
        })
        .map_err(|(src, e)| match (src, e) {
            (true, e) => route_err("from_lookup", lookup_err(&e)),
            (false, OpError::CantMoveIntoItself) => ApiError::Route(tag(if copy {
                "cant_copy_into_itself"
            } else {
                "cant_move_folder_into_itself"
            })),
            (false, e) => route_err("to", write_err(&e)),
        })?;
    Ok(json!({"metadata": entry.tagged()}))
}

fn search_page(sb: &Sandbox, q: &Value) -> Result<Value, ApiError> {
    let s = |k: &str| {
        q.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (nsid, key, query) = (s("ns"), s("key"), s("query"));
    let deleted = q.get("deleted").and_then(Value::as_bool).unwrap_or(false);
    let max = q.get("max").and_then(Value::as_u64).unwrap_or(100) as usize;
    let offset = q.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let exts: Vec<String> = q
        .get("exts")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let state = sb.read();
    let keys = state.tree.search(&nsid, &key, &query, deleted, &exts);
    let page: Vec<Value> = keys
        .iter()
        .skip(offset)
        .take(max)
        .filter_map(|k| state.tree.key_metadata(&nsid, k))
        .map(|m| json!({"match_type": {".tag": "filename"}, "metadata": {".tag": "metadata", "metadata": m}}))
        .collect();
    let has_more = keys.len() > offset + max;
    let mut out = json!({"matches": page, "has_more": has_more});
    if has_more {
        let mut next = q.clone();
        next["offset"] = json!(offset + max);
        out["cursor"] = json!(encode_cursor(&next));
    }
    Ok(out)
}

pub fn search(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let query = a.str("query")?;
    if query.chars().count() > 1000 {
        return Err(ApiError::bad_request(
            "request body: query: length exceeds 1000",
        ));
    }
    let (mut path, mut max, mut deleted, mut exts) =
        (PathArg::Path(String::new()), 100, false, Vec::new());
    if let Some(o) = a.sub("options")? {
        if o.get("path").is_some() {
            path = o.path("path", PathKind::RootPathOrId, |m| route_err("path", m))?;
        }
        max = o.u64("max_results", 1, 1000)?.unwrap_or(100);
        deleted = matches!(o.union("file_status")?, Some((t, _)) if t == "deleted");
        if let Some(list) = o.get("file_extensions").and_then(Value::as_array) {
            exts = list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
        }
    }
    if query.trim().is_empty() {
        return Err(ApiError::Route(
            json!({".tag": "invalid_argument", "invalid_argument": "Search query is empty."}),
        ));
    }
    let r = resolve_or(sb, c, &path, "path")?;
    sb.read()
        .tree
        .require_folder(&r.nsid, &r.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let q = json!({"ns": r.nsid, "key": r.key, "query": query, "deleted": deleted, "max": max, "offset": 0, "exts": exts});
    search_page(sb, &q)
}

pub fn search_continue(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let cursor = a.str("cursor")?;
    let q = decode_cursor(&cursor)
        .filter(|q| {
            q.get("ns")
                .and_then(Value::as_str)
                .is_some_and(|n| c.nsids.iter().any(|x| x == n))
        })
        .ok_or_else(|| ApiError::bad_request("request body: cursor: Invalid search cursor."))?;
    search_page(sb, &q)
}

pub fn list_revisions(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::WriteOrId, |m| route_err("path", m))?;
    let by_id = matches!(a.union("mode")?, Some((t, _)) if t == "id");
    let limit = a.u64("limit", 1, 100)?.unwrap_or(10) as usize;
    let r = resolve_or(sb, c, &p, "path")?;
    let state = sb.read();
    let (mut revs, deleted_at) = state
        .tree
        .revisions(&r.nsid, &r.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    if by_id
        && let (Some(id), Some(ns)) = (revs.first().map(|f| f.id.clone()), state.tree.ns(&r.nsid))
    {
        revs = ns
            .history
            .values()
            .flatten()
            .filter(|f| f.id == id)
            .cloned()
            .collect();
        revs.sort_by(|x, y| y.rev.cmp(&x.rev));
    }
    let entries: Vec<Value> = revs.iter().take(limit).map(file_metadata).collect();
    let has_more = revs.len() > limit;
    let mut out =
        json!({"is_deleted": deleted_at.is_some(), "entries": entries, "has_more": has_more});
    if let Some(t) = deleted_at {
        out["server_deleted"] = json!(format_timestamp(t));
    }
    Ok(out)
}

pub fn restore(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Write, |m| route_err("path_lookup", m))?;
    let rev = a.str("rev")?;
    if rev.len() < 9
        || !rev
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ApiError::bad_request(format!(
            "request body: rev: '{rev}' did not match pattern '[0-9a-f]+' or is shorter than 9"
        )));
    }
    let r = resolve_or(sb, c, &p, "path_lookup")?;
    let f = sb
        .mutate(|s| s.tree.restore(&r.nsid, &c.nsids, &r.path, &rev))
        .map_err(|e| match e {
            OpError::InvalidRevision => ApiError::Route(tag("invalid_revision")),
            e => route_err("path_write", write_err(&e)),
        })?;
    Ok(file_metadata(&f))
}
