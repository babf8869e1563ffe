//! The one loader for lists that arrive page by page on a cursor (Dropbox folders): the picker, the
//! folder chooser, a List field's options and the folder browser. It starts over, loads more, and drops
//! an answer that belongs to a view the person has already left (another folder, a new search, a closed
//! dialog), so late answers never mix into what is on screen.
use crate::error::AppError;
use leptos::prelude::*;
use std::future::Future;

/// Rows and the cursor of the page after them (`None` at the end), as `accept` makes them of an answer.
pub type Chunk<T> = (Vec<T>, Option<String>);

pub struct PagedList<T: Send + Sync + 'static> {
    pub rows: RwSignal<Vec<T>>,
    /// The cursor of the next page; `None` when everything is loaded.
    pub next: RwSignal<Option<String>>,
    pub loading: RwSignal<bool>,
    /// The sentence of the last failed load, cleared by the next one.
    pub error: RwSignal<Option<String>>,
    /// How many pages are shown (1 after a reload).
    pub pages: RwSignal<u32>,
    /// Bumped by every reload; an answer carrying an older number is dropped.
    generation: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for PagedList<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: Send + Sync + 'static> Copy for PagedList<T> {}

impl<T: Send + Sync + 'static> Default for PagedList<T> {
    fn default() -> Self {
        Self::starting_with(Vec::new(), None)
    }
}

impl<T: Send + Sync + 'static> PagedList<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A list whose first page was already rendered on the server.
    pub fn starting_with(rows: Vec<T>, next: Option<String>) -> Self {
        let pages = u32::from(!rows.is_empty() || next.is_some());
        PagedList {
            rows: RwSignal::new(rows),
            next: RwSignal::new(next),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            pages: RwSignal::new(pages),
            generation: StoredValue::new(0),
        }
    }

    pub fn has_more(&self) -> bool {
        self.next.with(Option::is_some)
    }

    /// Nothing to show, nothing more to load, nothing failed: "This folder is empty."
    pub fn is_empty_and_done(&self) -> bool {
        !self.loading.get()
            && self.error.with(Option::is_none)
            && self.rows.with(Vec::is_empty)
            && self.next.with(Option::is_none)
    }

    /// Starts over with the answer of `fetch`, which replaces the rows. `accept` runs only if the answer
    /// is still wanted: it may also update what else the view shows of the answer (a header).
    pub fn reload<P, Fut>(self, fetch: Fut, accept: impl FnOnce(P) -> Chunk<T> + 'static)
    where
        P: 'static,
        Fut: Future<Output = Result<P, AppError>> + 'static,
    {
        let this = self.generation.get_value() + 1;
        self.generation.set_value(this);
        self.run(this, fetch, accept, false);
    }

    /// Appends the next page, fetched with its cursor. Does nothing at the end of the list or while a
    /// page is on its way (a double click must not load the same page twice).
    pub fn load_more<P, Fut>(
        self,
        fetch: impl FnOnce(String) -> Fut,
        accept: impl FnOnce(P) -> Chunk<T> + 'static,
    ) where
        P: 'static,
        Fut: Future<Output = Result<P, AppError>> + 'static,
    {
        if self.loading.get_untracked() {
            return;
        }
        let Some(cursor) = self.next.get_untracked() else {
            return;
        };
        self.run(self.generation.get_value(), fetch(cursor), accept, true);
    }

    fn run<P, Fut>(
        self,
        this: u64,
        fetch: Fut,
        accept: impl FnOnce(P) -> Chunk<T> + 'static,
        more: bool,
    ) where
        P: 'static,
        Fut: Future<Output = Result<P, AppError>> + 'static,
    {
        self.loading.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let answer = fetch.await;
            // A newer reload replaced this one, or the view is gone (its signals disposed).
            if self.generation.try_get_value() != Some(this) {
                return;
            }
            match answer {
                Ok(page) => {
                    let (rows, next) = accept(page);
                    if more {
                        self.rows.update(|all| all.extend(rows));
                        self.pages.update(|n| *n += 1);
                    } else {
                        self.rows.set(rows);
                        self.pages.set(1);
                    }
                    self.next.set(next);
                }
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.loading.set(false);
        });
    }
}
