//! Looking one entry up again by path, for checks that must not trust what the browser holds.
use super::DropboxConnector;
use super::files::{Entry, FilesError};

impl DropboxConnector {
    /// The file or folder at `path` (relative to the root) as Dropbox has it now; a file the data
    /// source's File pattern leaves out is refused (`FileTypeNotAllowed`).
    pub async fn entry_at(&self, id: i32, path: &str) -> Result<Entry, FilesError> {
        let source = self.source(id).await?;
        let dropbox_path = source.resolve(path)?;
        let metadata = source.client.get_metadata(&dropbox_path).await?;
        source.checked(&metadata)
    }
}
