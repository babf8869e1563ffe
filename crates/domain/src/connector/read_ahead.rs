//! Reading ahead while someone pages through a folder. Once a page after the first is asked for, the
//! page after it is fetched from Dropbox while that page travels to the browser and is shown, so the
//! next request waits only for what Dropbox has not answered yet (issue 17: all pages of a 10,000-file
//! folder within 1.2× the direct calls). Nothing is read ahead for a first page: most people look at
//! one page and never page on, and that must not double the calls Dropbox counts.
//!
//! A page read ahead is kept in this server's memory only, for one use and at most `TTL`, keyed by the
//! data source and the Dropbox cursor it continues: a request answered by another instance, or after
//! the page expired, simply asks Dropbox itself. It is as safe as asking Dropbox: the request is
//! authorized and its sealed cursor checked for this data source and folder before a page is taken.
use dropbox::{DropboxError, ListPage};
use hashlink::LinkedHashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Pages read ahead at most at a time, over every data source (a page of 200 entries is ≈ 100 KB).
pub const READ_AHEAD_PAGES: usize = 64;
/// How long a page read ahead waits to be asked for: a person paging on asks within seconds, and
/// a page kept longer would show a folder older than one just listed.
const TTL: Duration = Duration::from_secs(30);

type Fetch = JoinHandle<Result<ListPage, DropboxError>>;

/// (data source, the Dropbox cursor the page continues from).
type Key = (i32, String);

pub(super) struct ReadAhead {
    /// Oldest first.
    pages: Mutex<LinkedHashMap<Key, (Instant, Fetch)>>,
    capacity: usize,
}

impl ReadAhead {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            pages: Mutex::new(LinkedHashMap::new()),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, LinkedHashMap<Key, (Instant, Fetch)>> {
        // A panic elsewhere cannot leave the map in a state that matters: entries are only hints.
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `fetch`, the page of data source `id` that follows `cursor`, in the background — unless
    /// that page is being fetched already.
    pub(super) fn start(
        &self,
        id: i32,
        cursor: &str,
        fetch: impl Future<Output = Result<ListPage, DropboxError>> + Send + 'static,
    ) {
        let key = (id, cursor.to_owned());
        let mut pages = self.lock();
        if pages.contains_key(&key) {
            return;
        }
        pages.insert(key, (Instant::now(), tokio::spawn(fetch)));
        let now = Instant::now();
        // Expired pages first, then the oldest while over capacity; their fetches are stopped.
        while let Some((_, (started, _))) = pages.front()
            && (now.duration_since(*started) > TTL || pages.len() > self.capacity)
        {
            if let Some((_, (_, fetch))) = pages.pop_front() {
                fetch.abort();
            }
        }
    }

    /// The page that follows `cursor` in data source `id`, if it was read ahead and has not expired
    /// (waiting for it when Dropbox has not answered yet). `None` when there is none or reading
    /// ahead failed: the caller then asks Dropbox, which also reports any error afresh.
    pub(super) async fn take(&self, id: i32, cursor: &str) -> Option<ListPage> {
        let (started, fetch) = self.lock().remove(&(id, cursor.to_owned()))?;
        if started.elapsed() > TTL {
            fetch.abort();
            return None;
        }
        fetch.await.ok()?.ok()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fetch that never ends: these tests never wait for one.
    fn never() -> impl Future<Output = Result<ListPage, DropboxError>> + Send + 'static {
        std::future::pending()
    }

    #[tokio::test]
    async fn the_oldest_pages_give_way_beyond_capacity() {
        let read_ahead = ReadAhead::new(2);
        for cursor in ["c1", "c2", "c3"] {
            read_ahead.start(1, cursor, never());
        }
        assert_eq!(read_ahead.len(), 2);
        assert!(!read_ahead.lock().contains_key(&(1, "c1".to_owned())));
        assert!(read_ahead.lock().contains_key(&(1, "c3".to_owned())));
        read_ahead.start(1, "c3", never());
        assert_eq!(read_ahead.len(), 2, "one fetch per cursor");
    }
}
