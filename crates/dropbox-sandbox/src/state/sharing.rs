//! Shared links. A link points at a file or folder by its id, so it follows moves and renames and dies
//! with a delete; one link per entry and owner, as `create_shared_link_with_settings` allows. Links are
//! served by the sandbox at `<base>/scl/fi/<id>/<name>?rlkey=…&dl=0` (files) and
//! `<base>/scl/fo/<id>/<rlkey>?rlkey=…&dl=0` (folders), like dropbox.com's.

use super::tree::Tree;
use crate::util::random_alnum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Links per page of `list_shared_links`.
pub const LIST_PAGE: usize = 200;

/// `sharing.LinkAudience` (and the deprecated `RequestedVisibility` it replaced).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Public,
    Team,
    NoOne,
}

impl Audience {
    pub fn tag(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Team => "team",
            Audience::NoOne => "no_one",
        }
    }
}

/// What a link allows, as set at creation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkSettings {
    pub audience: Audience,
    pub password: Option<String>,
    /// Seconds since the epoch.
    pub expires: Option<i64>,
    pub allow_download: bool,
    /// `viewer` or `editor`.
    pub access: String,
}

impl LinkSettings {
    pub fn public() -> Self {
        Self {
            audience: Audience::Public,
            password: None,
            expires: None,
            allow_download: true,
            access: "viewer".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SharedLink {
    /// The id in the link's URL.
    pub id: String,
    /// The `rlkey` the URL must carry.
    pub rlkey: String,
    pub owner: String,
    /// The linked file's or folder's id.
    pub entry_id: String,
    pub is_folder: bool,
    /// The name when the link was made (it stays in the URL).
    pub name: String,
    pub settings: LinkSettings,
    /// Creation order, for paging `list_shared_links`.
    pub seq: u64,
}

impl SharedLink {
    /// The link's URL under `base`.
    pub fn url(&self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        if self.is_folder {
            format!(
                "{base}/scl/fo/{}/{}?rlkey={}&dl=0",
                self.id, self.rlkey, self.rlkey
            )
        } else {
            let name: String = form_urlencoded::byte_serialize(self.name.as_bytes())
                .collect::<String>()
                .replace('+', "%20");
            format!("{base}/scl/fi/{}/{name}?rlkey={}&dl=0", self.id, self.rlkey)
        }
    }

    pub fn expired(&self, now_secs: i64) -> bool {
        self.settings.expires.is_some_and(|e| e <= now_secs)
    }
}

/// The link id and `rlkey` a URL names, if it has the shape of a sandbox link (any host).
pub fn parse_url(url: &str) -> Option<(String, Option<String>)> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let rest = path
        .split_once("/scl/fi/")
        .or_else(|| path.split_once("/scl/fo/"))?
        .1;
    let id = rest.split('/').next().filter(|i| !i.is_empty())?;
    let rlkey = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "rlkey")
        .map(|(_, v)| v.into_owned());
    Some((id.to_string(), rlkey))
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SharingState {
    /// Links by id.
    pub links: BTreeMap<String, SharedLink>,
    pub seq: u64,
}

impl SharingState {
    /// The owner's link to an entry.
    pub fn link_to(&self, owner: &str, entry_id: &str) -> Option<&SharedLink> {
        self.links
            .values()
            .find(|l| l.owner == owner && l.entry_id == entry_id)
    }

    pub fn create(
        &mut self,
        owner: &str,
        entry_id: &str,
        is_folder: bool,
        name: &str,
        settings: LinkSettings,
    ) -> SharedLink {
        self.seq += 1;
        let link = SharedLink {
            id: random_alnum(15).to_lowercase(),
            rlkey: random_alnum(25).to_lowercase(),
            owner: owner.to_string(),
            entry_id: entry_id.to_string(),
            is_folder,
            name: name.to_string(),
            settings,
            seq: self.seq,
        };
        self.links.insert(link.id.clone(), link.clone());
        link
    }

    /// The link a URL names (the `rlkey`, when given, must match).
    pub fn by_url(&self, url: &str) -> Option<&SharedLink> {
        let (id, rlkey) = parse_url(url)?;
        self.links
            .get(&id)
            .filter(|l| rlkey.as_ref().is_none_or(|k| *k == l.rlkey))
    }
}

/// Where a link's entry is now: its namespace and `path_display`, among the owner's namespaces; `None` once
/// it was deleted.
pub fn locate(tree: &Tree, owner_nsids: &[String], link: &SharedLink) -> Option<(String, String)> {
    tree.find_id(owner_nsids, &link.entry_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_round_trip_to_their_link() {
        let mut s = SharingState::default();
        let f = s.create(
            "acc",
            "id:f",
            false,
            "Q1 report.pdf",
            LinkSettings::public(),
        );
        let url = f.url("https://127.0.0.1:1/");
        assert!(
            url.starts_with(&format!(
                "https://127.0.0.1:1/scl/fi/{}/Q1%20report.pdf?rlkey=",
                f.id
            )),
            "{url}"
        );
        assert!(url.ends_with("&dl=0"));
        assert_eq!(s.by_url(&url).unwrap().entry_id, "id:f");
        let d = s.create("acc", "id:d", true, "Docs", LinkSettings::public());
        assert_eq!(s.by_url(&d.url("http://x")).unwrap().entry_id, "id:d");
        let wrong_key = url.replace(&f.rlkey, "nope");
        assert!(s.by_url(&wrong_key).is_none());
        assert!(s.by_url("https://www.dropbox.com/s/abc/x.txt").is_none());
    }
}
