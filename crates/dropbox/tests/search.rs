//! Resumable search: one page per call, continued later with the cursor Dropbox handed out.

mod common;

use common::*;
use dropbox::SEARCH_PAGE_SIZE;
use dropbox::types::Metadata;
use futures::TryStreamExt;

fn paths(entries: &[Metadata]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|m| match m {
            Metadata::File(f) => f.path_display.clone(),
            Metadata::Folder(f) => f.path_display.clone(),
            Metadata::Deleted(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn search_page_continues_from_the_cursor_of_the_page_before() {
    let w = world().await;
    let total = SEARCH_PAGE_SIZE as usize + 5;
    for i in 0..total {
        w.seed(&format!("/Docs/scan-{i:03}.pdf"), b"x").await;
    }
    w.seed("/Docs/notes.txt", b"y").await;

    let first = w.client.search_page("scan", None, None).await.unwrap();
    let cursor = first.cursor.clone().expect("a cursor while there is more");
    // A later request (say, the browser scrolling on) continues with nothing but the cursor.
    let second = w
        .client
        .search_page("ignored", None, Some(cursor))
        .await
        .unwrap();

    assert_eq!(first.entries.len(), SEARCH_PAGE_SIZE as usize);
    assert!(first.has_more());
    assert_eq!(second.entries.len(), 5);
    assert!(second.cursor.is_none(), "the last page has no cursor");
    let mut all = paths(&first.entries);
    all.extend(paths(&second.entries));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total);
    assert!(all.iter().all(|p| p.contains("scan-")));
    assert_eq!(w.count("files/search_v2"), 1);
    assert_eq!(w.count("files/search/continue_v2"), 1);
}

#[tokio::test]
async fn search_page_stays_inside_the_path_it_was_given() {
    let w = world().await;
    w.seed("/Invoices/budget.xlsx", b"1").await;
    w.seed("/Other/budget.xlsx", b"2").await;

    let page = w
        .client
        .search_page("budget", Some("/Invoices"), None)
        .await
        .unwrap();

    assert_eq!(paths(&page.entries), vec!["/Invoices/budget.xlsx"]);
    assert!(page.cursor.is_none());
}

#[tokio::test]
async fn the_search_stream_still_walks_every_page() {
    let w = world().await;
    for i in 0..(SEARCH_PAGE_SIZE as usize + 1) {
        w.seed(&format!("/r/report-{i:03}.txt"), b"r").await;
    }

    let pages: Vec<_> = w.client.search("report", None).try_collect().await.unwrap();

    assert_eq!(pages.len(), 2);
    let found: usize = pages.iter().map(|p| p.entries.len()).sum();
    assert_eq!(found, SEARCH_PAGE_SIZE as usize + 1);
}
