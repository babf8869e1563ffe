//! `list_folder`, `list_folder/continue`, `list_folder/get_latest_cursor` and `list_folder/longpoll`.
//!
//! A cursor remembers the namespace, folder, options, the change sequence number it was issued at and, while
//! the initial listing is being paged, the last (shown, lowercased) path returned. Continuing a finished
//! listing replays the change log after that sequence number, so a cursor also returns changes made after it
//! was issued. Cursors older than the namespace's `cursor_floor` get `reset`.
//!
//! A cursor also remembers the view it was made in: listing the root of a team space shows the caller's
//! member folder (and, recursively, everything in it, with the mount point in front of its paths), and its
//! changes are replayed too. Sequence numbers are global, so both change logs merge in order.

use super::call::{Args, Caller, lookup_err, resolve};
use super::files::{decode_cursor, encode_cursor};
use crate::paths::{PathKind, is_within};
use crate::state::mounts::{Mount, View};
use crate::state::tree::{OpError, Tree, tagged};
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
    /// While paging the initial listing: the last shown path returned.
    a: Option<String>,
    l: Option<usize>,
    /// The namespace the listing was asked in (when it differs from `ns`: through a mount point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<String>,
    /// The namespaces the caller sees mounted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    m: Vec<String>,
}

/// What a listing shows: an entry (or tombstone) of a namespace, or a mount point.
enum Item<'t> {
    Key(String, String),
    MountPoint(&'t Mount),
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

    fn view(&self) -> View<'_> {
        View {
            from: self.f.as_deref().unwrap_or(&self.ns),
            visible: &self.m,
        }
    }

    /// The mounts listed along with the folder: those of the root of the namespace the view is from.
    fn mounts<'t>(&'t self, tree: &'t Tree) -> Vec<&'t Mount> {
        if self.key.is_empty() && self.view().from == self.ns {
            tree.visible_mounts(self.view()).collect()
        } else {
            Vec::new()
        }
    }

    /// Every item of the initial listing, by shown path.
    fn items<'t>(&'t self, tree: &'t Tree) -> Result<Vec<(String, Item<'t>)>, OpError> {
        let view = self.view();
        let shown = |ns: &str, k: &str| tree.shown_path(view, ns, k).to_lowercase();
        let mounts = self.mounts(tree);
        let mut out: Vec<(String, Item<'t>)> = tree
            .listing_keys(&self.ns, &self.key, self.r, self.d)?
            .into_iter()
            .filter(|k| !mounts.iter().any(|m| is_within(k, &m.key())))
            .map(|k| (shown(&self.ns, &k), Item::Key(self.ns.clone(), k)))
            .collect();
        for m in &mounts {
            out.push((m.key(), Item::MountPoint(m)));
            if self.r {
                for k in tree.listing_keys(&m.nsid, "", true, self.d)? {
                    out.push((shown(&m.nsid, &k), Item::Key(m.nsid.clone(), k)));
                }
            }
        }
        // A recursive listing of a member folder through its mount point starts with the folder itself.
        if self.r && self.key.is_empty() && self.ns != view.from {
            let own = tree.mount_of(view.from, &self.ns);
            if let Some(m) = own.filter(|m| view.visible.contains(&m.nsid)) {
                out.push((m.key(), Item::MountPoint(m)));
            }
        }
        out.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(out)
    }

    /// The page after `a` straight from the namespace's ordered keys, when nothing else is listed
    /// with them: no mounts, no tombstones, seen from the namespace itself (shown paths are then the
    /// keys). `None` otherwise: [`Cursor::items`] merges and sorts those.
    fn plain_page(&self, tree: &Tree) -> Result<Option<(Vec<String>, bool)>, ApiError> {
        if self.d || self.view().from != self.ns || !self.mounts(tree).is_empty() {
            return Ok(None);
        }
        let limit = self.l.unwrap_or(MAX_PAGE);
        tree.listing_keys_after(&self.ns, &self.key, self.r, self.a.as_deref(), limit)
            .map(Some)
            .map_err(|e| route_err("path", lookup_err(&e)))
    }

    /// Items changed after `since`, each once, in the order of their latest change.
    fn changes<'t>(&'t self, tree: &'t Tree, since: u64) -> Vec<(u64, Item<'t>)> {
        let mut places = vec![(self.ns.clone(), self.key.clone(), self.r)];
        if self.r {
            places.extend(
                self.mounts(tree)
                    .into_iter()
                    .map(|m| (m.nsid.clone(), String::new(), true)),
            );
        }
        let mut out: Vec<(u64, Item<'t>)> = places
            .into_iter()
            .flat_map(|(ns, key, r)| {
                tree.changes_since(&ns, &key, r, since)
                    .into_iter()
                    .map(move |(k, seq)| (seq, Item::Key(ns.clone(), k)))
            })
            .collect();
        out.sort_by_key(|(seq, _)| *seq);
        out
    }

    fn metadata(&self, tree: &Tree, item: &Item<'_>) -> Option<Value> {
        match item {
            Item::Key(ns, k) => Some(tree.present(self.view(), ns, tree.key_metadata(ns, k)?)),
            Item::MountPoint(m) => Some(tagged("folder", m.metadata())),
        }
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
        f: (r.nsid != c.nsid).then(|| c.nsid.clone()),
        m: c.nsids.clone(),
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
    let tree = &state.tree;
    if let Some((keys, has_more)) = cur.plain_page(tree)? {
        let entries: Vec<Value> = keys
            .iter()
            .filter_map(|k| cur.metadata(tree, &Item::Key(cur.ns.clone(), k.clone())))
            .collect();
        cur.a = if has_more { keys.last().cloned() } else { None };
        return Ok(json!({"entries": entries, "cursor": cur.encode(), "has_more": has_more}));
    }
    let items = cur
        .items(tree)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let limit = cur.l.unwrap_or(MAX_PAGE);
    let remaining: Vec<&(String, Item<'_>)> = items
        .iter()
        .filter(|(k, _)| cur.a.as_ref().is_none_or(|a| k > a))
        .collect();
    let page = &remaining[..remaining.len().min(limit)];
    let has_more = remaining.len() > page.len();
    let entries: Vec<Value> = page
        .iter()
        .filter_map(|(_, item)| cur.metadata(tree, item))
        .collect();
    let last = page.last().map(|(k, _)| k.clone());
    drop(items);
    cur.a = if has_more { last } else { None };
    Ok(json!({"entries": entries, "cursor": cur.encode(), "has_more": has_more}))
}

/// Changes after `cur.s`.
fn changes_page(state: &State, mut cur: Cursor) -> Result<Value, ApiError> {
    let tree = &state.tree;
    tree.require_folder(&cur.ns, &cur.key)
        .map_err(|e| route_err("path", lookup_err(&e)))?;
    let changed = cur.changes(tree, cur.s);
    let limit = cur.l.unwrap_or(MAX_PAGE);
    let has_more = changed.len() > limit;
    let page = &changed[..changed.len().min(limit)];
    let entries: Vec<Value> = page
        .iter()
        .filter_map(|(_, item)| cur.metadata(tree, item))
        .collect();
    let seen = match (has_more, page.last()) {
        (true, Some((seq, _))) => *seq,
        _ => tree.seq,
    };
    drop(changed);
    cur.s = seen;
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
    let tree = &state.tree;
    let floor = std::iter::once(cur.ns.as_str())
        .chain(cur.mounts(tree).into_iter().map(|m| m.nsid.as_str()))
        .filter_map(|ns| tree.ns(ns).map(|n| n.cursor_floor))
        .max()
        .unwrap_or(0);
    if cur.s < floor || cur.s > tree.seq {
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
    cur.a.is_some() || !cur.changes(&state.tree, cur.s).is_empty()
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
