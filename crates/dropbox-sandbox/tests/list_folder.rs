//! Listing, paging, cursors across changes, reset, latest cursor and longpoll.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn listing_pages_with_limit_until_has_more_is_false() {
    let t = TestSandbox::start().await;
    for i in 0..5 {
        t.put(&format!("/f{i}.txt"), b"x").await;
    }
    let first = t
        .ok("files/list_folder", json!({"path": "", "limit": 2}))
        .await;
    assert_eq!(listed_paths(&first).len(), 2);
    assert_eq!(first["has_more"], true);
    assert_eq!(
        paged(&t, "", false, 2).await,
        vec!["/f0.txt", "/f1.txt", "/f2.txt", "/f3.txt", "/f4.txt"]
    );
}

/// Every path of a listing of `path`, paged `limit` at a time.
async fn paged(t: &TestSandbox, path: &str, recursive: bool, limit: u64) -> Vec<String> {
    let mut page = t
        .ok(
            "files/list_folder",
            json!({"path": path, "recursive": recursive, "limit": limit}),
        )
        .await;
    let mut seen = listed_paths(&page);
    while page["has_more"] == true {
        page = t
            .ok(
                "files/list_folder/continue",
                json!({"cursor": page["cursor"]}),
            )
            .await;
        seen.extend(listed_paths(&page));
    }
    seen
}

#[tokio::test]
async fn a_folder_pages_alike_whatever_sorts_around_it() {
    let t = TestSandbox::start().await;
    // `/a-b` and `/a.txt` sort between `/a` and `/a/…`; `/b.txt` after them.
    for path in [
        "/a/x.txt",
        "/a/y/z.txt",
        "/a/y/w.txt",
        "/a-b/q.txt",
        "/a.txt",
        "/b.txt",
    ] {
        t.put(path, b"x").await;
    }
    for limit in [1, 2, 2000] {
        assert_eq!(
            paged(&t, "/a", false, limit).await,
            vec!["/a/x.txt", "/a/y"],
            "limit {limit}"
        );
        assert_eq!(
            paged(&t, "/a", true, limit).await,
            vec!["/a", "/a/x.txt", "/a/y", "/a/y/w.txt", "/a/y/z.txt"],
            "recursive, limit {limit}"
        );
        assert_eq!(
            paged(&t, "", false, limit).await,
            vec!["/a", "/a-b", "/a.txt", "/b.txt"],
            "the root, limit {limit}"
        );
    }
}

#[tokio::test]
async fn recursive_listing_includes_nested_entries_with_tags() {
    let t = TestSandbox::start().await;
    t.put("/a/b/c.txt", b"x").await;
    let flat = t.ok("files/list_folder", json!({"path": ""})).await;
    assert_eq!(listed_paths(&flat), vec!["/a"]);
    let deep = t
        .ok("files/list_folder", json!({"path": "", "recursive": true}))
        .await;
    assert_eq!(listed_paths(&deep), vec!["/a", "/a/b", "/a/b/c.txt"]);
    assert_eq!(deep["entries"][2][".tag"], "file");
    assert_eq!(deep["entries"][0][".tag"], "folder");
}

#[tokio::test]
async fn include_deleted_lists_tombstones() {
    let t = TestSandbox::start().await;
    t.put("/keep.txt", b"x").await;
    t.put("/gone.txt", b"x").await;
    t.ok("files/delete_v2", json!({"path": "/gone.txt"})).await;
    let plain = t.ok("files/list_folder", json!({"path": ""})).await;
    assert_eq!(listed_paths(&plain), vec!["/keep.txt"]);
    let all = t
        .ok(
            "files/list_folder",
            json!({"path": "", "include_deleted": true}),
        )
        .await;
    assert_eq!(listed_paths(&all), vec!["/gone.txt", "/keep.txt"]);
    assert_eq!(all["entries"][0][".tag"], "deleted");
}

#[tokio::test]
async fn cursor_returns_changes_made_after_it_was_issued() {
    let t = TestSandbox::start().await;
    t.put("/docs/old.txt", b"x").await;
    t.put("/docs/bye.txt", b"x").await;
    let listing = t.ok("files/list_folder", json!({"path": "/docs"})).await;
    assert_eq!(listing["has_more"], false);
    let idle = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": listing["cursor"]}),
        )
        .await;
    assert!(idle["entries"].as_array().unwrap().is_empty());
    t.put("/docs/new.txt", b"x").await;
    t.ok("files/delete_v2", json!({"path": "/docs/bye.txt"}))
        .await;
    t.put("/elsewhere.txt", b"x").await;
    let changes = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": idle["cursor"]}),
        )
        .await;
    assert_eq!(
        listed_paths(&changes),
        vec!["/docs/new.txt", "/docs/bye.txt"]
    );
    assert_eq!(changes["entries"][1][".tag"], "deleted");
    let none = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": changes["cursor"]}),
        )
        .await;
    assert!(
        none["entries"].as_array().unwrap().is_empty(),
        "changes are not repeated"
    );
}

#[tokio::test]
async fn changes_page_by_limit() {
    let t = TestSandbox::start().await;
    let start = t
        .ok(
            "files/list_folder/get_latest_cursor",
            json!({"path": "", "limit": 2}),
        )
        .await;
    for i in 0..3 {
        t.put(&format!("/n{i}.txt"), b"x").await;
    }
    let p1 = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": start["cursor"]}),
        )
        .await;
    assert_eq!(listed_paths(&p1), vec!["/n0.txt", "/n1.txt"]);
    assert_eq!(p1["has_more"], true);
    let p2 = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": p1["cursor"]}),
        )
        .await;
    assert_eq!(listed_paths(&p2), vec!["/n2.txt"]);
    assert_eq!(p2["has_more"], false);
}

#[tokio::test]
async fn latest_cursor_sees_only_later_changes() {
    let t = TestSandbox::start().await;
    t.put("/before.txt", b"x").await;
    let latest = t
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;
    t.put("/after.txt", b"x").await;
    let changes = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": latest["cursor"]}),
        )
        .await;
    assert_eq!(listed_paths(&changes), vec!["/after.txt"]);
}

#[tokio::test]
async fn reset_cursors_make_continue_answer_reset() {
    let t = TestSandbox::start().await;
    let listing = t.ok("files/list_folder", json!({"path": ""})).await;
    t.sb.reset_cursors(&t.account.account_id).unwrap();
    let r = t
        .rpc(
            "files/list_folder/continue",
            json!({"cursor": listing["cursor"]}),
        )
        .await;
    assert_route_error(&r, "reset");
}

#[tokio::test]
async fn cursors_issued_after_a_reset_keep_working() {
    let t = TestSandbox::start().await;
    t.put("/a.txt", b"a").await;
    t.sb.reset_cursors(&t.account.account_id).unwrap();
    let listing = t.ok("files/list_folder", json!({"path": ""})).await;
    let latest = t
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;

    let listed = t
        .rpc(
            "files/list_folder/continue",
            json!({"cursor": listing["cursor"]}),
        )
        .await;
    t.put("/b.txt", b"b").await;
    let changes = t
        .ok(
            "files/list_folder/continue",
            json!({"cursor": latest["cursor"]}),
        )
        .await;

    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed_paths(&changes), vec!["/b.txt"]);
}

#[tokio::test]
async fn garbage_cursor_is_a_400() {
    let t = TestSandbox::start().await;
    let r = t
        .rpc("files/list_folder/continue", json!({"cursor": "garbage!"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn longpoll(t: &TestSandbox, cursor: &Value) -> Value {
    let resp = t
        .http
        .post(t.url("/2/files/list_folder/longpoll"))
        .json(&json!({"cursor": cursor, "timeout": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn longpoll_without_changes_times_out_with_changes_false() {
    let t = TestSandbox::start().await;
    let latest = t
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;
    let started = std::time::Instant::now();
    let answer = longpoll(&t, &latest["cursor"]).await;
    assert_eq!(answer["changes"], false);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "waits (capped at 1 s in tests)"
    );
}

#[tokio::test]
async fn longpoll_wakes_up_when_something_under_the_cursor_changes() {
    let t = TestSandbox::start_with(dropbox_sandbox::SandboxConfig {
        longpoll_max_wait: Some(std::time::Duration::from_secs(20)),
        longpoll_backoff: Some(5),
        ..dropbox_sandbox::SandboxConfig::for_tests()
    })
    .await;
    t.ok("files/create_folder_v2", json!({"path": "/watched"}))
        .await;
    let latest = t
        .ok(
            "files/list_folder/get_latest_cursor",
            json!({"path": "/watched"}),
        )
        .await;
    let sb = t.sb.sandbox();
    let account = t.account.account_id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        sb.seed_file(&account, "/unrelated.txt", b"x")
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        sb.seed_file(&account, "/watched/new.txt", b"x")
            .await
            .unwrap();
    });
    let started = std::time::Instant::now();
    let answer = longpoll(&t, &latest["cursor"]).await;
    assert_eq!(answer["changes"], true);
    assert_eq!(answer["backoff"], 5);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(350)
            && waited < std::time::Duration::from_secs(10)
    );
}

#[tokio::test]
async fn longpoll_timeout_outside_dropbox_range_is_a_400() {
    let t = TestSandbox::start().await;
    let latest = t
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;
    let resp = t
        .http
        .post(t.url("/2/files/list_folder/longpoll"))
        .json(&json!({"cursor": latest["cursor"], "timeout": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn longpoll_on_a_reset_cursor_answers_reset() {
    let t = TestSandbox::start().await;
    let latest = t
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;
    t.sb.reset_cursors(&t.account.account_id).unwrap();
    let resp = t
        .http
        .post(t.url("/2/files/list_folder/longpoll"))
        .json(&json!({"cursor": latest["cursor"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"][".tag"], "reset");
}
