//! A data source's files, as its callers see them: paths relative to the data source's root folder,
//! never outside it. Authorization is the caller's job (the policy); confinement is this module's.
use super::DropboxConnector;
use crate::confine::{self, PathRefused};
use crate::data_sources::{self, DataSourceError};
use dropbox::types::Metadata;
use dropbox::{Download, DownloadRange, DropboxError, ListOptions};
use futures::StreamExt;
use sea_orm::DbErr;

/// Entries per page: a screenful or two, never a whole 10 000-entry folder.
pub const PAGE_LIMIT: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("There is no such data source; it may have been deleted.")]
    NotFound,
    #[error("{0}")]
    Path(#[from] PathRefused),
    #[error("This listing can no longer be continued. Reload the folder.")]
    StaleCursor,
    #[error("{}", .0.user_message())]
    Dropbox(#[from] DropboxError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl From<DataSourceError> for FilesError {
    fn from(e: DataSourceError) -> Self {
        match e {
            DataSourceError::Database(e) => FilesError::Database(e),
            _ => FilesError::NotFound,
        }
    }
}

impl FilesError {
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            FilesError::NotFound | FilesError::Dropbox(DropboxError::NotFound(_))
        )
    }
}

/// A file or folder, with its path relative to the data source's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub path: String,
    pub is_folder: bool,
    pub id: String,
    pub size: Option<u64>,
    /// Dropbox's `server_modified`, RFC 3339.
    pub modified: Option<String>,
    pub rev: Option<String>,
    pub content_hash: Option<String>,
}

/// One page of a folder, and how to ask for the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderPage {
    /// The folder, relative to the root (`""` is the root).
    pub folder: String,
    pub entries: Vec<Entry>,
    /// Sealed: only this server can open it, and only for this data source and folder.
    pub next: Option<String>,
}

impl DropboxConnector {
    /// One page of `folder` (relative to the data source's root): the first, or the one after `next`.
    pub async fn list_page(
        &self,
        id: i32,
        folder: &str,
        next: Option<&str>,
    ) -> Result<FolderPage, FilesError> {
        let ds = data_sources::get(&self.db, id).await?;
        let root = &ds.settings.root_folder;
        let dropbox_path = confine::resolve(root, folder)?;
        let folder = confine::relative_to_root(root, &dropbox_path)?;
        let cursor_context = format!("list-cursor:{id}:{}", dropbox_path.to_lowercase());
        // The cursor goes to the browser sealed and bound to this data source and folder: a cursor
        // from another folder, data source or a forged one cannot list anything else.
        let cursor = match next {
            Some(sealed) => Some(
                self.vault
                    .open_sealed(sealed, &cursor_context)
                    .map_err(|_| FilesError::StaleCursor)?,
            ),
            None => None,
        };
        let client = self.client(id, &ds.settings);
        let mut pages = client.list_folder(ListOptions {
            path: dropbox_path,
            recursive: false,
            limit: Some(PAGE_LIMIT),
            cursor,
        });
        let page = match pages.next().await {
            Some(page) => page?,
            None => return Err(FilesError::Dropbox(DropboxError::CursorReset)),
        };
        if page.restarted && next.is_some() {
            // Dropbox reset the cursor: earlier pages the browser holds may be stale.
            return Err(FilesError::StaleCursor);
        }
        Ok(FolderPage {
            folder,
            entries: page.entries.iter().filter_map(|m| entry(root, m)).collect(),
            next: page
                .has_more
                .then(|| self.vault.seal(&page.cursor, &cursor_context)),
        })
    }

    /// Creates `name` inside `parent` (both relative to the root).
    pub async fn create_folder(
        &self,
        id: i32,
        parent: &str,
        name: &str,
    ) -> Result<Entry, FilesError> {
        let ds = data_sources::get(&self.db, id).await?;
        let root = &ds.settings.root_folder;
        let name = name.trim();
        if name.is_empty() || name.contains('/') {
            return Err(FilesError::Path(PathRefused::Traversal));
        }
        let path = confine::resolve(root, &format!("{parent}/{name}"))?;
        let created = self.client(id, &ds.settings).create_folder(&path).await?;
        entry(root, &Metadata::Folder(created)).ok_or(FilesError::Path(PathRefused::OutsideRoot))
    }

    /// Deletes a file or folder (relative to the root). The root itself cannot be deleted.
    pub async fn delete_entry(&self, id: i32, path: &str) -> Result<(), FilesError> {
        let ds = data_sources::get(&self.db, id).await?;
        let root = &ds.settings.root_folder;
        let dropbox_path = confine::resolve(root, path)?;
        if confine::relative_to_root(root, &dropbox_path)?.is_empty() {
            return Err(FilesError::Path(PathRefused::OutsideRoot));
        }
        self.client(id, &ds.settings).delete(&dropbox_path).await?;
        Ok(())
    }

    /// Starts streaming a file (relative to the root); the content is verified against Dropbox's
    /// content hash as it streams.
    pub async fn open_file(
        &self,
        id: i32,
        path: &str,
        range: Option<DownloadRange>,
    ) -> Result<Download, FilesError> {
        let ds = data_sources::get(&self.db, id).await?;
        let dropbox_path = confine::resolve(&ds.settings.root_folder, path)?;
        if confine::relative_to_root(&ds.settings.root_folder, &dropbox_path)?.is_empty() {
            return Err(FilesError::Dropbox(DropboxError::Unsupported(
                "the root is a folder".into(),
            )));
        }
        Ok(self
            .client(id, &ds.settings)
            .download(&dropbox_path, range)
            .await?)
    }
}

/// The entry as callers see it, or `None` when Dropbox answered with something outside the root
/// (or a deleted entry), which is never shown.
pub(super) fn entry(root: &str, m: &Metadata) -> Option<Entry> {
    let (name, path_display, is_folder, id, size, modified, rev, hash) = match m {
        Metadata::File(f) => (
            &f.name,
            f.path_display.as_deref(),
            false,
            f.id.clone(),
            Some(f.size),
            Some(f.server_modified.clone()),
            Some(f.rev.clone()),
            f.content_hash.clone(),
        ),
        Metadata::Folder(f) => (
            &f.name,
            f.path_display.as_deref(),
            true,
            f.id.clone(),
            None,
            None,
            None,
            None,
        ),
        Metadata::Deleted(_) => return None,
    };
    let path = confine::relative_to_root(root, path_display?).ok()?;
    Some(Entry {
        name: name.clone(),
        path,
        is_folder,
        id,
        size,
        modified,
        rev,
        content_hash: hash,
    })
}
