//! File operations answered with JSON: get_metadata, create_folder_v2, delete_v2, move_v2/copy_v2,
//! search_v2 (+ continue), list_revisions and restore. Deletes and moves/copies are parsed and run apart
//! ([`DeleteOp`], [`RelocateOp`]) so that the batch routes run the very same operations per entry.

use super::call::{Args, Caller, Resolved, lookup_err, resolve, write_err};
use crate::paths::{PathArg, PathKind};
use crate::state::Sandbox;
use crate::state::mounts::View;
use crate::state::tree::{Entry, OpError, deleted_metadata, file_metadata, tagged};
use crate::util::format_timestamp;
use crate::wire::{ApiError, nest, route_err, tag};
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

/// A `rev` argument (`files.Rev`: at least 9 lowercase hex characters); a 400 otherwise.
pub fn rev_arg(a: &Args, name: &str) -> Result<Option<String>, ApiError> {
    let Some(rev) = a.opt_str(name)? else {
        return Ok(None);
    };
    if rev.len() < 9
        || !rev
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ApiError::bad_request(format!(
            "request body: {name}: '{rev}' did not match pattern '[0-9a-f]+' or is shorter than 9"
        )));
    }
    Ok(Some(rev))
}

pub fn get_metadata(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Read, |m| route_err("path", m))?;
    let include_deleted = a.bool("include_deleted", false)?;
    if let PathArg::Rev(rev) = &p {
        let state = sb.read();
        return state
            .tree
            .find_rev_in(&c.nsids, rev)
            .map(|(ns, f)| c.present(&state.tree, ns, tagged("file", file_metadata(f))))
            .ok_or_else(|| route_err("path", tag("not_found")));
    }
    let r = resolve_or(sb, c, &p, "path")?;
    if let Some(m) = &r.mount_point {
        return Ok(tagged("folder", m.metadata()));
    }
    if r.key.is_empty() {
        return Err(ApiError::bad_request(
            "request body: path: The root folder is unsupported.",
        ));
    }
    let state = sb.read();
    let ns = state.tree.ns(&r.nsid);
    let meta = match (
        ns.and_then(|n| n.entries.get(&r.key)),
        ns.and_then(|n| n.tombs.get(&r.key)),
    ) {
        (Some(e), _) => e.tagged(),
        (None, Some(t)) if include_deleted => deleted_metadata(&t.path_display),
        _ => return Err(route_err("path", tag("not_found"))),
    };
    Ok(c.present(&state.tree, &r.nsid, meta))
}

pub fn create_folder(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let p = a.path("path", PathKind::Write, |m| route_err("path", m))?;
    let autorename = a.bool("autorename", false)?;
    let r = resolve(sb, c, &p).map_err(|e| route_err("path", write_err(&e)))?;
    r.writable().map_err(|e| route_err("path", write_err(&e)))?;
    let meta = sb
        .mutate(|s| {
            let e = s.tree.create_folder(&r.nsid, &r.path, autorename)?;
            Ok(c.present(&s.tree, &r.nsid, e.metadata()))
        })
        .map_err(|e| route_err("path", write_err(&e)))?;
    Ok(json!({"metadata": meta}))
}

/// `files.DeleteArg`, parsed.
pub struct DeleteOp {
    path: PathArg,
    parent_rev: Option<String>,
}

impl DeleteOp {
    pub fn parse(a: &Args) -> Result<Self, ApiError> {
        Ok(Self {
            path: a.path("path", PathKind::WriteOrId, |m| route_err("path_lookup", m))?,
            parent_rev: rev_arg(a, "parent_rev")?,
        })
    }

    /// Deletes; returns the entry's metadata as it was, or a `files.DeleteError`.
    pub fn run(&self, sb: &Sandbox, c: &Caller) -> Result<Value, ApiError> {
        let r = resolve_or(sb, c, &self.path, "path_lookup")?;
        if r.mount_point.is_some() {
            return Err(route_err("path_write", write_err(&OpError::TeamFolder)));
        }
        sb.mutate(|s| {
            match (s.tree.get(&r.nsid, &r.key), &self.parent_rev) {
                (Some(Entry::File(f)), Some(rev)) if f.rev != *rev => {
                    return Err(route_err(
                        "path_write",
                        write_err(&OpError::Conflict("file")),
                    ));
                }
                (Some(Entry::Folder { .. }), Some(_)) => {
                    return Err(route_err("path_lookup", tag("not_file")));
                }
                _ => {}
            }
            let e = s
                .tree
                .delete(&r.nsid, &r.key)
                .map_err(|e| route_err("path_lookup", lookup_err(&e)))?;
            Ok(c.present(&s.tree, &r.nsid, e.tagged()))
        })
    }
}

pub fn delete(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let meta = DeleteOp::parse(a)?.run(sb, c)?;
    Ok(json!({"metadata": meta}))
}

/// `files.RelocationPath`, parsed.
pub struct RelocateOp {
    from: PathArg,
    to: PathArg,
}

impl RelocateOp {
    pub fn parse(a: &Args) -> Result<Self, ApiError> {
        Ok(Self {
            from: a.path("from_path", PathKind::WriteOrId, |m| {
                route_err("from_lookup", m)
            })?,
            to: a.path("to_path", PathKind::WriteOrId, |m| route_err("to", m))?,
        })
    }

    /// Moves or copies; returns the tagged metadata at the destination, or a `files.RelocationError`.
    pub fn run(
        &self,
        sb: &Sandbox,
        c: &Caller,
        copy: bool,
        autorename: bool,
    ) -> Result<Value, ApiError> {
        let from = resolve_or(sb, c, &self.from, "from_lookup")?;
        if from.mount_point.is_some() && !copy {
            return Err(route_err("from_write", write_err(&OpError::TeamFolder)));
        }
        let to = resolve(sb, c, &self.to).map_err(|e| route_err("to", write_err(&e)))?;
        to.writable().map_err(|e| route_err("to", write_err(&e)))?;
        sb.mutate(|s| {
            let e = s.tree.relocate(
                (&from.nsid, &from.path),
                (&to.nsid, &to.path),
                copy,
                autorename,
            )?;
            Ok(c.present(&s.tree, &to.nsid, e.tagged()))
        })
        .map_err(|(src, e)| match (src, e) {
            (true, e) => route_err("from_lookup", lookup_err(&e)),
            (false, OpError::CantMoveIntoItself) => ApiError::Route(tag(if copy {
                "cant_copy_into_itself"
            } else {
                "cant_move_folder_into_itself"
            })),
            (false, e) => route_err("to", write_err(&e)),
        })
    }
}

pub fn relocate(sb: &Sandbox, c: &Caller, a: &Args, copy: bool) -> Result<Value, ApiError> {
    let op = RelocateOp::parse(a)?;
    let autorename = a.bool("autorename", false)?;
    a.bool("allow_ownership_transfer", false)?;
    let meta = op.run(sb, c, copy, autorename)?;
    Ok(json!({"metadata": meta}))
}

/// One page of search results: `q` is the search (the view it was made from, where, what) and its offset.
fn search_page(sb: &Sandbox, q: &Value) -> Result<Value, ApiError> {
    let s = |k: &str| {
        q.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (nsid, key, query) = (s("ns"), s("key"), s("query"));
    let strings = |k: &str| -> Vec<String> {
        q.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (exts, visible, from) = (strings("exts"), strings("vis"), s("from"));
    let deleted = q.get("deleted").and_then(Value::as_bool).unwrap_or(false);
    let max = q.get("max").and_then(Value::as_u64).unwrap_or(100) as usize;
    let offset = q.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let state = sb.read();
    let tree = &state.tree;
    let view = View {
        from: if from.is_empty() { &nsid } else { &from },
        visible: &visible,
    };
    // The folder searched, and below the root of a team space the member folder mounted in it.
    let mut places = vec![(nsid.clone(), key.clone())];
    if key.is_empty() && nsid == view.from {
        places.extend(
            tree.visible_mounts(view)
                .map(|m| (m.nsid.clone(), String::new())),
        );
    }
    let mut found: Vec<(String, String, String)> = places
        .iter()
        .flat_map(|(ns, k)| {
            tree.search(ns, k, &query, deleted, &exts)
                .into_iter()
                .map(move |hit| {
                    (
                        tree.shown_path(view, ns, &hit).to_lowercase(),
                        ns.clone(),
                        hit,
                    )
                })
        })
        .collect();
    found.sort();
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(max)
        .filter_map(|(_, ns, k)| Some(tree.present(view, ns, tree.key_metadata(ns, k)?)))
        .map(|m| json!({"match_type": {".tag": "filename"}, "metadata": {".tag": "metadata", "metadata": m}}))
        .collect();
    let has_more = found.len() > offset + max;
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
        return Err(ApiError::Route(nest(
            "invalid_argument",
            json!("Search query is empty."),
        )));
    }
    let r = resolve_or(sb, c, &path, "path")?;
    sb.read()
        .tree
        .require_folder(&r.nsid, &r.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let q = json!({"ns": r.nsid, "key": r.key, "query": query, "deleted": deleted, "max": max,
        "offset": 0, "exts": exts, "from": c.nsid, "vis": c.nsids});
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
    let entries: Vec<Value> = revs
        .iter()
        .take(limit)
        .map(|f| c.present(&state.tree, &r.nsid, file_metadata(f)))
        .collect();
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
    let Some(rev) = rev_arg(a, "rev")? else {
        return Err(ApiError::bad_request(
            "request body: missing required field 'rev'",
        ));
    };
    let r = resolve_or(sb, c, &p, "path_lookup")?;
    r.writable()
        .map_err(|e| route_err("path_write", write_err(&e)))?;
    sb.mutate(|s| {
        let f = s.tree.restore(&r.nsid, &c.nsids, &r.path, &rev)?;
        Ok(c.present(&s.tree, &r.nsid, file_metadata(&f)))
    })
    .map_err(|e| match e {
        OpError::InvalidRevision => ApiError::Route(tag("invalid_revision")),
        e => route_err("path_write", write_err(&e)),
    })
}
