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
}
