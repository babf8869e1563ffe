//! The file tree of every namespace: entries keyed by `path_lower`, tombstones of deleted entries, file
//! revisions, and the change log that list_folder cursors replay. Mutations live in `tree_ops`.

use crate::paths::{self, is_within, lower, parent};
use crate::util::{format_timestamp, random_digits, random_id_chars};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// One revision of a file's content.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRev {
    pub rev: String,
    pub id: String,
    pub path_display: String,
    pub size: u64,
    pub content_hash: String,
    /// Name of the blob holding the content.
    pub blob: String,
    pub client_modified: i64,
    pub server_modified: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Entry {
    File(FileRev),
    Folder { id: String, path_display: String },
}

impl Entry {
    pub fn path_display(&self) -> &str {
        match self {
            Entry::File(f) => &f.path_display,
            Entry::Folder { path_display, .. } => path_display,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Entry::File(f) => &f.id,
            Entry::Folder { id, .. } => id,
        }
    }

    pub fn is_folder(&self) -> bool {
        matches!(self, Entry::Folder { .. })
    }

    /// Metadata as its own type (`FileMetadata` / `FolderMetadata`, no `.tag`).
    pub fn metadata(&self) -> Value {
        match self {
            Entry::File(f) => file_metadata(f),
            Entry::Folder { id, path_display } => json!({
                "name": paths::name(path_display),
                "path_lower": lower(path_display),
                "path_display": path_display,
                "id": id,
            }),
        }
    }

    /// Metadata as the `Metadata` union (with `.tag` `file` / `folder`).
    pub fn tagged(&self) -> Value {
        tagged(
            if self.is_folder() { "folder" } else { "file" },
            self.metadata(),
        )
    }
}

/// `FileMetadata` of a revision.
pub fn file_metadata(f: &FileRev) -> Value {
    json!({
        "name": paths::name(&f.path_display),
        "path_lower": lower(&f.path_display),
        "path_display": f.path_display,
        "id": f.id,
        "client_modified": format_timestamp(f.client_modified),
        "server_modified": format_timestamp(f.server_modified),
        "rev": f.rev,
        "size": f.size,
        "is_downloadable": true,
        "content_hash": f.content_hash,
    })
}

/// Adds `.tag` to a struct's JSON.
pub fn tagged(tag: &str, mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert(".tag".into(), Value::String(tag.into()));
    }
    v
}

/// `DeletedMetadata` (tagged `deleted`).
pub fn deleted_metadata(path_display: &str) -> Value {
    json!({
        ".tag": "deleted",
        "name": paths::name(path_display),
        "path_lower": lower(path_display),
        "path_display": path_display,
    })
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tomb {
    pub path_display: String,
    pub deleted_at: i64,
    pub was_folder: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Namespace {
    pub entries: BTreeMap<String, Entry>,
    pub tombs: BTreeMap<String, Tomb>,
    /// path_lower → revisions, oldest first.
    pub history: HashMap<String, Vec<FileRev>>,
    /// (sequence number, path_lower) of every change, in order.
    pub changes: Vec<(u64, String)>,
    /// Cursors issued before this sequence number get `reset`.
    pub cursor_floor: u64,
}

/// Why a tree operation failed; routes map it onto their error unions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpError {
    NotFound,
    NotFile,
    NotFolder,
    Malformed,
    /// `WriteConflictError` tag: `file`, `folder` or `file_ancestor`.
    Conflict(&'static str),
    CantMoveIntoItself,
    InvalidRevision,
    InsufficientSpace,
    /// A member folder of a team space cannot be moved or deleted (`WriteError.team_folder`).
    TeamFolder,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tree {
    pub namespaces: HashMap<String, Namespace>,
    pub seq: u64,
    pub counter: u64,
    /// rev → (namespace id, revision).
    pub revs: HashMap<String, (String, FileRev)>,
    /// Namespaces mounted in a namespace (team member homes in the team root), see `mounts`.
    #[serde(default)]
    pub mounts: HashMap<String, Vec<super::mounts::Mount>>,
}

impl Tree {
    pub fn new_namespace(&mut self) -> String {
        loop {
            let id = random_digits(10);
            if !self.namespaces.contains_key(&id) {
                self.namespaces.insert(id.clone(), Namespace::default());
                return id;
            }
        }
    }

    pub fn new_rev(&mut self) -> String {
        self.counter += 1;
        format!(
            "{:09x}{:06x}",
            self.counter,
            rand::random::<u32>() & 0xff_ffff
        )
    }

    pub fn new_id() -> String {
        format!("id:{}", random_id_chars(22))
    }

    pub fn ns(&self, nsid: &str) -> Option<&Namespace> {
        self.namespaces.get(nsid)
    }

    pub fn ns_mut(&mut self, nsid: &str) -> &mut Namespace {
        self.namespaces.entry(nsid.to_string()).or_default()
    }

    pub fn get(&self, nsid: &str, path_lower: &str) -> Option<&Entry> {
        self.ns(nsid)?.entries.get(path_lower)
    }

    /// Records a change of `path_lower` in `nsid`.
    pub fn record(&mut self, nsid: &str, path_lower: &str) {
        self.seq += 1;
        let seq = self.seq;
        self.ns_mut(nsid)
            .changes
            .push((seq, path_lower.to_string()));
    }

    /// Finds the entry with file/folder id `id` among `nsids`: (namespace, path_display).
    pub fn find_id(&self, nsids: &[String], id: &str) -> Option<(String, String)> {
        nsids.iter().find_map(|nsid| {
            self.ns(nsid)?
                .entries
                .values()
                .find(|e| e.id() == id)
                .map(|e| (nsid.clone(), e.path_display().to_string()))
        })
    }

    /// A revision by rev, if it lives in one of `nsids`.
    pub fn find_rev(&self, nsids: &[String], rev: &str) -> Option<&FileRev> {
        self.find_rev_in(nsids, rev).map(|(_, r)| r)
    }

    /// A revision by rev and the namespace it lives in, if that is one of `nsids`.
    pub fn find_rev_in(&self, nsids: &[String], rev: &str) -> Option<(&str, &FileRev)> {
        let (ns, r) = self.revs.get(rev)?;
        nsids.contains(ns).then_some((ns.as_str(), r))
    }

    /// Checks that `path_lower` is a folder (the root always is).
    pub fn require_folder(&self, nsid: &str, path_lower: &str) -> Result<(), OpError> {
        if path_lower.is_empty() {
            return Ok(());
        }
        match self.get(nsid, path_lower) {
            None => Err(OpError::NotFound),
            Some(Entry::File(_)) => Err(OpError::NotFolder),
            Some(Entry::Folder { .. }) => Ok(()),
        }
    }

    /// Keys of a folder listing in order: the folder itself when recursive (not for the root), its
    /// (recursive) children, and tombstones when `include_deleted`.
    pub fn listing_keys(
        &self,
        nsid: &str,
        path_lower: &str,
        recursive: bool,
        include_deleted: bool,
    ) -> Result<Vec<String>, OpError> {
        self.require_folder(nsid, path_lower)?;
        let Some(ns) = self.ns(nsid) else {
            return Ok(Vec::new());
        };
        let mut keys: Vec<String> = listed(&ns.entries, path_lower, recursive, None)
            .cloned()
            .collect();
        if include_deleted {
            keys.extend(
                listed(&ns.tombs, path_lower, recursive, None)
                    .filter(|k| !ns.entries.contains_key(*k))
                    .cloned(),
            );
            keys.sort();
        }
        Ok(keys)
    }

    /// At most `limit` keys of a folder listing without tombstones, in order, after `after`, and
    /// whether more follow: one page read straight from the ordered map, so paging through a folder
    /// costs each page its own entries, not the whole folder again (a 100,000-file folder was
    /// quadratic).
    pub fn listing_keys_after(
        &self,
        nsid: &str,
        path_lower: &str,
        recursive: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, bool), OpError> {
        self.require_folder(nsid, path_lower)?;
        let Some(ns) = self.ns(nsid) else {
            return Ok((Vec::new(), false));
        };
        let mut keys: Vec<String> = listed(&ns.entries, path_lower, recursive, after)
            .take(limit.saturating_add(1))
            .cloned()
            .collect();
        let has_more = keys.len() > limit;
        keys.truncate(limit);
        Ok((keys, has_more))
    }

    /// Tagged metadata for a key: the entry, or `deleted` from its tombstone.
    pub fn key_metadata(&self, nsid: &str, key: &str) -> Option<Value> {
        let ns = self.ns(nsid)?;
        if let Some(e) = ns.entries.get(key) {
            return Some(e.tagged());
        }
        ns.tombs.get(key).map(|t| deleted_metadata(&t.path_display))
    }

    /// Keys changed after `since` under `path_lower`, each once with its latest sequence number, in order.
    pub fn changes_since(
        &self,
        nsid: &str,
        path_lower: &str,
        recursive: bool,
        since: u64,
    ) -> Vec<(String, u64)> {
        let Some(ns) = self.ns(nsid) else {
            return Vec::new();
        };
        let start = ns.changes.partition_point(|(s, _)| *s <= since);
        let mut last: HashMap<&str, u64> = HashMap::new();
        for (seq, key) in &ns.changes[start..] {
            let relevant = key != path_lower
                && is_within(key, path_lower)
                && (recursive || parent(key) == path_lower);
            if relevant {
                last.insert(key.as_str(), *seq);
            }
        }
        let mut keys: Vec<(&str, u64)> = last.into_iter().collect();
        keys.sort_by_key(|(_, s)| *s);
        keys.into_iter().map(|(k, s)| (k.to_string(), s)).collect()
    }

    /// Bytes used by files in `nsids`.
    pub fn used_bytes(&self, nsids: &[String]) -> u64 {
        nsids
            .iter()
            .filter_map(|n| self.ns(n))
            .flat_map(|ns| ns.entries.values())
            .map(|e| match e {
                Entry::File(f) => f.size,
                Entry::Folder { .. } => 0,
            })
            .sum()
    }

    /// Revisions at `path_lower`, newest first, with the deletion time if the file is gone.
    pub fn revisions(
        &self,
        nsid: &str,
        path_lower: &str,
    ) -> Result<(Vec<FileRev>, Option<i64>), OpError> {
        let ns = self.ns(nsid).ok_or(OpError::NotFound)?;
        match ns.entries.get(path_lower) {
            Some(Entry::Folder { .. }) => return Err(OpError::NotFile),
            Some(Entry::File(_)) => {}
            None if ns.history.contains_key(path_lower) => {}
            None => return Err(OpError::NotFound),
        }
        let mut revs = ns.history.get(path_lower).cloned().unwrap_or_default();
        revs.reverse();
        let deleted_at = if ns.entries.contains_key(path_lower) {
            None
        } else {
            Some(ns.tombs.get(path_lower).map(|t| t.deleted_at).unwrap_or(0))
        };
        Ok((revs, deleted_at))
    }

    /// Entries (or tombstones with `deleted`) under `path_lower` whose names contain every token.
    pub fn search(
        &self,
        nsid: &str,
        path_lower: &str,
        query: &str,
        deleted: bool,
        exts: &[String],
    ) -> Vec<String> {
        let Some(ns) = self.ns(nsid) else {
            return Vec::new();
        };
        let tokens: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let matches = |k: &str| {
            let name = paths::name(k);
            k != path_lower
                && is_within(k, path_lower)
                && !tokens.is_empty()
                && tokens.iter().all(|t| name.contains(t.as_str()))
                && (exts.is_empty()
                    || exts.iter().any(|e| {
                        name.ends_with(&format!(".{}", e.trim_start_matches('.').to_lowercase()))
                    }))
        };
        if deleted {
            ns.tombs
                .keys()
                .filter(|k| !ns.entries.contains_key(*k) && matches(k))
                .cloned()
                .collect()
        } else {
            ns.entries.keys().filter(|k| matches(k)).cloned().collect()
        }
    }
}

/// The keys of `map` a listing of `path_lower` shows, in key order, after `after`: the folder itself
/// when recursive (never the root), then what is inside it (only its children unless recursive). Keys
/// inside a folder share the prefix `folder/`, so they are one range of the ordered map; the folder's
/// own key sorts before that range (a sibling such as `folder-2` may sort between them).
fn listed<'m, V>(
    map: &'m BTreeMap<String, V>,
    path_lower: &'m str,
    recursive: bool,
    after: Option<&'m str>,
) -> impl Iterator<Item = &'m String> + 'm {
    use std::ops::Bound;
    let itself = (recursive && !path_lower.is_empty() && after.is_none())
        .then(|| map.get_key_value(path_lower).map(|(k, _)| k))
        .flatten();
    let prefix = format!("{path_lower}/");
    let start = match after {
        Some(a) if a >= prefix.as_str() => Bound::Excluded(a.to_owned()),
        _ => Bound::Included(prefix.clone()),
    };
    let inside = map
        .range::<String, _>((start, Bound::Unbounded))
        .map(|(k, _)| k)
        .take_while(move |k| k.starts_with(&prefix))
        .filter(move |k| recursive || parent(k) == path_lower);
    itself.into_iter().chain(inside)
}
