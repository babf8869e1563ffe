//! Team spaces: a member's home namespace is mounted inside the team's root namespace at
//! `/<Display Name>`, as in a Dropbox team space. A caller whose `Dropbox-API-Path-Root` is the team root
//! sees its own member folder there (not its teammates'): paths below the mount point address the home
//! namespace, and entries of the home namespace are shown with the mount point in front of their paths and
//! with the sharing information of a namespace mounted in another (`parent_shared_folder_id`,
//! `sharing_info`).

use super::tree::Tree;
use crate::paths::{self, lower};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A namespace mounted at the top level of another.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mount {
    /// Where it appears, e.g. `/Ann Lee`.
    pub path_display: String,
    /// The mounted namespace (the member's home).
    pub nsid: String,
    /// The folder id the mount point has.
    pub id: String,
}

impl Mount {
    pub fn key(&self) -> String {
        lower(&self.path_display)
    }

    /// `FolderMetadata` of the mount point: a folder that is the root of a namespace.
    pub fn metadata(&self) -> Value {
        json!({
            "name": paths::name(&self.path_display),
            "path_lower": self.key(),
            "path_display": self.path_display,
            "id": self.id,
            "shared_folder_id": self.nsid,
            "sharing_info": {
                "read_only": false,
                "shared_folder_id": self.nsid,
                "traverse_only": false,
                "no_access": false,
            },
        })
    }
}

/// From which namespace entries are seen, and which of the namespaces mounted in it are visible (a
/// member sees its own home in the team space, not its teammates').
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub from: &'a str,
    pub visible: &'a [String],
}

/// A path resolved through the mounts of the namespace it was given in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub nsid: String,
    /// Path inside `nsid` (`""` for its root).
    pub path: String,
    /// The mount point the path named itself (the root of `nsid`, seen as a folder of the team space).
    pub mount_point: Option<Mount>,
}

impl Tree {
    /// Mounts `member_ns` at `/<name>` in `root_ns` (`/<name> (1)` … when taken) and returns the path.
    pub fn mount(&mut self, root_ns: &str, name: &str, member_ns: &str) -> String {
        if let Some(m) = self.mount_of(root_ns, member_ns) {
            return m.path_display.clone();
        }
        let taken = |t: &Tree, p: &str| {
            let key = lower(p);
            t.get(root_ns, &key).is_some() || t.mounts_in(root_ns).any(|m| m.key() == key)
        };
        let base = format!("/{}", name.replace('/', "_"));
        let path = std::iter::once(base.clone())
            .chain((1..).map(|n| format!("{base} ({n})")))
            .find(|p| !taken(self, p))
            .unwrap_or(base);
        let mount = Mount {
            path_display: path.clone(),
            nsid: member_ns.to_string(),
            id: Tree::new_id(),
        };
        self.mounts
            .entry(root_ns.to_string())
            .or_default()
            .push(mount);
        path
    }

    /// Every namespace mounted in `nsid`.
    pub fn mounts_in(&self, nsid: &str) -> impl Iterator<Item = &Mount> {
        self.mounts.get(nsid).into_iter().flatten()
    }

    /// The mounts of `view.from` the view sees.
    pub fn visible_mounts<'t>(&'t self, view: View<'t>) -> impl Iterator<Item = &'t Mount> {
        self.mounts_in(view.from)
            .filter(move |m| view.visible.contains(&m.nsid))
    }

    /// Where `member_ns` is mounted in `root_ns`.
    pub fn mount_of(&self, root_ns: &str, member_ns: &str) -> Option<&Mount> {
        self.mounts_in(root_ns).find(|m| m.nsid == member_ns)
    }

    /// Resolves `path` given in `view.from` through the mounts the view sees.
    pub fn locate(&self, view: View<'_>, path: &str) -> Located {
        let mut comps = path.split('/').filter(|c| !c.is_empty());
        let top = comps.next().map(lower);
        let mount = top.and_then(|t| {
            self.visible_mounts(view)
                .find(|m| m.key() == format!("/{t}"))
        });
        match mount {
            Some(m) => {
                let rest: String = comps.map(|c| format!("/{c}")).collect();
                Located {
                    nsid: m.nsid.clone(),
                    mount_point: rest.is_empty().then(|| m.clone()),
                    path: rest,
                }
            }
            None => Located {
                nsid: view.from.to_string(),
                path: path.to_string(),
                mount_point: None,
            },
        }
    }

    /// How `path_display` of an entry of `nsid` reads in `view`.
    pub fn shown_path(&self, view: View<'_>, nsid: &str, path_display: &str) -> String {
        match self.mount_of(view.from, nsid) {
            Some(m) if nsid != view.from && view.visible.contains(&m.nsid) => {
                format!("{}{path_display}", m.path_display)
            }
            _ => path_display.to_string(),
        }
    }

    /// Shows metadata of an entry of `nsid` as `view` sees it: through a mount point, its paths start with
    /// the mount's path and it carries the mounted namespace's sharing information.
    pub fn present(&self, view: View<'_>, nsid: &str, mut meta: Value) -> Value {
        if nsid == view.from {
            return meta;
        }
        let Some(m) = self
            .mount_of(view.from, nsid)
            .filter(|m| view.visible.contains(&m.nsid))
        else {
            return meta;
        };
        let Value::Object(o) = &mut meta else {
            return meta;
        };
        for (field, prefix) in [
            ("path_display", m.path_display.clone()),
            ("path_lower", m.key()),
        ] {
            if let Some(Value::String(p)) = o.get(field) {
                let shown = format!("{prefix}{p}");
                o.insert(field.into(), Value::String(shown));
            }
        }
        o.insert("parent_shared_folder_id".into(), json!(m.nsid));
        let sharing = if o.contains_key("rev") {
            Some(json!({"read_only": false, "parent_shared_folder_id": m.nsid}))
        } else if o.contains_key("id") {
            Some(json!({
                "read_only": false,
                "parent_shared_folder_id": m.nsid,
                "traverse_only": false,
                "no_access": false,
            }))
        } else {
            None
        };
        if let Some(s) = sharing {
            o.insert("sharing_info".into(), s);
        }
        meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> (Tree, String, String) {
        let mut t = Tree::default();
        let root = t.new_namespace();
        let home = t.new_namespace();
        t.mount(&root, "Ann Lee", &home);
        (t, root, home)
    }

    #[test]
    fn mount_names_do_not_collide() {
        let (mut t, root, _) = team();
        let other = t.new_namespace();
        assert_eq!(t.mount(&root, "Ann Lee", &other), "/Ann Lee (1)");
    }

    #[test]
    fn paths_below_a_visible_mount_point_address_the_mounted_namespace() {
        let (t, root, home) = team();
        let visible = vec![home.clone(), root.clone()];
        let view = View {
            from: &root,
            visible: &visible,
        };
        let inside = t.locate(view, "/ann lee/Docs/a.txt");
        assert_eq!(inside.nsid, home);
        assert_eq!(inside.path, "/Docs/a.txt");
        assert!(t.locate(view, "/Ann Lee").mount_point.is_some());
        assert_eq!(t.locate(view, "/Other/x").nsid, root);
        let stranger = vec![root.clone()];
        let unseen = View {
            from: &root,
            visible: &stranger,
        };
        assert_eq!(t.locate(unseen, "/Ann Lee/x").nsid, root);
    }

    #[test]
    fn entries_seen_through_a_mount_carry_its_path_and_sharing_info() {
        let (t, root, home) = team();
        let visible = vec![home.clone(), root.clone()];
        let view = View {
            from: &root,
            visible: &visible,
        };
        let file = json!({".tag": "file", "name": "a.txt", "path_lower": "/a.txt", "path_display": "/a.txt", "id": "id:x", "rev": "0123456789"});
        let shown = t.present(view, &home, file.clone());
        assert_eq!(shown["path_display"], "/Ann Lee/a.txt");
        assert_eq!(shown["path_lower"], "/ann lee/a.txt");
        assert_eq!(shown["sharing_info"]["parent_shared_folder_id"], home);
        assert_eq!(shown["parent_shared_folder_id"], home);
        let own = View {
            from: &home,
            visible: &visible,
        };
        assert_eq!(t.present(own, &home, file.clone()), file);
    }
}
