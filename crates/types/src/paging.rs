//! One page of any list Wharf shows, and the one page size every list uses.
use serde::{Deserialize, Serialize};

/// How many rows a list shows at a time, everywhere (admin lists, Home, submissions).
pub const PAGE_SIZE: u64 = 50;

/// One page of a longer list: the rows, how many there are in all, which page this is (from 0) and how
/// many rows a page holds. Built by the domain's paging helper, sent to the browser as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    /// The same page with each row turned into another type (a domain row into what the wire carries).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }

    /// An empty first page.
    pub fn empty() -> Self {
        Page {
            rows: Vec::new(),
            total: 0,
            page: 0,
            page_size: PAGE_SIZE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_the_position_and_turns_every_row() {
        let page = Page {
            rows: vec![1, 2],
            total: 52,
            page: 1,
            page_size: 50,
        };
        let mapped = page.map(|n| n.to_string());
        assert_eq!(mapped.rows, vec!["1", "2"]);
        assert_eq!((mapped.total, mapped.page, mapped.page_size), (52, 1, 50));
    }
}
