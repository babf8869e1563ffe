//! A data source's files, as its callers see them: paths relative to the data source's root folder,
//! never outside it. Authorization is the caller's job (the policy); confinement is this module's.
use super::DropboxConnector;
use super::pattern::FilePattern;
use crate::confine::{self, PathRefused};
use crate::data_sources::{self, DataSourceError};
use dropbox::types::Metadata;
use dropbox::{Download, DownloadRange, DropboxClient, DropboxError, ListOptions, ListPage};
use entity::{data_source, dropbox_credential};
use futures::StreamExt;
use sea_orm::{DbErr, EntityTrait};
use wharf_types::{DropboxSettings, SearchScope};

/// Entries per page: a screenful or two, never a whole 10 000-entry folder.
pub const PAGE_LIMIT: u32 = 200;

/// The longest search query accepted, in characters (Dropbox allows 1000; names are far shorter).
pub const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("There is no such data source; it may have been deleted.")]
    NotFound,
    /// Never authorized: there are no credentials to call Dropbox with. Not a failure of Wharf's
    /// credential storage, and nothing the person using it can fix.
    #[error(
        "This data source is not connected to Dropbox yet. An administrator must authorize it first."
    )]
    NotConnected,
    /// A file the data source's File pattern leaves out, named by path: it does not exist for Wharf.
    #[error("This file is not one of the file types this data source allows ({0}).")]
    FileTypeNotAllowed(String),
    #[error("{0}")]
    Path(#[from] PathRefused),
    #[error("This listing can no longer be continued. Reload the folder.")]
    StaleCursor,
    #[error("Type something to search for.")]
    EmptyQuery,
    #[error("The search is too long (at most 200 characters).")]
    QueryTooLong,
    #[error("This file has no thumbnail: only pictures have one.")]
    NoThumbnail,
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

    /// The caller sent something unusable (a refused path, a blank or over-long query): a 4xx.
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            FilesError::Path(_) | FilesError::EmptyQuery | FilesError::QueryTooLong
        )
    }
}

/// A file or folder, with its path relative to the data source's root.
pub use wharf_types::FileEntry as Entry;

/// One page of a folder, and how to ask for the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderPage {
    /// The data source's display name, read with the rest (no second look-up to show it).
    pub data_source_name: Option<String>,
    /// The folder, relative to the root (`""` is the root).
    pub folder: String,
    pub entries: Vec<Entry>,
    /// Sealed: only this server can open it, and only for this data source and folder.
    pub next: Option<String>,
}

/// A data source as every file call sees it: its root, which files it has (its File pattern), how
/// searches reach into sub-folders, and a client to call Dropbox as it. Entries and paths pass
/// through here, so nothing can list, look up, fetch or change a file the data source leaves out.
pub(super) struct Source {
    /// Its display name (for pages that show where their files come from).
    pub name: Option<String>,
    pub root: String,
    pub pattern: FilePattern,
    pub search_scope: SearchScope,
    pub client: DropboxClient,
}

impl DropboxConnector {
    /// Data source `id` ready to be used: it exists and has been authorized (`NotConnected`
    /// otherwise, before any token is read).
    pub(super) async fn source(&self, id: i32) -> Result<Source, FilesError> {
        // One query (a join): every file call starts here.
        let (ds, credential) = data_source::Entity::find_by_id(id)
            .find_also_related(dropbox_credential::Entity)
            .one(&self.db)
            .await?
            .ok_or(DataSourceError::NotFound)?;
        if credential.is_none() {
            return Err(FilesError::NotConnected);
        }
        let settings = data_sources::settings_of(&ds);
        let client = self.client(id, &settings);
        Ok(Source::new(ds.display_name, &settings, client))
    }
}

impl Source {
    pub(super) fn new(
        name: Option<String>,
        settings: &DropboxSettings,
        client: DropboxClient,
    ) -> Self {
        Self {
            name,
            root: settings.root_folder.clone(),
            pattern: FilePattern::stored(&settings.file_pattern),
            search_scope: settings.search_scope,
            client,
        }
    }

    /// The Dropbox path of `relative` (relative to the root), or why it is refused.
    pub fn resolve(&self, relative: &str) -> Result<String, FilesError> {
        Ok(confine::resolve(&self.root, relative)?)
    }

    /// The entry as callers see it, or `None` when it is not one of the data source's: outside the
    /// root, deleted, or a file the File pattern leaves out (folders always show).
    pub fn entry(&self, m: &Metadata) -> Option<Entry> {
        entry(&self.root, m).filter(|e| self.pattern.shows(&e.name, e.is_folder))
    }

    /// Refuses a file name the File pattern leaves out, before Dropbox is asked for it.
    pub fn allow_file(&self, dropbox_path: &str) -> Result<(), FilesError> {
        let name = dropbox_path.rsplit('/').next().unwrap_or_default();
        if self.pattern.allows(name) {
            Ok(())
        } else {
            Err(self.not_allowed())
        }
    }

    /// The refusal of a file the File pattern leaves out.
    pub fn not_allowed(&self) -> FilesError {
        FilesError::FileTypeNotAllowed(self.pattern.as_str().to_owned())
    }

    /// An entry looked up by path as callers may see it: a file the pattern leaves out is refused.
    pub fn checked(&self, m: &Metadata) -> Result<Entry, FilesError> {
        let found = entry(&self.root, m).ok_or(FilesError::Path(PathRefused::OutsideRoot))?;
        if self.pattern.shows(&found.name, found.is_folder) {
            Ok(found)
        } else {
            Err(self.not_allowed())
        }
    }
}

/// One page of `PAGE_LIMIT` entries of the Dropbox folder `path`: the first, or the one after
/// `cursor`. Owns what it needs, so it can also run as a page read ahead.
fn fetch_page(
    client: &DropboxClient,
    path: &str,
    cursor: Option<String>,
) -> impl Future<Output = Result<ListPage, DropboxError>> + Send + 'static {
    let mut pages = client.list_folder(ListOptions {
        path: path.to_owned(),
        recursive: false,
        limit: Some(PAGE_LIMIT),
        cursor,
    });
    async move { pages.next().await.unwrap_or(Err(DropboxError::CursorReset)) }
}

impl DropboxConnector {
    /// One page of `folder` (relative to the data source's root): the first, or the one after `next`.
    /// Files the File pattern leaves out are not listed, so a page may be short (even empty) while
    /// `next` still leads on.
    pub async fn list_page(
        &self,
        id: i32,
        folder: &str,
        next: Option<&str>,
    ) -> Result<FolderPage, FilesError> {
        let source = self.source(id).await?;
        let dropbox_path = source.resolve(folder)?;
        let folder = confine::relative_to_root(&source.root, &dropbox_path)?;
        let cursor_context = format!("list-cursor:{id}:{}", dropbox_path.to_lowercase());
        // The cursor goes to the browser sealed and bound to this data source and folder: a cursor
        // from another folder, data source or a forged one cannot list anything else.
        let cursor = self.open_cursor(next, &cursor_context)?;
        let read_ahead = match &cursor {
            Some(cursor) => self.read_ahead.take(id, cursor).await,
            None => None,
        };
        let page = match read_ahead {
            Some(page) => page,
            None => fetch_page(&source.client, &dropbox_path, cursor).await?,
        };
        if page.restarted && next.is_some() {
            // Dropbox reset the cursor: earlier pages the browser holds may be stale.
            return Err(FilesError::StaleCursor);
        }
        if next.is_some() && page.has_more {
            // Someone paging on: fetch the page after this one while they read it.
            let after = fetch_page(&source.client, &dropbox_path, Some(page.cursor.clone()));
            self.read_ahead.start(id, &page.cursor, after);
        }
        Ok(FolderPage {
            data_source_name: source.name.clone(),
            folder,
            entries: page
                .entries
                .iter()
                .filter_map(|m| source.entry(m))
                .collect(),
            next: page
                .has_more
                .then(|| self.vault.seal(&page.cursor, &cursor_context)),
        })
    }

    /// One page of a name search for `query` under `folder` (relative to the root): the first, or the
    /// one after `next`. Entries are relative to the root and never outside it, and files the File
    /// pattern leaves out are dropped. Only the folder's direct children are kept when `recursive`
    /// is false or the data source searches its top folder only (Search in), so a page may be short
    /// (even empty) while `next` still leads on. The cursor is sealed and bound to the data source,
    /// folder, query and the depth searched: one from any other search is refused as `StaleCursor`.
    pub async fn search_page(
        &self,
        id: i32,
        folder: &str,
        query: &str,
        next: Option<&str>,
        recursive: bool,
    ) -> Result<FolderPage, FilesError> {
        let query = checked_query(query)?;
        let source = self.source(id).await?;
        let recursive = recursive && source.search_scope == SearchScope::AllSubfolders;
        let dropbox_path = source.resolve(folder)?;
        let folder = confine::relative_to_root(&source.root, &dropbox_path)?;
        let cursor_context =
            search_cursor_context(id, &dropbox_path.to_lowercase(), query, recursive);
        let cursor = self.open_cursor(next, &cursor_context)?;
        let page = source
            .client
            .search_page(query, Some(dropbox_path.as_str()), cursor)
            .await?;
        let entries = page
            .entries
            .iter()
            .filter_map(|m| source.entry(m))
            .filter(|e| is_inside(&e.path, &folder, recursive))
            .collect();
        Ok(FolderPage {
            data_source_name: source.name.clone(),
            folder,
            entries,
            next: page.cursor.map(|c| self.vault.seal(&c, &cursor_context)),
        })
    }

    /// The Dropbox cursor a sealed `next` stands for, if it was sealed for `context` by this server.
    fn open_cursor(&self, next: Option<&str>, context: &str) -> Result<Option<String>, FilesError> {
        next.map(|sealed| {
            self.vault
                .open_sealed(sealed, context)
                .map_err(|_| FilesError::StaleCursor)
        })
        .transpose()
    }

    /// Creates `name` inside `parent` (both relative to the root). Folders are never subject to the
    /// File pattern.
    pub async fn create_folder(
        &self,
        id: i32,
        parent: &str,
        name: &str,
    ) -> Result<Entry, FilesError> {
        let source = self.source(id).await?;
        let name = name.trim();
        if name.is_empty() || name.contains('/') {
            return Err(FilesError::Path(PathRefused::Traversal));
        }
        let path = source.resolve(&format!("{parent}/{name}"))?;
        let created = source.client.create_folder(&path).await?;
        source.checked(&Metadata::Folder(created))
    }

    /// An upload session in data source `id`, to feed as a file arrives and commit later.
    pub async fn session_upload(&self, id: i32) -> Result<dropbox::SessionUpload, FilesError> {
        Ok(self.source(id).await?.client.session_upload())
    }

    /// Deletes a file or folder (relative to the root). The root itself cannot be deleted, nor a file
    /// the File pattern leaves out.
    pub async fn delete_entry(&self, id: i32, path: &str) -> Result<(), FilesError> {
        let source = self.source(id).await?;
        let dropbox_path = source.resolve(path)?;
        if confine::relative_to_root(&source.root, &dropbox_path)?.is_empty() {
            return Err(FilesError::Path(PathRefused::OutsideRoot));
        }
        if source.allow_file(&dropbox_path).is_err() {
            // The name is not one the pattern allows: only a folder of that name may go.
            source.checked(&source.client.get_metadata(&dropbox_path).await?)?;
        }
        source.client.delete(&dropbox_path).await?;
        Ok(())
    }

    /// Starts streaming a file (relative to the root) the File pattern allows; the content is
    /// verified against Dropbox's content hash as it streams.
    pub async fn open_file(
        &self,
        id: i32,
        path: &str,
        range: Option<DownloadRange>,
    ) -> Result<Download, FilesError> {
        let source = self.source(id).await?;
        let dropbox_path = source.resolve(path)?;
        if confine::relative_to_root(&source.root, &dropbox_path)?.is_empty() {
            return Err(FilesError::Dropbox(DropboxError::Unsupported(
                "the root is a folder".into(),
            )));
        }
        source.allow_file(&dropbox_path)?;
        Ok(source.client.download(&dropbox_path, range).await?)
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

/// The trimmed query, or why it cannot be searched for.
fn checked_query(query: &str) -> Result<&str, FilesError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(FilesError::EmptyQuery);
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(FilesError::QueryTooLong);
    }
    Ok(query)
}

/// What a search cursor is sealed to. JSON keeps the parts apart whatever characters they hold.
fn search_cursor_context(
    id: i32,
    dropbox_path_lower: &str,
    query: &str,
    recursive: bool,
) -> String {
    let parts = serde_json::json!(["search-cursor", id, dropbox_path_lower, query, recursive]);
    parts.to_string()
}

/// `path` (relative to the root) lies under `folder` (relative to the root): anywhere below it, or
/// with `recursive` false directly in it. Dropbox compares paths ignoring case, and so does this.
pub(super) fn is_inside(path: &str, folder: &str, recursive: bool) -> bool {
    let path = path.to_lowercase();
    let folder = folder.to_lowercase();
    let below = if folder.is_empty() {
        Some(path.as_str())
    } else {
        path.strip_prefix(&folder)
            .and_then(|rest| rest.strip_prefix('/'))
    };
    match below {
        Some("") | None => false,
        Some(rest) => recursive || !rest.contains('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_below_the_folder_are_inside_it() {
        assert!(is_inside("Reports/q1.pdf", "reports", false));
        assert!(is_inside("Reports/2026/q1.pdf", "Reports", true));
        assert!(!is_inside("Reports/2026/q1.pdf", "Reports", false));
        assert!(
            !is_inside("Reports", "Reports", true),
            "not the folder itself"
        );
        assert!(!is_inside("Reports-old/q1.pdf", "Reports", true));
        assert!(is_inside("q1.pdf", "", false));
        assert!(!is_inside("a/q1.pdf", "", false));
    }

    #[test]
    fn blank_and_over_long_queries_are_refused() {
        assert!(matches!(
            checked_query("  \t "),
            Err(FilesError::EmptyQuery)
        ));
        assert!(matches!(
            checked_query(&"x".repeat(MAX_QUERY_CHARS + 1)),
            Err(FilesError::QueryTooLong)
        ));
        assert_eq!(checked_query(" invoice ").unwrap(), "invoice");
    }

    #[test]
    fn search_cursor_contexts_differ_for_every_part() {
        let base = search_cursor_context(1, "/a", "q", true);
        assert_ne!(base, search_cursor_context(2, "/a", "q", true));
        assert_ne!(base, search_cursor_context(1, "/b", "q", true));
        assert_ne!(base, search_cursor_context(1, "/a", "r", true));
        assert_ne!(base, search_cursor_context(1, "/a", "q", false));
        assert_ne!(
            search_cursor_context(1, "/a:b", "c", true),
            search_cursor_context(1, "/a", "b:c", true)
        );
    }
}
