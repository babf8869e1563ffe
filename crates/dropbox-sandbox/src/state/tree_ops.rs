//! Mutations of the file tree: folders, file commits (WriteMode semantics), delete, move/copy, restore.
//! Every mutation records its changes so cursors and longpolls see them.

use super::tree::{Entry, FileRev, OpError, Tomb, Tree};
use crate::paths::{self, is_within, lower, parent, split_ext};
use crate::util::now_secs;

/// `files.WriteMode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteMode {
    Add,
    Overwrite,
    Update(String),
}

/// Content already stored as a blob, ready to be committed to a path.
#[derive(Clone, Debug)]
pub struct BlobRef {
    pub name: String,
    pub size: u64,
    pub content_hash: String,
}

/// Options of a file commit (`files.CommitInfo`).
#[derive(Clone, Debug)]
pub struct Commit {
    pub path: String,
    pub mode: WriteMode,
    pub autorename: bool,
    pub strict_conflict: bool,
    pub client_modified: Option<i64>,
}

fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty()).collect()
}

/// `dir/name (n).ext` or, for update conflicts, `dir/name (conflicted copy[ n]).ext`.
fn renamed(path: &str, n: u32, conflicted: bool) -> String {
    let (base, ext) = split_ext(paths::name(path));
    let suffix = match (conflicted, n) {
        (true, 1) => " (conflicted copy)".to_string(),
        (true, n) => format!(" (conflicted copy {n})"),
        (false, n) => format!(" ({n})"),
    };
    format!("{}/{base}{suffix}{ext}", parent(path))
}

impl Tree {
    /// Creates every missing ancestor folder of `path`; fails if an ancestor is a file.
    pub fn ensure_parents(&mut self, nsid: &str, path: &str) -> Result<(), OpError> {
        let comps = components(path);
        let mut cur = String::new();
        for comp in comps.iter().take(comps.len().saturating_sub(1)) {
            cur.push('/');
            cur.push_str(comp);
            let key = lower(&cur);
            match self.get(nsid, &key) {
                Some(Entry::File(_)) => return Err(OpError::Conflict("file_ancestor")),
                Some(Entry::Folder { .. }) => {}
                None => {
                    self.insert_folder(nsid, &cur);
                }
            }
        }
        Ok(())
    }

    fn insert_folder(&mut self, nsid: &str, path: &str) -> Entry {
        let key = lower(path);
        let entry = Entry::Folder {
            id: Tree::new_id(),
            path_display: path.to_string(),
        };
        let ns = self.ns_mut(nsid);
        ns.tombs.remove(&key);
        ns.entries.insert(key.clone(), entry.clone());
        self.record(nsid, &key);
        entry
    }

    /// The first free path for an autorename.
    fn free_path(&self, nsid: &str, path: &str, conflicted: bool) -> String {
        (1..)
            .map(|n| renamed(path, n, conflicted))
            .find(|p| self.get(nsid, &lower(p)).is_none())
            .unwrap_or_else(|| path.to_string())
    }

    /// `files/create_folder_v2`.
    pub fn create_folder(
        &mut self,
        nsid: &str,
        path: &str,
        autorename: bool,
    ) -> Result<Entry, OpError> {
        let mut path = path.to_string();
        if let Some(existing) = self.get(nsid, &lower(&path)) {
            let tag = if existing.is_folder() {
                "folder"
            } else {
                "file"
            };
            if !autorename {
                return Err(OpError::Conflict(tag));
            }
            path = self.free_path(nsid, &path, false);
        }
        self.ensure_parents(nsid, &path)?;
        Ok(self.insert_folder(nsid, &path))
    }

    /// Commits content to a path following `files.WriteMode` rules. Identical content at the target is no
    /// conflict and writes nothing.
    pub fn commit_file(
        &mut self,
        nsid: &str,
        commit: &Commit,
        blob: &BlobRef,
    ) -> Result<FileRev, OpError> {
        let key = lower(&commit.path);
        let update_conflict = matches!(commit.mode, WriteMode::Update(_));
        let conflict = match self.get(nsid, &key) {
            Some(Entry::Folder { .. }) => Some("folder"),
            Some(Entry::File(cur)) => {
                let rev_mismatch = matches!(&commit.mode, WriteMode::Update(r) if *r != cur.rev);
                if cur.content_hash == blob.content_hash
                    && !(commit.strict_conflict && rev_mismatch)
                {
                    return Ok(cur.clone());
                }
                match &commit.mode {
                    WriteMode::Add => Some("file"),
                    WriteMode::Overwrite => None,
                    WriteMode::Update(_) => rev_mismatch.then_some("file"),
                }
            }
            None => (commit.strict_conflict && update_conflict).then_some("file"),
        };
        let path = match conflict {
            Some(tag) if !commit.autorename => return Err(OpError::Conflict(tag)),
            Some(_) => self.free_path(nsid, &commit.path, update_conflict),
            None => commit.path.clone(),
        };
        self.ensure_parents(nsid, &path)?;
        Ok(self.write_rev(nsid, &path, blob, commit.client_modified))
    }

    /// Writes a new revision at `path` (keeping the id and casing of a file already there).
    fn write_rev(
        &mut self,
        nsid: &str,
        path: &str,
        blob: &BlobRef,
        client_modified: Option<i64>,
    ) -> FileRev {
        let key = lower(path);
        let (id, display) = match self.get(nsid, &key) {
            Some(Entry::File(cur)) => (cur.id.clone(), cur.path_display.clone()),
            _ => (Tree::new_id(), path.to_string()),
        };
        let now = now_secs();
        let rev = FileRev {
            rev: self.new_rev(),
            id,
            path_display: display,
            size: blob.size,
            content_hash: blob.content_hash.clone(),
            blob: blob.name.clone(),
            client_modified: client_modified.unwrap_or(now),
            server_modified: now,
        };
        self.revs
            .insert(rev.rev.clone(), (nsid.to_string(), rev.clone()));
        let ns = self.ns_mut(nsid);
        ns.tombs.remove(&key);
        ns.entries.insert(key.clone(), Entry::File(rev.clone()));
        ns.history.entry(key.clone()).or_default().push(rev.clone());
        self.record(nsid, &key);
        rev
    }

    /// Removes the subtree at `key`, leaving tombstones; records one change for its top.
    fn remove_subtree(&mut self, nsid: &str, key: &str) -> Vec<(String, Entry)> {
        let now = now_secs();
        let ns = self.ns_mut(nsid);
        let keys: Vec<String> = ns
            .entries
            .range(key.to_string()..)
            .take_while(|(k, _)| k.starts_with(key))
            .filter(|(k, _)| is_within(k, key))
            .map(|(k, _)| k.clone())
            .collect();
        let mut removed = Vec::new();
        for k in keys {
            if let Some(e) = ns.entries.remove(&k) {
                ns.tombs.insert(
                    k.clone(),
                    Tomb {
                        path_display: e.path_display().to_string(),
                        deleted_at: now,
                        was_folder: e.is_folder(),
                    },
                );
                removed.push((k, e));
            }
        }
        self.record(nsid, key);
        removed
    }

    /// `files/delete_v2`: returns the metadata the entry had.
    pub fn delete(&mut self, nsid: &str, key: &str) -> Result<Entry, OpError> {
        if key.is_empty() {
            return Err(OpError::Malformed);
        }
        let entry = self.get(nsid, key).cloned().ok_or(OpError::NotFound)?;
        self.remove_subtree(nsid, key);
        Ok(entry)
    }

    /// `files/move_v2` and `files/copy_v2`, within a namespace or from one to another (a team space and
    /// a member folder mounted in it). Errors carry whether they concern the source (`true`).
    pub fn relocate(
        &mut self,
        from: (&str, &str),
        to: (&str, &str),
        copy: bool,
        autorename: bool,
    ) -> Result<Entry, (bool, OpError)> {
        let ((from_ns, from), (to_ns, to)) = (from, to);
        let from_key = lower(from);
        let mut to = to.to_string();
        let mut to_key = lower(&to);
        if from_key.is_empty() {
            return Err((true, OpError::Malformed));
        }
        let src = self
            .get(from_ns, &from_key)
            .cloned()
            .ok_or((true, OpError::NotFound))?;
        let same_ns = from_ns == to_ns;
        let case_rename = same_ns && !copy && from_key == to_key && src.path_display() != to;
        if same_ns && src.is_folder() && to_key != from_key && is_within(&to_key, &from_key) {
            return Err((false, OpError::CantMoveIntoItself));
        }
        if !case_rename && let Some(existing) = self.get(to_ns, &to_key) {
            let tag = if existing.is_folder() {
                "folder"
            } else {
                "file"
            };
            if !autorename {
                return Err((false, OpError::Conflict(tag)));
            }
            to = self.free_path(to_ns, &to, false);
            to_key = lower(&to);
        }
        self.ensure_parents(to_ns, &to).map_err(|e| (false, e))?;
        let depth = components(src.path_display()).len();
        let subtree: Vec<(String, Entry)> = if copy {
            let ns = self.ns_mut(from_ns);
            ns.entries
                .iter()
                .filter(|(k, _)| is_within(k, &from_key))
                .map(|(k, e)| (k.clone(), e.clone()))
                .collect()
        } else {
            self.remove_subtree(from_ns, &from_key)
        };
        let now = now_secs();
        let mut top = None;
        for (old_key, entry) in subtree {
            let rest: Vec<&str> = components(entry.path_display())
                .into_iter()
                .skip(depth)
                .collect();
            let new_display = if rest.is_empty() {
                to.clone()
            } else {
                format!("{to}/{}", rest.join("/"))
            };
            let new_key = lower(&new_display);
            let moved = match entry {
                Entry::Folder { id, .. } => Entry::Folder {
                    id: if copy { Tree::new_id() } else { id },
                    path_display: new_display,
                },
                Entry::File(f) => {
                    let mut nf = f.clone();
                    nf.path_display = new_display;
                    if copy {
                        nf.id = Tree::new_id();
                        nf.rev = self.new_rev();
                        nf.server_modified = now;
                    }
                    self.revs
                        .insert(nf.rev.clone(), (to_ns.to_string(), nf.clone()));
                    let mut hist = if copy {
                        Vec::new()
                    } else {
                        self.ns_mut(from_ns)
                            .history
                            .remove(&old_key)
                            .unwrap_or_default()
                    };
                    hist.push(nf.clone());
                    let ns = self.ns_mut(to_ns);
                    if copy {
                        ns.history.entry(new_key.clone()).or_default().extend(hist);
                    } else {
                        ns.history.insert(new_key.clone(), hist);
                    }
                    Entry::File(nf)
                }
            };
            let ns = self.ns_mut(to_ns);
            ns.tombs.remove(&new_key);
            ns.entries.insert(new_key.clone(), moved.clone());
            self.record(to_ns, &new_key);
            if new_key == to_key {
                top = Some(moved);
            }
        }
        top.ok_or((true, OpError::NotFound))
    }

    /// `files/restore`: writes revision `rev` as the new content of `path`.
    pub fn restore(
        &mut self,
        nsid: &str,
        nsids: &[String],
        path: &str,
        rev: &str,
    ) -> Result<FileRev, OpError> {
        let old = self
            .find_rev(nsids, rev)
            .cloned()
            .ok_or(OpError::InvalidRevision)?;
        let key = lower(path);
        if let Some(Entry::Folder { .. }) = self.get(nsid, &key) {
            return Err(OpError::Conflict("folder"));
        }
        self.ensure_parents(nsid, path)?;
        let blob = BlobRef {
            name: old.blob.clone(),
            size: old.size,
            content_hash: old.content_hash.clone(),
        };
        Ok(self.write_rev(nsid, path, &blob, Some(old.client_modified)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(hash: &str) -> BlobRef {
        BlobRef {
            name: format!("b-{hash}"),
            size: 3,
            content_hash: hash.to_string(),
        }
    }

    fn commit(path: &str, mode: WriteMode) -> Commit {
        Commit {
            path: path.into(),
            mode,
            autorename: false,
            strict_conflict: false,
            client_modified: None,
        }
    }

    fn tree() -> (Tree, String) {
        let mut t = Tree::default();
        let ns = t.new_namespace();
        (t, ns)
    }

    #[test]
    fn commit_creates_parent_folders_and_keeps_case() {
        let (mut t, ns) = tree();
        let f = t
            .commit_file(&ns, &commit("/A/B/c.TXT", WriteMode::Add), &blob("h1"))
            .unwrap();
        assert_eq!(f.path_display, "/A/B/c.TXT");
        assert!(t.get(&ns, "/a/b").unwrap().is_folder());
        assert!(t.get(&ns, "/a/b/c.txt").is_some());
    }

    #[test]
    fn add_conflicts_with_different_content_but_not_identical() {
        let (mut t, ns) = tree();
        let first = t
            .commit_file(&ns, &commit("/x.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        let same = t
            .commit_file(&ns, &commit("/x.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        assert_eq!(first.rev, same.rev);
        let err = t
            .commit_file(&ns, &commit("/x.txt", WriteMode::Add), &blob("h2"))
            .unwrap_err();
        assert_eq!(err, OpError::Conflict("file"));
    }

    #[test]
    fn autorename_appends_a_number_before_the_extension() {
        let (mut t, ns) = tree();
        t.commit_file(&ns, &commit("/x.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        let mut c = commit("/x.txt", WriteMode::Add);
        c.autorename = true;
        let f = t.commit_file(&ns, &c, &blob("h2")).unwrap();
        assert_eq!(f.path_display, "/x (1).txt");
    }

    #[test]
    fn update_with_stale_rev_conflicts_and_autorenames_to_conflicted_copy() {
        let (mut t, ns) = tree();
        let first = t
            .commit_file(&ns, &commit("/x.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        t.commit_file(&ns, &commit("/x.txt", WriteMode::Overwrite), &blob("h2"))
            .unwrap();
        let stale = commit("/x.txt", WriteMode::Update(first.rev.clone()));
        assert_eq!(
            t.commit_file(&ns, &stale, &blob("h3")).unwrap_err(),
            OpError::Conflict("file")
        );
        let mut renamed = stale.clone();
        renamed.autorename = true;
        let f = t.commit_file(&ns, &renamed, &blob("h3")).unwrap();
        assert_eq!(f.path_display, "/x (conflicted copy).txt");
    }

    #[test]
    fn move_carries_children_and_ids() {
        let (mut t, ns) = tree();
        let f = t
            .commit_file(&ns, &commit("/a/f.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        let moved = t
            .relocate((&ns, "/a"), (&ns, "/b/A2"), false, false)
            .unwrap();
        assert_eq!(moved.path_display(), "/b/A2");
        let Some(Entry::File(nf)) = t.get(&ns, "/b/a2/f.txt") else {
            panic!("moved file missing")
        };
        assert_eq!(nf.id, f.id);
        assert!(t.get(&ns, "/a").is_none());
        assert!(t.ns(&ns).unwrap().tombs.contains_key("/a/f.txt"));
    }

    #[test]
    fn folder_cannot_move_into_itself() {
        let (mut t, ns) = tree();
        t.create_folder(&ns, "/a", false).unwrap();
        assert_eq!(
            t.relocate((&ns, "/a"), (&ns, "/a/b"), false, false)
                .unwrap_err(),
            (false, OpError::CantMoveIntoItself)
        );
    }

    #[test]
    fn copy_gives_new_ids_and_revs() {
        let (mut t, ns) = tree();
        let f = t
            .commit_file(&ns, &commit("/f.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        let Entry::File(c) = t
            .relocate((&ns, "/f.txt"), (&ns, "/g.txt"), true, false)
            .unwrap()
        else {
            panic!()
        };
        assert_ne!(c.id, f.id);
        assert_ne!(c.rev, f.rev);
        assert_eq!(c.content_hash, f.content_hash);
        assert!(t.get(&ns, "/f.txt").is_some());
    }

    #[test]
    fn a_move_to_another_namespace_keeps_ids_and_revisions() {
        let (mut t, home) = tree();
        let team = t.new_namespace();
        let f = t
            .commit_file(&home, &commit("/d/f.txt", WriteMode::Add), &blob("h1"))
            .unwrap();
        let moved = t
            .relocate((&home, "/d"), (&team, "/Shared/d"), false, false)
            .unwrap();
        assert_eq!(moved.path_display(), "/Shared/d");
        let Some(Entry::File(nf)) = t.get(&team, "/shared/d/f.txt") else {
            panic!("moved file missing")
        };
        assert_eq!(nf.id, f.id);
        assert!(t.get(&home, "/d").is_none());
        assert_eq!(
            t.find_rev_in(std::slice::from_ref(&team), &f.rev)
                .unwrap()
                .0,
            team
        );
        assert_eq!(t.ns(&team).unwrap().history["/shared/d/f.txt"].len(), 2);
    }

    #[test]
    fn changes_since_reports_each_path_once_in_latest_order() {
        let (mut t, ns) = tree();
        let since = t.seq;
        t.commit_file(&ns, &commit("/a.txt", WriteMode::Add), &blob("1"))
            .unwrap();
        t.commit_file(&ns, &commit("/b.txt", WriteMode::Add), &blob("2"))
            .unwrap();
        t.commit_file(&ns, &commit("/a.txt", WriteMode::Overwrite), &blob("3"))
            .unwrap();
        let keys: Vec<String> = t
            .changes_since(&ns, "", false, since)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec!["/b.txt", "/a.txt"]);
    }
}
