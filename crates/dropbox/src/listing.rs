//! Paged listings as streams: folder listing (cursor; a reset restarts it), search, and change
//! notification (latest cursor + longpoll).

use crate::call::{Failure, Retry, classify};
use crate::client::DropboxClient;
use crate::error::DropboxError;
use crate::transport::Conn;
use dropbox_sdk::files::{
    self, ListFolderArg, ListFolderContinueArg, ListFolderLongpollArg, Metadata, MetadataV2,
    SearchOptions, SearchV2Arg, SearchV2ContinueArg,
};
use futures::stream::{self, BoxStream, StreamExt};
use std::time::Duration;

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Folder path (`""` is the root).
    pub path: String,
    pub recursive: bool,
    /// Entries per page (Dropbox's default when `None`).
    pub limit: Option<u32>,
    /// Resume from a saved cursor instead of listing from the start.
    pub cursor: Option<String>,
}

/// One page of a folder listing.
#[derive(Clone, Debug)]
pub struct ListPage {
    pub entries: Vec<Metadata>,
    /// Save this to continue later or to longpoll for changes.
    pub cursor: String,
    pub has_more: bool,
    /// The cursor was reset by Dropbox and the listing started over: discard earlier pages.
    pub restarted: bool,
}

/// One page of search results.
#[derive(Clone, Debug)]
pub struct SearchPage {
    pub entries: Vec<Metadata>,
    /// Pass to [`DropboxClient::search_page`] for the next page; `None` on the last page.
    pub cursor: Option<String>,
}

impl SearchPage {
    pub fn has_more(&self) -> bool {
        self.cursor.is_some()
    }
}

/// Search results per page (Dropbox allows up to 1000; a page should stay quick to show).
pub const SEARCH_PAGE_SIZE: u64 = 100;

/// Result of a longpoll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changes {
    pub changes: bool,
    /// Wait this long before longpolling again.
    pub backoff: Option<Duration>,
}

/// How many times one listing may start over before giving up with `CursorReset`.
const MAX_RESTARTS: u32 = 3;

enum Next {
    Start { restarts: u32 },
    Continue { cursor: String, restarts: u32 },
    Done,
}

impl DropboxClient {
    /// Lists a folder page by page until `has_more` is false.
    pub fn list_folder(
        &self,
        opts: ListOptions,
    ) -> BoxStream<'static, Result<ListPage, DropboxError>> {
        let client = self.clone();
        let first = match opts.cursor.clone() {
            Some(cursor) => Next::Continue {
                cursor,
                restarts: 0,
            },
            None => Next::Start { restarts: 0 },
        };
        stream::unfold(first, move |next| {
            let client = client.clone();
            let opts = opts.clone();
            async move {
                let (result, restarts, restarted) = match next {
                    Next::Done => return None,
                    Next::Start { restarts } => (client.list_first(&opts).await, restarts, false),
                    Next::Continue { cursor, restarts } => {
                        match client.list_continue(&cursor).await {
                            // Dropbox invalidated the cursor: start the listing over (a bounded number
                            // of times, so a server that keeps resetting cannot loop us forever).
                            Err(DropboxError::CursorReset) if restarts < MAX_RESTARTS => {
                                (client.list_first(&opts).await, restarts + 1, true)
                            }
                            r => (r, restarts, false),
                        }
                    }
                };
                Some(match result {
                    Ok(r) => {
                        let next = if r.has_more {
                            Next::Continue {
                                cursor: r.cursor.clone(),
                                restarts,
                            }
                        } else {
                            Next::Done
                        };
                        let page = ListPage {
                            entries: r.entries,
                            cursor: r.cursor,
                            has_more: r.has_more,
                            restarted,
                        };
                        (Ok(page), next)
                    }
                    Err(e) => (Err(e), Next::Done),
                })
            }
        })
        .boxed()
    }

    async fn list_first(
        &self,
        opts: &ListOptions,
    ) -> Result<files::ListFolderResult, DropboxError> {
        let mut arg = ListFolderArg::new(opts.path.clone()).with_recursive(opts.recursive);
        if let Some(l) = opts.limit {
            arg = arg.with_limit(l);
        }
        self.run(Retry::Safe, |c| {
            let arg = arg.clone();
            async move { files::list_folder(&c, &arg).await }
        })
        .await
    }

    async fn list_continue(&self, cursor: &str) -> Result<files::ListFolderResult, DropboxError> {
        let arg = ListFolderContinueArg::new(cursor.to_string());
        self.run(Retry::Safe, |c| {
            let arg = arg.clone();
            async move { files::list_folder_continue(&c, &arg).await }
        })
        .await
    }

    /// One page of a name search under `path` (everywhere when `None`): the first page for `query`,
    /// or the page after `cursor` (then `query` and `path` are ignored: the cursor carries them).
    /// Resumable so a caller can hand the cursor to a browser and continue on a later request.
    pub async fn search_page(
        &self,
        query: &str,
        path: Option<&str>,
        cursor: Option<String>,
    ) -> Result<SearchPage, DropboxError> {
        let result = match cursor {
            None => {
                let arg = search_arg(query, path);
                self.run(Retry::Safe, |c| {
                    let arg = arg.clone();
                    async move { files::search_v2(&c, &arg).await }
                })
                .await?
            }
            Some(cursor) => {
                let arg = SearchV2ContinueArg::new(cursor);
                self.run(Retry::Safe, |c| {
                    let arg = arg.clone();
                    async move { files::search_continue_v2(&c, &arg).await }
                })
                .await?
            }
        };
        Ok(search_result_page(result))
    }

    /// Searches file and folder names under `path` (everywhere when `None`), page by page.
    pub fn search(
        &self,
        query: &str,
        path: Option<&str>,
    ) -> BoxStream<'static, Result<SearchPage, DropboxError>> {
        let client = self.clone();
        let query = query.to_owned();
        let path = path.map(str::to_owned);
        // State: `Some(cursor)` while there is a page to fetch (`None` cursor = the first page).
        stream::unfold(Some(None::<String>), move |state| {
            let client = client.clone();
            let query = query.clone();
            let path = path.clone();
            async move {
                let cursor = state?;
                Some(
                    match client.search_page(&query, path.as_deref(), cursor).await {
                        Ok(page) => {
                            let next = page.cursor.clone().map(Some);
                            (Ok(page), next)
                        }
                        Err(e) => (Err(e), None),
                    },
                )
            }
        })
        .boxed()
    }

    /// A cursor for "changes from now on" under `path`, for `longpoll` and `list_folder`.
    pub async fn latest_cursor(&self, path: &str, recursive: bool) -> Result<String, DropboxError> {
        let arg = ListFolderArg::new(path.to_string()).with_recursive(recursive);
        let r = self
            .run(Retry::Safe, |c| {
                let arg = arg.clone();
                async move { files::list_folder_get_latest_cursor(&c, &arg).await }
            })
            .await?;
        Ok(r.cursor)
    }

    /// Waits (up to `timeout`, 30 s – 480 s) until something changes under the cursor's folder.
    pub async fn longpoll(&self, cursor: &str, timeout: Duration) -> Result<Changes, DropboxError> {
        let arg = ListFolderLongpollArg::new(cursor.to_string())
            .with_timeout(timeout.as_secs().clamp(30, 480));
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Longpoll takes no Authorization header: the cursor identifies the folder.
            let conn = Conn::new(self.hub.transport.clone(), None, None);
            let err = match files::list_folder_longpoll(&conn, &arg).await {
                Ok(r) => {
                    return Ok(Changes {
                        changes: r.changes,
                        backoff: r.backoff.map(Duration::from_secs),
                    });
                }
                Err(e) => e,
            };
            match classify(err, Retry::Safe) {
                Failure::Retryable { wait, error } => {
                    match self.hub.retry.next_delay(attempts, wait) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Err(error),
                    }
                }
                Failure::Unauthorized => {
                    return Err(DropboxError::Unexpected("longpoll answered 401".into()));
                }
                Failure::Fatal(e) => return Err(e),
            }
        }
    }
}

/// The first search request: names only (not content, which Dropbox searches for some plans),
/// `SEARCH_PAGE_SIZE` at a time.
fn search_arg(query: &str, path: Option<&str>) -> SearchV2Arg {
    let mut options = SearchOptions::default()
        .with_max_results(SEARCH_PAGE_SIZE)
        .with_filename_only(true);
    if let Some(p) = path.filter(|p| !p.is_empty()) {
        options = options.with_path(p.to_string());
    }
    SearchV2Arg::new(query.to_string()).with_options(options)
}

/// The page as Wharf uses it: plain metadata, and a cursor only while Dropbox has more.
fn search_result_page(r: files::SearchV2Result) -> SearchPage {
    let has_more = r.has_more;
    let entries = r
        .matches
        .into_iter()
        .filter_map(|m| match m.metadata {
            MetadataV2::Metadata(md) => Some(md),
            _ => None,
        })
        .collect();
    SearchPage {
        entries,
        cursor: r.cursor.filter(|_| has_more),
    }
}
