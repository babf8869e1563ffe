//! Find items: which files of a data source match a rule's filters, in its order, cut at what is
//! asked — read a page of Dropbox at a time and never holding more than the rows wanted.
use super::{ItemQuery, ItemSource};
use crate::connector::{Entry, FilesError, MAX_QUERY_CHARS};
use crate::forms::facts;
use futures::StreamExt;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use wharf_types::forms::{FileParameter, SortDirection};
use wharf_types::rules::{Day, ItemFilter, ItemSort, Operator, ValueKind};

/// A filter with its value worked out for this run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedFilter {
    pub parameter: FileParameter,
    pub operator: Operator,
    pub value: String,
}

impl ResolvedFilter {
    pub fn new(filter: &ItemFilter, value: String) -> Self {
        ResolvedFilter {
            parameter: filter.parameter,
            operator: filter.operator,
            value,
        }
    }

    fn holds(&self, file: &wharf_types::forms::FileFacts<'_>, today: Day) -> bool {
        self.operator.holds(
            ValueKind::of_parameter(self.parameter),
            &self.parameter.value_of(file),
            &self.value,
            today,
        )
    }
}

/// The name search to ask Dropbox for instead of listing the folder, if one of the filters allows
/// it: a Name / NameNoExtension that equals or starts with a non-blank value. Dropbox splits a query
/// and a name into words the same way and matches each query word against the start of a name's
/// word, so a name that starts with the value is always found (and more): the search only narrows
/// what is read, and every filter is still applied to what comes back.
pub fn name_query(filters: &[ResolvedFilter]) -> Option<String> {
    filters
        .iter()
        .find(|f| {
            matches!(
                f.parameter,
                FileParameter::Name | FileParameter::NameNoExtension
            ) && matches!(f.operator, Operator::Equals | Operator::StartsWith)
                && !f.value.trim().is_empty()
                && f.value.trim().chars().count() <= MAX_QUERY_CHARS
        })
        .map(|f| f.value.trim().to_owned())
}

/// Whether Created (a revision lookup per file) is needed.
pub fn needs_created(
    filters: &[ResolvedFilter],
    sort: Option<ItemSort>,
    shown: &[FileParameter],
) -> bool {
    filters
        .iter()
        .map(|f| f.parameter)
        .chain(sort.map(|s| s.parameter))
        .chain(shown.iter().copied())
        .any(|p| p == FileParameter::Created)
}

/// A file that matched, with its Created time when that was needed.
#[derive(Clone, Debug)]
pub struct Item {
    pub entry: Entry,
    pub created: Option<String>,
}

/// What to read: the first `wanted` matches in order (after the sort, when there is one).
pub struct Scan<'a> {
    pub query: ItemQuery,
    pub filters: &'a [ResolvedFilter],
    pub sort: Option<ItemSort>,
    pub created: bool,
    pub today: Day,
    pub wanted: usize,
}

pub struct Found {
    /// The folder searched, relative to the data source's root.
    pub folder: String,
    /// At most `wanted` items, in order.
    pub items: Vec<Item>,
}

/// An item ranked by the sort: the heap keeps the `wanted` best and drops the rest as it goes.
struct Ranked {
    key: String,
    /// Ties are broken by path, so pages never overlap or skip.
    tie: String,
    descending: bool,
    item: Item,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_key = self.key.cmp(&other.key);
        let by_key = if self.descending {
            by_key.reverse()
        } else {
            by_key
        };
        by_key.then_with(|| self.tie.cmp(&other.tie))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// Reads the data source page by page. Without a sort it stops as soon as it has `wanted` matches;
/// with one it reads everything but keeps only the `wanted` best in a bounded heap.
pub async fn scan(items: &dyn ItemSource, scan: Scan<'_>) -> Result<Found, FilesError> {
    let stream = items.items(&scan.query).await?;
    let mut pages = stream.pages;
    let mut kept: Vec<Item> = Vec::new();
    let mut heap: BinaryHeap<Ranked> = BinaryHeap::new();
    if scan.wanted == 0 {
        return Ok(Found {
            folder: stream.folder,
            items: kept,
        });
    }
    while let Some(page) = pages.next().await {
        let page = page?;
        let created = if scan.created {
            let files: Vec<(String, String)> = page
                .iter()
                .map(|e| (e.path.clone(), e.id.clone()))
                .collect();
            // Created is looked up per file; without it a file simply has none.
            items
                .created_times(scan.query.data_source_id, &files)
                .await
                .unwrap_or_default()
        } else {
            Default::default()
        };
        for entry in page {
            let c = created.get(&entry.id).cloned();
            let f = facts(&entry, c.as_deref());
            if !scan
                .filters
                .iter()
                .all(|filter| filter.holds(&f, scan.today))
            {
                continue;
            }
            match scan.sort {
                None => {
                    kept.push(Item { entry, created: c });
                    if kept.len() >= scan.wanted {
                        return Ok(Found {
                            folder: stream.folder,
                            items: kept,
                        });
                    }
                }
                Some(sort) => {
                    let key = sort.parameter.sort_key_of(&f);
                    let tie = entry.path.to_lowercase();
                    heap.push(Ranked {
                        key,
                        tie,
                        descending: sort.direction == SortDirection::Descending,
                        item: Item { entry, created: c },
                    });
                    if heap.len() > scan.wanted {
                        heap.pop();
                    }
                }
            }
        }
    }
    if scan.sort.is_some() {
        kept = heap.into_sorted_vec().into_iter().map(|r| r.item).collect();
    }
    Ok(Found {
        folder: stream.folder,
        items: kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(parameter: FileParameter, operator: Operator, value: &str) -> ResolvedFilter {
        ResolvedFilter {
            parameter,
            operator,
            value: value.into(),
        }
    }

    #[test]
    fn name_equals_or_starts_with_is_pushed_to_dropbox() {
        use FileParameter::*;
        use Operator::*;
        assert_eq!(
            name_query(&[filter(Name, StartsWith, " acme ")]).as_deref(),
            Some("acme")
        );
        assert_eq!(
            name_query(&[filter(NameNoExtension, Equals, "invoice-7")]).as_deref(),
            Some("invoice-7")
        );
        // The first filter that Dropbox can answer is the one pushed.
        assert_eq!(
            name_query(&[
                filter(Size, Greater, "10"),
                filter(Name, Contains, "x"),
                filter(Name, Equals, "report.pdf"),
            ])
            .as_deref(),
            Some("report.pdf")
        );
    }

    #[test]
    fn everything_else_is_listed_and_filtered_locally() {
        use FileParameter::*;
        use Operator::*;
        for f in [
            filter(Name, Contains, "acme"),
            filter(Name, EndsWith, ".pdf"),
            filter(Name, NotEquals, "a"),
            filter(Name, Equals, "  "),
            filter(Name, StartsWith, &"x".repeat(MAX_QUERY_CHARS + 1)),
            filter(Path, Equals, "/a/b.pdf"),
            filter(Extension, Equals, "pdf"),
            filter(Modified, After, "2026-01-01"),
            filter(Size, GreaterOrEqual, "100"),
        ] {
            assert_eq!(name_query(std::slice::from_ref(&f)), None, "{f:?}");
        }
        assert_eq!(name_query(&[]), None);
    }

    #[test]
    fn created_is_needed_only_when_used() {
        let f = [filter(FileParameter::Name, Operator::Contains, "a")];
        assert!(!needs_created(&f, None, &[FileParameter::Size]));
        assert!(needs_created(&f, None, &[FileParameter::Created]));
        let sort = ItemSort {
            parameter: FileParameter::Created,
            direction: SortDirection::Descending,
        };
        assert!(needs_created(&f, Some(sort), &[]));
        assert!(needs_created(
            &[filter(
                FileParameter::Created,
                Operator::Before,
                "2026-01-01"
            )],
            None,
            &[]
        ));
    }

    fn entry(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            path: format!("f/{name}"),
            is_folder: false,
            id: format!("id:{name}"),
            size: Some(size),
            modified: Some("2026-12-01T00:00:00Z".into()),
            rev: Some("1".into()),
            content_hash: None,
        }
    }

    /// A data source of pages in memory.
    struct Pages(Vec<Vec<Entry>>);

    #[async_trait::async_trait]
    impl ItemSource for Pages {
        async fn items(&self, _: &ItemQuery) -> Result<super::super::ItemStream, FilesError> {
            let pages: Vec<Result<Vec<Entry>, FilesError>> =
                self.0.iter().cloned().map(Ok).collect();
            Ok(super::super::ItemStream {
                folder: "f".into(),
                pages: futures::stream::iter(pages).boxed(),
            })
        }
        async fn created_times(
            &self,
            _: i32,
            _: &[(String, String)],
        ) -> Result<std::collections::HashMap<String, String>, FilesError> {
            Ok(Default::default())
        }
    }

    fn query() -> ItemQuery {
        ItemQuery {
            data_source_id: 1,
            folder: "f".into(),
            include_subfolders: false,
            name_query: None,
        }
    }

    #[tokio::test]
    async fn a_sort_keeps_the_best_rows_across_pages() {
        let pages = Pages(vec![
            vec![entry("c.pdf", 3), entry("a.txt", 1), entry("e.pdf", 5)],
            vec![entry("b.pdf", 2), entry("d.pdf", 4)],
        ]);
        let filters = [filter(FileParameter::Extension, Operator::Equals, "pdf")];
        let found = scan(
            &pages,
            Scan {
                query: query(),
                filters: &filters,
                sort: Some(ItemSort {
                    parameter: FileParameter::Size,
                    direction: SortDirection::Descending,
                }),
                created: false,
                today: Day::from_ymd(2026, 12, 6),
                wanted: 3,
            },
        )
        .await
        .unwrap();
        let names: Vec<&str> = found.items.iter().map(|i| i.entry.name.as_str()).collect();
        assert_eq!(names, ["e.pdf", "d.pdf", "c.pdf"]);
    }

    #[tokio::test]
    async fn without_a_sort_reading_stops_at_the_rows_wanted() {
        let pages = Pages(vec![
            vec![entry("a.pdf", 1), entry("b.pdf", 2)],
            vec![entry("c.pdf", 3)],
        ]);
        let found = scan(
            &pages,
            Scan {
                query: query(),
                filters: &[],
                sort: None,
                created: false,
                today: Day::from_ymd(2026, 12, 6),
                wanted: 2,
            },
        )
        .await
        .unwrap();
        let names: Vec<&str> = found.items.iter().map(|i| i.entry.name.as_str()).collect();
        assert_eq!(names, ["a.pdf", "b.pdf"]);
    }
}
