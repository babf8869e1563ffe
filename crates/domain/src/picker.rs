//! What a List field bound to a data source offers: one page of a folder (or of a search) inside the
//! field's folder, each entry with the field's display, value and sort key, and the reason it cannot
//! be chosen when it cannot. Authorization (Connection users) is the caller's job; staying inside the
//! data source's root is the connector's; staying inside the field's folder is this module's.
use crate::confine::PathRefused;
use crate::connector::{DropboxConnector, Entry, FilesError};
use crate::forms::facts;
use wharf_types::forms::{DataSourceList, FileParameter};

/// Image types Dropbox makes thumbnails of.
const THUMBNAIL_EXTENSIONS: [&str; 10] = [
    "jpg", "jpeg", "png", "tiff", "tif", "gif", "webp", "ppm", "bmp", "heic",
];

/// An entry with what the field shows of it (shared with the browser as it is).
pub use wharf_types::Pick;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickListing {
    pub data_source_name: Option<String>,
    /// Relative to the data source's root, without a leading slash.
    pub folder: String,
    pub entries: Vec<Pick>,
    pub next: Option<String>,
}

/// The field's folder in the connector's form: relative to the root, no leading slash.
pub fn field_folder(list: &DataSourceList) -> String {
    list.folder.trim_matches('/').to_owned()
}

/// `folder` if the field lets the person look there (its own folder, or below it when sub-folders
/// are allowed); a blank `folder` means the field's own.
fn allowed_folder(list: &DataSourceList, folder: &str) -> Result<String, FilesError> {
    let own = field_folder(list);
    let folder = folder.trim_matches('/');
    if folder.is_empty() || folder.eq_ignore_ascii_case(&own) {
        return Ok(own);
    }
    let inside = if own.is_empty() {
        true
    } else {
        folder.len() > own.len()
            && folder[..own.len()].eq_ignore_ascii_case(&own)
            && folder.as_bytes()[own.len()] == b'/'
    };
    if inside && list.include_subfolders {
        Ok(folder.to_owned())
    } else {
        Err(FilesError::Path(PathRefused::OutsideRoot))
    }
}

/// One page of `folder` (blank: the field's folder), or of a name search under it when `query` is
/// given.
pub async fn page(
    connector: &DropboxConnector,
    list: &DataSourceList,
    folder: &str,
    query: Option<&str>,
    next: Option<&str>,
) -> Result<PickListing, FilesError> {
    let folder = allowed_folder(list, folder)?;
    let id = list.data_source_id;
    let page = match query {
        Some(q) => {
            connector
                .search_page(id, &folder, q, next, list.include_subfolders)
                .await?
        }
        None => connector.list_page(id, &folder, next).await?,
    };
    let shown: Vec<Entry> = page
        .entries
        .into_iter()
        // Folders are shown to go into (when allowed) or to choose (when the field lists them).
        .filter(|e| !e.is_folder || list.include_subfolders || list.show_folders)
        .collect();
    let created = if uses_created(list) {
        let files: Vec<(String, String)> = shown
            .iter()
            .filter(|e| !e.is_folder)
            .map(|e| (e.path.clone(), e.id.clone()))
            .collect();
        // Created is extra information: without it the page is still worth showing.
        connector
            .created_times(id, &files)
            .await
            .unwrap_or_else(|e| {
                tracing::debug!(data_source_id = id, "no Created times for this page: {e}");
                Default::default()
            })
    } else {
        Default::default()
    };
    let entries = shown
        .into_iter()
        .map(|entry| {
            let c = created.get(&entry.id).map(String::as_str);
            let f = facts(&entry, c);
            Pick {
                display: list.display_field.value_of(&f),
                value: list.value_field.value_of(&f),
                sort_key: list.sort_by.sort_key_of(&f),
                refusal: list.refusal(&entry.name, entry.is_folder, entry.size),
                has_thumbnail: !entry.is_folder
                    && THUMBNAIL_EXTENSIONS.contains(
                        &wharf_types::forms::extension(&entry.name)
                            .to_lowercase()
                            .as_str(),
                    ),
                entry,
            }
        })
        .collect();
    Ok(PickListing {
        data_source_name: page.data_source_name,
        folder: page.folder,
        entries,
        next: page.next,
    })
}

fn uses_created(list: &DataSourceList) -> bool {
    [list.display_field, list.value_field, list.sort_by].contains(&FileParameter::Created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_stays_in_the_field_folder() {
        let mut list = DataSourceList::new(1);
        list.folder = "/Invoices".into();
        assert_eq!(allowed_folder(&list, "").unwrap(), "Invoices");
        assert_eq!(allowed_folder(&list, "invoices/").unwrap(), "Invoices");
        assert_eq!(
            allowed_folder(&list, "Invoices/2026").unwrap(),
            "Invoices/2026"
        );
        assert!(allowed_folder(&list, "Other").is_err());
        assert!(allowed_folder(&list, "InvoicesX").is_err());
        list.include_subfolders = false;
        assert!(allowed_folder(&list, "Invoices/2026").is_err());
        list.folder = String::new();
        list.include_subfolders = true;
        assert_eq!(allowed_folder(&list, "Any/Where").unwrap(), "Any/Where");
    }
}
