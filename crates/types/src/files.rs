//! What a data source holds, as the server and the browser both see it.
use serde::{Deserialize, Serialize};

/// A file or folder, with its path relative to the data source's root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub path: String,
    pub is_folder: bool,
    /// Dropbox's id (`id:…`), stable across renames.
    pub id: String,
    pub size: Option<u64>,
    /// Dropbox's `server_modified`, RFC 3339.
    pub modified: Option<String>,
    pub rev: Option<String>,
    /// Dropbox's hash of the content (files only): what a re-check compares.
    pub content_hash: Option<String>,
}

/// One entry of a List field's files, as the picker shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub entry: FileEntry,
    /// The field's Display field of this entry.
    pub display: String,
    /// The field's Value field of this entry.
    pub value: String,
    /// The field's Sort by, as a key that sorts as text.
    pub sort_key: String,
    /// Why it cannot be chosen (greyed out), or `None`.
    pub refusal: Option<String>,
    /// Whether the thumbnail route can show it.
    pub has_thumbnail: bool,
}
