//! "Created": when a file was first stored, for the List field's Created parameter. Dropbox keeps
//! no creation time, so it is the time of the earliest revision Dropbox still lists.
use super::DropboxConnector;
use super::cache::WeightedLru;
use crate::confine;
use dropbox::DropboxClient;
use futures::{StreamExt, stream};
use std::collections::HashMap;

use super::files::FilesError;

/// Creation times remembered (a file's never changes, so they are kept until evicted).
pub const CREATED_CACHE_ENTRIES: usize = 50_000;

/// Revisions asked for per file: Dropbox's maximum for one call.
const REVISIONS_PER_FILE: u64 = 100;

/// Files looked up at the same time, so a page of 200 files neither takes 200 round trips in a row
/// nor hits Dropbox with 200 calls at once.
const CONCURRENT_LOOKUPS: usize = 8;

/// (data source, Dropbox file id). The data source is part of the key so a caller naming a file id
/// of another data source cannot read (or plant) a value through this one.
pub(super) type CreatedCache = WeightedLru<(i32, String), String>;

pub(super) fn new_cache() -> CreatedCache {
    WeightedLru::new(CREATED_CACHE_ENTRIES)
}

impl DropboxConnector {
    /// The creation time (RFC 3339) of each `(path relative to the root, Dropbox file id)`, keyed by
    /// file id: the `server_modified` of the earliest of the file's revisions Dropbox lists. For a
    /// file with more than 100 revisions that is the earliest of the last 100. A file that cannot be
    /// looked up (refused path, left out by the File pattern, gone, Dropbox failing, or now a
    /// different file) just has no entry.
    pub async fn created_times(
        &self,
        id: i32,
        files: &[(String, String)],
    ) -> Result<HashMap<String, String>, FilesError> {
        let source = self.source(id).await?;
        let (root, client) = (source.root.clone(), source.client.clone());
        let allowed: Vec<(String, String)> = files
            .iter()
            .filter(|file| source.allow_file(&file.0).is_ok())
            .cloned()
            .collect();
        let found: Vec<Option<(String, String)>> = stream::iter(allowed)
            .map(|(path, file_id)| {
                let (client, root) = (client.clone(), root.clone());
                async move {
                    let created = self
                        .created_time(id, &client, &root, &path, &file_id)
                        .await?;
                    Some((file_id, created))
                }
            })
            .buffer_unordered(CONCURRENT_LOOKUPS)
            .collect()
            .await;
        Ok(found.into_iter().flatten().collect())
    }

    async fn created_time(
        &self,
        id: i32,
        client: &DropboxClient,
        root: &str,
        path: &str,
        file_id: &str,
    ) -> Option<String> {
        let key = (id, file_id.to_owned());
        if let Some(created) = self.created.get(&key) {
            return Some(created);
        }
        let created = earliest_revision(client, root, path, file_id).await?;
        self.created.insert(key, created.clone(), 1);
        Some(created)
    }
}

/// The earliest `server_modified` among the revisions of the file at `path` that still belong to
/// `file_id` (a path can have held another file before, which Dropbox lists in path mode too).
async fn earliest_revision(
    client: &DropboxClient,
    root: &str,
    path: &str,
    file_id: &str,
) -> Option<String> {
    let dropbox_path = match confine::resolve(root, path) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!("no Created time for a refused path: {e}");
            return None;
        }
    };
    let revisions = match client
        .list_revisions(&dropbox_path, REVISIONS_PER_FILE)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("no Created time: listing revisions failed: {e}");
            return None;
        }
    };
    // RFC 3339 in UTC with a fixed format, as Dropbox writes it, sorts as text.
    revisions
        .into_iter()
        .filter(|r| r.id == file_id)
        .map(|r| r.server_modified)
        .min()
}
