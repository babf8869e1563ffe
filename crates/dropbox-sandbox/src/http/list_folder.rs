//! `list_folder`, `list_folder/continue`, `list_folder/get_latest_cursor` and `list_folder/longpoll`.
//!
//! A cursor remembers the namespace, folder, options, the change sequence number it was issued at and, while
//! the initial listing is being paged, the last key returned. Continuing a finished listing replays the
//! namespace's change log after that sequence number, so a cursor also returns changes made after it was
//! issued. Cursors older than the namespace's `cursor_floor` get `reset`.

use super::call::{Args, Caller, lookup_err, resolve};
use super::files::{decode_cursor, encode_cursor};
use crate::paths::PathKind;
use crate::state::{Sandbox, State};
use crate::wire::{ApiError, route_err, tag};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

const MAX_PAGE: usize = 2000;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Cursor {
    ns: String,
    key: String,
    r: bool,
    d: bool,
    /// Change sequence number the cursor has seen.
    s: u64,
    /// While paging the initial listing: the last key returned.
    a: Option<String>,
    l: Option<usize>,
}

impl Cursor {
    fn encode(&self) -> String {
        encode_cursor(&serde_json::to_value(self).unwrap_or(Value::Null))
    }

    fn decode(raw: &str) -> Result<Cursor, ApiError> {
        decode_cursor(raw)
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                ApiError::bad_request(format!("request body: cursor: Invalid cursor \"{raw}\"."))
            })
    }
}

fn start_cursor(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Cursor, ApiError> {
    let p = a.path("path", PathKind::RootPathOrId, |m| route_err("path", m))?;
    let recursive = a.bool("recursive", false)?;
    let include_deleted = a.bool("include_deleted", false)?;
    let limit = a.u64("limit", 1, 2000)?.map(|n| n as usize);
    let r = resolve(sb, c, &p).map_err(|e| route_err("path", lookup_err(&e)))?;
    let state = sb.read();
    state
        .tree
        .require_folder(&r.nsid, &r.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    Ok(Cursor {
        ns: r.nsid,
        key: r.key,
        r: recursive,
        d: include_deleted,
        s: state.tree.seq,
        a: None,
        l: limit,
    })
}

/// One page of the initial listing after `cur.a`.
fn listing_page(state: &State, mut cur: Cursor) -> Result<Value, ApiError> {
    let keys = state
        .tree
        .listing_keys(&cur.ns, &cur.key, cur.r, cur.d)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let limit = cur.l.unwrap_or(MAX_PAGE);
    let remaining: Vec<&String> = keys
        .iter()
        .filter(|k| cur.a.as_ref().is_none_or(|a| *k > a))
        .collect();
    let page: Vec<&String> = remaining.iter().take(limit).copied().collect();
    let has_more = remaining.len() > page.len();
    let entries: Vec<Value> = page
        .iter()
        .filter_map(|k| state.tree.key_metadata(&cur.ns, k))
        .collect();
    cur.a = if has_more {
        page.last().map(|k| k.to_string())
    } else {
        None
    };
    Ok(json!({"entries": entries, "cursor": cur.encode(), "has_more": has_more}))
}

/// Changes after `cur.s`.
fn changes_page(state: &State, mut cur: Cursor) -> Result<Value, ApiError> {
    state
        .tree
        .require_folder(&cur.ns, &cur.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let changed = state.tree.changes_since(&cur.ns, &cur.key, cur.r, cur.s);
    let limit = cur.l.unwrap_or(MAX_PAGE);
    let has_more = changed.len() > limit;
    let page = &changed[..changed.len().min(limit)];
    let entries: Vec<Value> = page
        .iter()
        .filter_map(|(k, _)| state.tree.key_metadata(&cur.ns, k))
        .collect();
    cur.s = match (has_more, page.last()) {
        (true, Some((_, seq))) => *seq,
        _ => state.tree.seq,
    };
    Ok(json!({"entries": entries, "cursor": cur.encode(), "has_more": has_more}))
}

pub fn list_folder(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let cur = start_cursor(sb, c, a)?;
    listing_page(&sb.read(), cur)
}

pub fn latest_cursor(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let cur = start_cursor(sb, c, a)?;
    Ok(json!({"cursor": cur.encode()}))
}

fn check_reset(state: &State, cur: &Cursor) -> Result<(), ApiError> {
    let floor = state.tree.ns(&cur.ns).map(|n| n.cursor_floor).unwrap_or(0);
    if cur.s < floor || cur.s > state.tree.seq {
        return Err(ApiError::Route(tag("reset")));
    }
    Ok(())
}

pub fn continue_(sb: &Sandbox, c: &Caller, a: &Args) -> Result<Value, ApiError> {
    let cur = Cursor::decode(&a.str("cursor")?)?;
    if !c.nsids.contains(&cur.ns) {
        return Err(ApiError::bad_request(
            "request body: cursor: Cursor belongs to another account.",
        ));
    }
    let state = sb.read();
    check_reset(&state, &cur)?;
    if cur.a.is_some() {
        listing_page(&state, cur)
    } else {
        changes_page(&state, cur)
    }
}

/// Are there entries for this cursor to fetch right now?
fn has_changes(state: &State, cur: &Cursor) -> bool {
    cur.a.is_some()
        || !state
            .tree
            .changes_since(&cur.ns, &cur.key, cur.r, cur.s)
            .is_empty()
}

pub async fn longpoll(sb: &Sandbox, a: &Args) -> Result<Value, ApiError> {
    let cur = Cursor::decode(&a.str("cursor")?)?;
    let timeout = a.u64("timeout", 30, 480)?.unwrap_or(30);
    let mut wait = Duration::from_secs(timeout);
    if let Some(max) = sb.config.longpoll_max_wait {
        wait = wait.min(max);
    }
    let deadline = tokio::time::Instant::now() + wait;
    let answer = |changes: bool| {
        let mut v = json!({"changes": changes});
        if let Some(b) = sb.config.longpoll_backoff {
            v["backoff"] = json!(b);
        }
        v
    };
    loop {
        let notified = sb.changed.notified();
        {
            let state = sb.read();
            check_reset(&state, &cur)?;
            if has_changes(&state, &cur) {
                return Ok(answer(true));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Ok(answer(false));
        }
    }
}
