//! Find items' access to a data source: every file under a folder, a page at a time, as a stream
//! (a folder listing, or a name search Dropbox narrows first). Root, File pattern and Search in
//! apply here, as for every other file call; the rule engine (`domain::rules`) filters, sorts and
//! stops reading when it has enough.
use super::DropboxConnector;
use super::files::{FilesError, is_inside};
use crate::confine;
use crate::rules::{ItemQuery, ItemSource, ItemStream};
use dropbox::{DropboxError, ListOptions};
use futures::StreamExt;
use futures::stream;
use std::collections::HashMap;
use wharf_types::SearchScope;

/// Entries asked of Dropbox per listing page: Find items reads folders through, so fewer and larger
/// pages are quicker; memory stays bounded by the engine, not by the folder.
pub const FIND_PAGE_LIMIT: u32 = 1000;

#[async_trait::async_trait]
impl ItemSource for DropboxConnector {
    async fn items(&self, query: &ItemQuery) -> Result<ItemStream, FilesError> {
        let source = self.source(query.data_source_id).await?;
        // Search in: "top folder only" keeps every Find items at its folder's level.
        let recursive =
            query.include_subfolders && source.search_scope == SearchScope::AllSubfolders;
        let dropbox_path = source.resolve(&query.folder)?;
        let folder = confine::relative_to_root(&source.root, &dropbox_path)?;
        let source = std::sync::Arc::new(source);
        let pages = match query.name_query.as_deref().map(str::trim) {
            Some(q) if !q.is_empty() => {
                let q = q.to_owned();
                let (source, inside) = (source.clone(), folder.clone());
                // `None` cursor: not started; `Some(None)`: finished.
                stream::unfold(Some(None::<String>), move |state| {
                    let (source, q, dropbox_path, inside) = (
                        source.clone(),
                        q.clone(),
                        dropbox_path.clone(),
                        inside.clone(),
                    );
                    async move {
                        let cursor = state?;
                        let page = source
                            .client
                            .search_page(&q, Some(dropbox_path.as_str()), cursor)
                            .await;
                        match page {
                            Err(e) => Some((Err(FilesError::from(e)), None)),
                            Ok(page) => {
                                let entries = page
                                    .entries
                                    .iter()
                                    .filter_map(|m| source.entry(m))
                                    .filter(|e| {
                                        !e.is_folder && is_inside(&e.path, &inside, recursive)
                                    })
                                    .collect();
                                let next = page.cursor.map(Some);
                                Some((Ok(entries), next))
                            }
                        }
                    }
                })
                .boxed()
            }
            _ => {
                let listing = source.client.list_folder(ListOptions {
                    path: dropbox_path,
                    recursive,
                    limit: Some(FIND_PAGE_LIMIT),
                    cursor: None,
                });
                let source = source.clone();
                listing
                    .map(move |page| match page {
                        Ok(page) if page.restarted => {
                            // A reset listing would repeat rows already counted.
                            Err(FilesError::Dropbox(DropboxError::CursorReset))
                        }
                        Ok(page) => Ok(page
                            .entries
                            .iter()
                            .filter_map(|m| source.entry(m))
                            .filter(|e| !e.is_folder)
                            .collect()),
                        Err(e) => Err(FilesError::from(e)),
                    })
                    .boxed()
            }
        };
        Ok(ItemStream { folder, pages })
    }

    async fn created_times(
        &self,
        data_source_id: i32,
        files: &[(String, String)],
    ) -> Result<HashMap<String, String>, FilesError> {
        DropboxConnector::created_times(self, data_source_id, files).await
    }
}
