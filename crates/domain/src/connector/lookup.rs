//! Looking one entry up again by path, for checks that must not trust what the browser holds.
use super::DropboxConnector;
use super::files::{Entry, FilesError, entry};
use crate::confine::{self, PathRefused};
use crate::data_sources;

impl DropboxConnector {
    /// The file or folder at `path` (relative to the root) as Dropbox has it now.
    pub async fn entry_at(&self, id: i32, path: &str) -> Result<Entry, FilesError> {
        let ds = data_sources::get(&self.db, id).await?;
        let root = &ds.settings.root_folder;
        let dropbox_path = confine::resolve(root, path)?;
        let metadata = self
            .client(id, &ds.settings)
            .get_metadata(&dropbox_path)
            .await?;
        entry(root, &metadata).ok_or(FilesError::Path(PathRefused::OutsideRoot))
    }

    /// TEMPORARY until the picker branch lands with the real one.
    pub async fn created_times(
        &self,
        _id: i32,
        _files: &[(String, String)],
    ) -> std::collections::HashMap<String, String> {
        Default::default()
    }
}

impl DropboxConnector {
    /// TEMPORARY until the picker branch lands with the real one.
    pub async fn search_page(
        &self,
        id: i32,
        folder: &str,
        _query: &str,
        next: Option<&str>,
        _recursive: bool,
    ) -> Result<super::FolderPage, FilesError> {
        self.list_page(id, folder, next).await
    }
}
