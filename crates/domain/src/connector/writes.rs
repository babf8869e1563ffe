//! Rule writes into Dropbox: [`ItemWriter`] for the connector. Root, File pattern and confinement
//! apply here as for every other file call; staged uploads are streamed from Wharf's store.
use super::DropboxConnector;
use super::files::{FilesError, Source};
use crate::confine::{self, PathRefused};
use crate::rules::{
    Content, Deleted, FileMode, ItemWriter, Locator, MAX_COUNTED_ENTRIES, WriteError,
    is_autorenamed,
};
use crate::uploads;
use bytes::Bytes;
use dropbox::types::Metadata;
use dropbox::{ContentHasher, DropboxError, ListOptions, WriteMode};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use std::path::{Path, PathBuf};
use wharf_types::FileEntry as Entry;
use wharf_types::rules::OnConflict;

/// The connector plus where Wharf keeps uploaded files (content for Create / Update item).
pub struct DropboxWriter {
    connector: DropboxConnector,
    data_dir: PathBuf,
}

impl DropboxWriter {
    pub fn new(connector: &DropboxConnector, data_dir: &Path) -> Self {
        DropboxWriter {
            connector: connector.clone(),
            data_dir: data_dir.to_owned(),
        }
    }

    async fn source(&self, id: i32) -> Result<Source, WriteError> {
        Ok(self.connector.source(id).await?)
    }

    /// The content as a byte stream, opened afresh (a retried write reads it again).
    async fn open(
        &self,
        content: &Content,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>, WriteError> {
        Ok(match content {
            Content::Bytes(b) => futures::stream::iter([Ok(b.clone())]).boxed(),
            Content::Upload(staged) => {
                let (_, stream) =
                    uploads::content(&self.connector.db, &self.data_dir, staged.id).await?;
                stream.boxed()
            }
            Content::Copy(choice) => {
                let download = self
                    .connector
                    .open_file(choice.data_source_id, &choice.path, None)
                    .await?;
                download
                    .stream
                    .map_err(|e| std::io::Error::other(e.user_message()))
                    .boxed()
            }
        })
    }

    /// Writes `content` at `dropbox_path` in `mode`: a server-side copy for a copy within the same
    /// account, else streamed. With `autorename` (only with `WriteMode::Add`) Dropbox gives a taken
    /// name a number itself.
    async fn put(
        &self,
        source: &Source,
        data_source_id: i32,
        dropbox_path: &str,
        content: &Content,
        (mode, autorename): (WriteMode, bool),
    ) -> Result<Metadata, WriteError> {
        if let (Content::Copy(choice), WriteMode::Add) = (content, &mode)
            && choice.data_source_id == data_source_id
        {
            let from = source.resolve(&choice.path)?;
            source.allow_file(&from)?;
            return Ok(source
                .client
                .copy_with(&from, dropbox_path, autorename)
                .await?);
        }
        // A file sent on to Dropbox while it was uploaded to Wharf only needs committing; a session
        // Dropbox no longer knows (expired, or used by an attempt whose answer was lost) is sent again.
        if let Content::Upload(staged) = content
            && let Some(sent) = staged.sent.as_ref()
            && sent.data_source_id == data_source_id
        {
            match source
                .client
                .commit_upload(&sent.pending, dropbox_path, mode.clone(), autorename)
                .await
            {
                Err(DropboxError::UploadSession(detail)) => {
                    tracing::info!(upload_id = staged.id, "sending the file again: {detail}");
                }
                committed => return Ok(Metadata::File(committed?)),
            }
        }
        let stream = self.open(content).await?;
        Ok(Metadata::File(
            source
                .client
                .upload_with(dropbox_path, mode, autorename, stream)
                .await?,
        ))
    }

    /// The item at a Dropbox path as callers may see it, or `None`.
    async fn metadata(
        &self,
        source: &Source,
        dropbox_path: &str,
    ) -> Result<Option<Entry>, WriteError> {
        match source.client.get_metadata(dropbox_path).await {
            Ok(m) => Ok(Some(source.checked(&m)?)),
            Err(DropboxError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// `dropbox_path` inside the root and not the root itself.
fn below_root(source: &Source, dropbox_path: &str) -> Result<(), WriteError> {
    if confine::relative_to_root(&source.root, dropbox_path)?.is_empty() {
        return Err(PathRefused::OutsideRoot.into());
    }
    Ok(())
}

/// For sentences: the path relative to the root.
fn relative(source: &Source, dropbox_path: &str) -> String {
    confine::relative_to_root(&source.root, dropbox_path)
        .unwrap_or_else(|_| dropbox_path.trim_start_matches('/').to_owned())
}

#[async_trait::async_trait]
impl ItemWriter for DropboxWriter {
    async fn create_folder(
        &self,
        data_source_id: i32,
        path: &str,
        on_conflict: OnConflict,
    ) -> Result<Entry, WriteError> {
        let source = self.source(data_source_id).await?;
        let dropbox_path = source.resolve(path)?;
        below_root(&source, &dropbox_path)?;
        let autorename = on_conflict == OnConflict::Autorename;
        match source
            .client
            .create_folder_with(&dropbox_path, autorename)
            .await
        {
            Ok(created) => Ok(source.checked(&Metadata::Folder(created))?),
            Err(DropboxError::Conflict(_)) => {
                if on_conflict == OnConflict::Overwrite
                    && let Some(existing) = self.metadata(&source, &dropbox_path).await?
                    && existing.is_folder
                {
                    return Ok(existing);
                }
                Err(WriteError::Taken(relative(&source, &dropbox_path)))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn write_file(
        &self,
        data_source_id: i32,
        path: &str,
        content: &Content,
        mode: &FileMode,
    ) -> Result<Entry, WriteError> {
        let source = self.source(data_source_id).await?;
        let dropbox_path = source.resolve(path)?;
        below_root(&source, &dropbox_path)?;
        source.allow_file(&dropbox_path)?;
        let how = match mode {
            FileMode::Autorename => (WriteMode::Add, true),
            FileMode::Add => (WriteMode::Add, false),
            FileMode::Overwrite => (WriteMode::Overwrite, false),
            FileMode::Update(rev) => (WriteMode::Update(rev.clone()), false),
        };
        let written = self
            .put(&source, data_source_id, &dropbox_path, content, how)
            .await;
        match written {
            Ok(m) => Ok(source.checked(&m)?),
            Err(WriteError::Files(FilesError::Dropbox(DropboxError::Conflict(_)))) => {
                Err(match mode {
                    FileMode::Update(_) => WriteError::Changed,
                    _ => WriteError::Taken(relative(&source, &dropbox_path)),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn relocate(
        &self,
        data_source_id: i32,
        from: &str,
        to: &str,
        autorename: bool,
    ) -> Result<Entry, WriteError> {
        let source = self.source(data_source_id).await?;
        let (from, to) = (source.resolve(from)?, source.resolve(to)?);
        below_root(&source, &from)?;
        below_root(&source, &to)?;
        let item = self
            .metadata(&source, &from)
            .await?
            .ok_or_else(|| WriteError::Missing(relative(&source, &from)))?;
        if !item.is_folder {
            source.allow_file(&to)?;
        }
        match source.client.move_with(&from, &to, autorename).await {
            Ok(m) => Ok(source.checked(&m)?),
            Err(DropboxError::Conflict(_)) => Err(WriteError::Taken(relative(&source, &to))),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(
        &self,
        data_source_id: i32,
        path: &str,
        rev: Option<&str>,
    ) -> Result<Deleted, WriteError> {
        let source = self.source(data_source_id).await?;
        let dropbox_path = source.resolve(path)?;
        below_root(&source, &dropbox_path)?;
        let item = self
            .metadata(&source, &dropbox_path)
            .await?
            .ok_or_else(|| WriteError::Missing(relative(&source, &dropbox_path)))?;
        let entries = if item.is_folder {
            let mut pages = source.client.list_folder(ListOptions {
                path: dropbox_path.clone(),
                recursive: true,
                ..Default::default()
            });
            let folder = dropbox_path.to_lowercase();
            let mut count = 1u64;
            while let Some(page) = pages.next().await {
                let page = page?;
                count += page
                    .entries
                    .iter()
                    .filter(|m| match m {
                        Metadata::File(f) => f.path_lower.as_deref() != Some(folder.as_str()),
                        Metadata::Folder(f) => f.path_lower.as_deref() != Some(folder.as_str()),
                        Metadata::Deleted(_) => false,
                    })
                    .count() as u64;
                if count >= MAX_COUNTED_ENTRIES {
                    break;
                }
            }
            count.min(MAX_COUNTED_ENTRIES)
        } else {
            1
        };
        let rev = if item.is_folder { None } else { rev };
        match source.client.delete_with(&dropbox_path, rev).await {
            Ok(_) => Ok(Deleted {
                entry: item,
                entries,
            }),
            Err(DropboxError::Conflict(_)) if rev.is_some() => Err(WriteError::Changed),
            Err(e) => Err(e.into()),
        }
    }

    async fn lookup(
        &self,
        data_source_id: i32,
        at: Locator<'_>,
    ) -> Result<Option<Entry>, WriteError> {
        let source = self.source(data_source_id).await?;
        match at {
            Locator::Path(path) => {
                let dropbox_path = source.resolve(path)?;
                self.metadata(&source, &dropbox_path).await
            }
            Locator::Id(id) => {
                // Only an id: anything else would be a path that skipped confinement.
                let id = id.trim();
                if !id.starts_with("id:") || id.contains('/') {
                    return Ok(None);
                }
                self.metadata(&source, id).await
            }
        }
    }

    async fn content_hash(&self, content: &Content) -> Result<String, WriteError> {
        match content {
            Content::Bytes(b) => Ok(dropbox::content_hash(b)),
            Content::Copy(choice) => {
                let source = self.source(choice.data_source_id).await?;
                let path = source.resolve(&choice.path)?;
                match self.metadata(&source, &path).await? {
                    Some(Entry {
                        content_hash: Some(hash),
                        ..
                    }) => Ok(hash),
                    _ => Err(WriteError::Missing(choice.path.clone())),
                }
            }
            // Known from the upload session it was sent into as it arrived.
            Content::Upload(uploads::Staged {
                sent: Some(sent), ..
            }) => Ok(sent.pending.content_hash.clone()),
            Content::Upload(_) => {
                let mut stream = self.open(content).await?;
                let mut hasher = ContentHasher::new();
                while let Some(chunk) = stream.next().await {
                    let chunk =
                        chunk.map_err(|e| WriteError::Upload(uploads::UploadError::Storage(e)))?;
                    hasher.update(&chunk);
                }
                Ok(hasher.finish())
            }
        }
    }

    async fn find_written(
        &self,
        data_source_id: i32,
        path: &str,
        hash: &str,
        siblings: bool,
    ) -> Result<Option<Entry>, WriteError> {
        let source = self.source(data_source_id).await?;
        let dropbox_path = source.resolve(path)?;
        let same = |e: &Entry| !e.is_folder && e.content_hash.as_deref() == Some(hash);
        if let Some(e) = self.metadata(&source, &dropbox_path).await?
            && same(&e)
        {
            return Ok(Some(e));
        }
        if !siblings {
            return Ok(None);
        }
        let (parent, name) = dropbox_path.rsplit_once('/').unwrap_or(("", &dropbox_path));
        let mut pages = source.client.list_folder(ListOptions {
            path: parent.to_owned(),
            ..Default::default()
        });
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(DropboxError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            if let Some(found) = page
                .entries
                .iter()
                .filter_map(|m| source.entry(m))
                .find(|e| same(e) && is_autorenamed(&e.name, name))
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}
