//! Single-call file operations: metadata, folders, delete, move/copy, links, revisions, thumbnails.

use crate::call::Retry;
use crate::client::DropboxClient;
use crate::error::DropboxError;
use dropbox_sdk::files::{
    self, CreateFolderArg, DeleteArg, FileMetadata, FolderMetadata, GetMetadataArg,
    GetTemporaryLinkArg, ListRevisionsArg, Metadata, PathOrLink, RelocationArg, RestoreArg,
    ThumbnailFormat, ThumbnailSize, ThumbnailV2Arg,
};
use futures::AsyncReadExt;

/// Most thumbnail bytes we accept (the largest Dropbox size is a few hundred KiB).
const MAX_THUMBNAIL: u64 = 16 * 1024 * 1024;

/// A thumbnail and the file (revision) it shows.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    pub metadata: FileMetadata,
    pub bytes: Vec<u8>,
}

/// A temporary, direct download link (valid for four hours).
#[derive(Clone, Debug)]
pub struct TemporaryLink {
    pub link: String,
    pub metadata: FileMetadata,
}

impl DropboxClient {
    pub async fn get_metadata(&self, path: &str) -> Result<Metadata, DropboxError> {
        let arg = GetMetadataArg::new(path.to_string());
        self.run(Retry::Safe, |c| {
            let arg = arg.clone();
            async move { files::get_metadata(&c, &arg).await }
        })
        .await
    }

    pub async fn create_folder(&self, path: &str) -> Result<FolderMetadata, DropboxError> {
        self.create_folder_with(path, false).await
    }

    /// Creates a folder (and its missing parents); with `autorename` a taken name gets a number
    /// (`Reports (1)`) instead of failing with a conflict.
    pub async fn create_folder_with(
        &self,
        path: &str,
        autorename: bool,
    ) -> Result<FolderMetadata, DropboxError> {
        let arg = CreateFolderArg::new(path.to_string()).with_autorename(autorename);
        let r = self
            .run(Retry::Unsafe, |c| {
                let arg = arg.clone();
                async move { files::create_folder_v2(&c, &arg).await }
            })
            .await?;
        Ok(r.metadata)
    }

    /// Deletes a file or folder (recursively); returns what was deleted.
    pub async fn delete(&self, path: &str) -> Result<Metadata, DropboxError> {
        self.delete_with(path, None).await
    }

    /// Deletes a file or folder; with `parent_rev` a file is deleted only while that is still its
    /// revision (otherwise a conflict).
    pub async fn delete_with(
        &self,
        path: &str,
        parent_rev: Option<&str>,
    ) -> Result<Metadata, DropboxError> {
        let mut arg = DeleteArg::new(path.to_string());
        if let Some(rev) = parent_rev {
            arg = arg.with_parent_rev(rev.to_string());
        }
        let r = self
            .run(Retry::Unsafe, |c| {
                let arg = arg.clone();
                async move { files::delete_v2(&c, &arg).await }
            })
            .await?;
        Ok(r.metadata)
    }

    /// Moves or renames.
    pub async fn move_to(&self, from: &str, to: &str) -> Result<Metadata, DropboxError> {
        self.move_with(from, to, false).await
    }

    /// Moves or renames; with `autorename` a taken destination gets a number instead of failing.
    pub async fn move_with(
        &self,
        from: &str,
        to: &str,
        autorename: bool,
    ) -> Result<Metadata, DropboxError> {
        let arg = RelocationArg::new(from.to_string(), to.to_string()).with_autorename(autorename);
        let r = self
            .run(Retry::Unsafe, |c| {
                let arg = arg.clone();
                async move { files::move_v2(&c, &arg).await }
            })
            .await?;
        Ok(r.metadata)
    }

    pub async fn copy_to(&self, from: &str, to: &str) -> Result<Metadata, DropboxError> {
        self.copy_with(from, to, false).await
    }

    /// Copies within the account; with `autorename` a taken destination gets a number.
    pub async fn copy_with(
        &self,
        from: &str,
        to: &str,
        autorename: bool,
    ) -> Result<Metadata, DropboxError> {
        let arg = RelocationArg::new(from.to_string(), to.to_string()).with_autorename(autorename);
        let r = self
            .run(Retry::Unsafe, |c| {
                let arg = arg.clone();
                async move { files::copy_v2(&c, &arg).await }
            })
            .await?;
        Ok(r.metadata)
    }

    pub async fn temporary_link(&self, path: &str) -> Result<TemporaryLink, DropboxError> {
        let arg = GetTemporaryLinkArg::new(path.to_string());
        let r = self
            .run(Retry::Safe, |c| {
                let arg = arg.clone();
                async move { files::get_temporary_link(&c, &arg).await }
            })
            .await?;
        Ok(TemporaryLink {
            link: r.link,
            metadata: r.metadata,
        })
    }

    /// Up to `limit` earlier versions of a file, newest first.
    pub async fn list_revisions(
        &self,
        path: &str,
        limit: u64,
    ) -> Result<Vec<FileMetadata>, DropboxError> {
        let arg = ListRevisionsArg::new(path.to_string()).with_limit(limit.clamp(1, 100));
        let r = self
            .run(Retry::Safe, |c| {
                let arg = arg.clone();
                async move { files::list_revisions(&c, &arg).await }
            })
            .await?;
        Ok(r.entries)
    }

    /// Makes revision `rev` the current content of `path` (repeating it changes nothing).
    pub async fn restore(&self, path: &str, rev: &str) -> Result<FileMetadata, DropboxError> {
        let arg = RestoreArg::new(path.to_string(), rev.to_string());
        self.run(Retry::Safe, |c| {
            let arg = arg.clone();
            async move { files::restore(&c, &arg).await }
        })
        .await
    }

    /// A thumbnail image of a picture file, in `format`.
    pub async fn thumbnail(
        &self,
        path: &str,
        format: ThumbnailFormat,
        size: ThumbnailSize,
    ) -> Result<Vec<u8>, DropboxError> {
        Ok(self
            .thumbnail_with_metadata(path, format, size)
            .await?
            .bytes)
    }

    /// A thumbnail image of a picture file, with the metadata (`rev`, …) of the file it shows, so a
    /// caller can cache it per revision.
    pub async fn thumbnail_with_metadata(
        &self,
        path: &str,
        format: ThumbnailFormat,
        size: ThumbnailSize,
    ) -> Result<Thumbnail, DropboxError> {
        let arg = ThumbnailV2Arg::new(PathOrLink::Path(path.to_string()))
            .with_format(format)
            .with_size(size);
        // Read the (small) body inside the retried closure so a reset mid-body is retried too.
        let (metadata, bytes) = self
            .run(Retry::Safe, |c| {
                let arg = arg.clone();
                async move {
                    let r = files::get_thumbnail_v2(&c, &arg, None, None).await?;
                    let mut out = Vec::new();
                    if let Some(body) = r.body {
                        body.take(MAX_THUMBNAIL)
                            .read_to_end(&mut out)
                            .await
                            .map_err(|e| dropbox_sdk::Error::HttpClient(Box::new(e)))?;
                    }
                    Ok((r.result.file_metadata, out))
                }
            })
            .await?;
        let metadata = metadata.ok_or_else(|| {
            DropboxError::Unexpected("a thumbnail by path came without file metadata".into())
        })?;
        Ok(Thumbnail { metadata, bytes })
    }
}
