//! Thumbnails for the file picker, fetched from Dropbox through Wharf (the browser never talks to
//! Dropbox) and kept in memory per revision, so paging back and forth costs Dropbox nothing.
use super::DropboxConnector;
use super::cache::WeightedLru;
use super::files::FilesError;
use crate::confine;
use bytes::Bytes;
use dropbox::DropboxError;
use dropbox::types::{Metadata, ThumbnailFormat, ThumbnailSize};

/// Total thumbnail bytes kept in memory (a 128×128 JPEG is a few KiB: thousands of them).
pub const THUMBNAIL_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The one size the picker shows; the route's ETag names it.
pub const THUMBNAIL_SIZE: &str = "w128h128";

/// Extensions Dropbox makes thumbnails of; asking for any other file is refused before calling it.
const PICTURE_EXTENSIONS: [&str; 10] = [
    "jpg", "jpeg", "png", "tiff", "tif", "gif", "webp", "ppm", "bmp", "heic",
];

/// A JPEG thumbnail and the revision of the file it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub jpeg: Bytes,
    /// The revision shown: the one asked for, unless the file has changed since.
    pub rev: String,
}

/// Data source, lower-cased Dropbox path (Dropbox ignores case), revision: a changed file has a new
/// revision and so a new entry; the old one ages out.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub(super) struct ThumbnailKey {
    data_source_id: i32,
    path_lower: String,
    rev: String,
}

pub(super) type ThumbnailCache = WeightedLru<ThumbnailKey, Bytes>;

pub(super) fn new_cache() -> ThumbnailCache {
    WeightedLru::new(THUMBNAIL_CACHE_BYTES)
}

impl DropboxConnector {
    /// The thumbnail of the picture at `path` (relative to the root), at revision `rev` when given
    /// (the revision a listing showed) or the current one. Only pictures have thumbnails; anything
    /// else is `NoThumbnail`, and a file the File pattern leaves out is refused. Served from memory when this revision was fetched before.
    pub async fn thumbnail(
        &self,
        id: i32,
        path: &str,
        rev: Option<&str>,
    ) -> Result<Thumbnail, FilesError> {
        let source = self.source(id).await?;
        let dropbox_path = source.resolve(path)?;
        if confine::relative_to_root(&source.root, &dropbox_path)?.is_empty() {
            return Err(FilesError::NoThumbnail);
        }
        source.allow_file(&dropbox_path)?;
        if !is_picture(&dropbox_path) {
            return Err(FilesError::NoThumbnail);
        }
        let client = source.client;
        let rev = match rev {
            Some(rev) => rev.to_owned(),
            None => current_rev(&client, &dropbox_path).await?,
        };
        let path_lower = dropbox_path.to_lowercase();
        let key = ThumbnailKey {
            data_source_id: id,
            path_lower: path_lower.clone(),
            rev,
        };
        if let Some(jpeg) = self.thumbnails.get(&key) {
            return Ok(Thumbnail { jpeg, rev: key.rev });
        }
        let fetched = client
            .thumbnail_with_metadata(
                &dropbox_path,
                ThumbnailFormat::Jpeg,
                ThumbnailSize::W128h128,
            )
            .await
            .map_err(no_thumbnail_when_unsupported)?;
        let jpeg = Bytes::from(fetched.bytes);
        // Kept under the revision Dropbox drew, which differs from the one asked for when the file
        // changed since it was listed.
        let rev = fetched.metadata.rev;
        self.thumbnails.insert(
            ThumbnailKey {
                data_source_id: id,
                path_lower,
                rev: rev.clone(),
            },
            jpeg.clone(),
            jpeg.len(),
        );
        Ok(Thumbnail { jpeg, rev })
    }

    /// Forgets a data source's thumbnails and creation times (on re-authorization, which may connect
    /// another account with the same paths, and on delete, after which the id may be reused).
    pub(super) fn forget_cached(&self, id: i32) {
        self.thumbnails.remove_where(|k| k.data_source_id == id);
        self.created
            .remove_where(|(data_source_id, _)| *data_source_id == id);
    }
}

fn is_picture(dropbox_path: &str) -> bool {
    let name = dropbox_path.rsplit('/').next().unwrap_or_default();
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| PICTURE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The file's current revision; a folder has none and so no thumbnail.
async fn current_rev(
    client: &dropbox::DropboxClient,
    dropbox_path: &str,
) -> Result<String, FilesError> {
    match client.get_metadata(dropbox_path).await? {
        Metadata::File(f) => Ok(f.rev),
        _ => Err(FilesError::NoThumbnail),
    }
}

/// Dropbox refusing to draw the file (unsupported extension or image, encrypted, a folder) means
/// there is no thumbnail, not that something broke.
fn no_thumbnail_when_unsupported(e: DropboxError) -> FilesError {
    match e {
        DropboxError::Unsupported(_) => FilesError::NoThumbnail,
        e => FilesError::Dropbox(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_picture_extensions_have_thumbnails() {
        assert!(is_picture("/Photos/Harbour.PNG"));
        assert!(is_picture("/a/b.heic"));
        assert!(!is_picture("/Invoices/INV-1.pdf"));
        assert!(!is_picture("/Photos/png"));
        assert!(!is_picture("/Photos.png/readme"));
    }
}
