//! Upload and download: write modes, content hashes, upload sessions with offsets, Range, and the
//! `Dropbox-API-Arg` / `Dropbox-API-Result` header encodings.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn download_returns_content_and_ascii_only_api_result_header() {
    let t = TestSandbox::start().await;
    let up = t.put("/Ünïcödé 😀.txt", b"content").await;
    assert_eq!(up["name"], "Ünïcödé 😀.txt");
    let (r, body) = t
        .download("files/download", &json!({"path": "/ünïcödé 😀.txt"}), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(body, b"content");
    let raw = r.header("dropbox-api-result").unwrap();
    assert!(raw.is_ascii());
    assert!(raw.contains("\\ud83d\\ude00"), "{raw}");
    let meta: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(meta["path_display"], "/Ünïcödé 😀.txt");
    assert_eq!(meta["rev"], up["rev"]);
}

#[tokio::test]
async fn range_download_answers_206_with_content_range() {
    let t = TestSandbox::start().await;
    t.put("/digits.txt", b"0123456789").await;
    let arg = json!({"path": "/digits.txt"});
    let (r, body) = t.download("files/download", &arg, Some("bytes=2-5")).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, b"2345");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 2-5/10"));
    assert!(r.header("dropbox-api-result").is_some());
    let (_, tail) = t.download("files/download", &arg, Some("bytes=-3")).await;
    assert_eq!(tail, b"789");
    let (r, _) = t.download("files/download", &arg, Some("bytes=10-")).await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
}

#[tokio::test]
async fn download_of_a_folder_is_not_file() {
    let t = TestSandbox::start().await;
    t.ok("files/create_folder_v2", json!({"path": "/dir"}))
        .await;
    let (r, _) = t
        .download("files/download", &json!({"path": "/dir"}), None)
        .await;
    assert_route_error(&r, "path/not_file");
}

#[tokio::test]
async fn upload_add_conflicts_but_overwrite_and_update_write_new_revisions() {
    let t = TestSandbox::start().await;
    let v1 = t.put("/f.txt", b"one").await;
    let r = t
        .upload_call("files/upload", &json!({"path": "/f.txt"}), b"two".to_vec())
        .await;
    assert_route_error(&r, "path/conflict/file");
    assert!(r.json()["error"]["upload_session_id"].is_string());
    let same = t
        .upload_call("files/upload", &json!({"path": "/f.txt"}), b"one".to_vec())
        .await;
    assert_eq!(
        same.json()["rev"],
        v1["rev"],
        "identical content is no conflict and no new rev"
    );
    let renamed = t
        .upload_call(
            "files/upload",
            &json!({"path": "/f.txt", "autorename": true}),
            b"two".to_vec(),
        )
        .await;
    assert_eq!(renamed.json()["name"], "f (1).txt");
    let update = json!({"path": "/f.txt", "mode": {".tag": "update", "update": v1["rev"]}});
    let v2 = t
        .upload_call("files/upload", &update, b"three".to_vec())
        .await
        .json();
    assert_ne!(v2["rev"], v1["rev"]);
    assert_eq!(v2["id"], v1["id"]);
    let stale = t
        .upload_call("files/upload", &update, b"four".to_vec())
        .await;
    assert_route_error(&stale, "path/conflict/file");
    let strict = json!({"path": "/new.txt", "mode": {".tag": "update", "update": v1["rev"]}, "strict_conflict": true});
    assert_route_error(
        &t.upload_call("files/upload", &strict, b"x".to_vec()).await,
        "path/conflict/file",
    );
}

#[tokio::test]
async fn upload_keeps_client_modified_and_checks_content_hash() {
    let t = TestSandbox::start().await;
    let arg = json!({"path": "/c.txt", "client_modified": "2020-01-02T03:04:05Z",
                     "content_hash": dropbox_sandbox::content_hash(b"abc")});
    let ok = t.upload_call("files/upload", &arg, b"abc".to_vec()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.json()["client_modified"], "2020-01-02T03:04:05Z");
    let bad = json!({"path": "/d.txt", "content_hash": dropbox_sandbox::content_hash(b"other")});
    let r = t.upload_call("files/upload", &bad, b"abc".to_vec()).await;
    assert_route_error(&r, "content_hash_mismatch");
    let r = t.rpc("files/get_metadata", json!({"path": "/d.txt"})).await;
    assert_route_error(&r, "path/not_found");
    let bad_time = json!({"path": "/e.txt", "client_modified": "2020-01-02 03:04:05"});
    assert_eq!(
        t.upload_call("files/upload", &bad_time, b"x".to_vec())
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn upload_requires_octet_stream_and_the_api_arg_header() {
    let t = TestSandbox::start().await;
    let no_arg = t
        .post_raw(
            "files/upload",
            &[("Content-Type", "application/octet-stream")],
            "x",
        )
        .await;
    assert_eq!(no_arg.status, StatusCode::BAD_REQUEST);
    assert!(no_arg.text.contains("Dropbox-API-Arg"), "{}", no_arg.text);
    let text = t
        .post_raw(
            "files/upload",
            &[
                ("Dropbox-API-Arg", r#"{"path": "/x"}"#),
                ("Content-Type", "text/plain"),
            ],
            "x",
        )
        .await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn upload_over_the_size_limit_is_payload_too_large() {
    let t = TestSandbox::start_with(dropbox_sandbox::SandboxConfig {
        max_upload_bytes: 1000,
        ..dropbox_sandbox::SandboxConfig::for_tests()
    })
    .await;
    let r = t
        .upload_call("files/upload", &json!({"path": "/big"}), vec![0u8; 5000])
        .await;
    assert_route_error(&r, "payload_too_large");
}

#[tokio::test]
async fn upload_session_appends_checks_offsets_and_finishes() {
    let t = TestSandbox::start().await;
    let chunk = |b: u8| vec![b; 4 * 1024 * 1024];
    let start = t
        .upload_call("files/upload_session/start", &json!({}), chunk(1))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let sid = start.json()["session_id"].as_str().unwrap().to_string();
    let append = |offset: u64| json!({"cursor": {"session_id": sid, "offset": offset}});
    let wrong = t
        .upload_call("files/upload_session/append_v2", &append(5), chunk(2))
        .await;
    assert_route_error(&wrong, "incorrect_offset");
    assert_eq!(wrong.json()["error"]["correct_offset"], 4 * 1024 * 1024);
    let ok = t
        .upload_call(
            "files/upload_session/append_v2",
            &append(4 * 1024 * 1024),
            chunk(2),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.text, "null");
    let total = 8 * 1024 * 1024 + 3;
    let mut whole = chunk(1);
    whole.extend(chunk(2));
    whole.extend([9, 9, 9]);
    let bad_finish =
        json!({"cursor": {"session_id": sid, "offset": 1}, "commit": {"path": "/big.bin"}});
    let r = t
        .upload_call("files/upload_session/finish", &bad_finish, vec![9, 9, 9])
        .await;
    assert_route_error(&r, "lookup_failed/incorrect_offset");
    let finish = |hash: &[u8]| {
        json!({"cursor": {"session_id": sid, "offset": 8 * 1024 * 1024},
               "commit": {"path": "/big.bin", "mode": "add"},
               "content_hash": dropbox_sandbox::content_hash(hash)})
    };
    let mismatch = t
        .upload_call(
            "files/upload_session/finish",
            &finish(b"other"),
            vec![9, 9, 9],
        )
        .await;
    assert_route_error(&mismatch, "content_hash_mismatch");
    let done = t
        .upload_call(
            "files/upload_session/finish",
            &finish(&[9, 9, 9]),
            vec![9, 9, 9],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["size"], total);
    assert_eq!(
        done.json()["content_hash"],
        dropbox_sandbox::content_hash(&whole)
    );
    let (_, body) = t
        .download("files/download", &json!({"path": "/big.bin"}), None)
        .await;
    assert_eq!(body.len(), total);
    assert!(body == whole);
    let again = t
        .upload_call(
            "files/upload_session/append_v2",
            &append(total as u64),
            vec![1],
        )
        .await;
    assert_route_error(&again, "not_found");
}

#[tokio::test]
async fn a_session_of_chunks_that_straddle_blocks_hashes_like_the_whole_file() {
    // Chunks of 3 MiB put the session inside a 4 MiB block between calls; a refused append in
    // between must leave the session's hash as it was.
    let t = TestSandbox::start().await;
    let mib = 1024 * 1024;
    let whole: Vec<u8> = (0..9 * mib + 5).map(|i| (i % 253) as u8).collect();
    let start = t
        .upload_call(
            "files/upload_session/start",
            &json!({}),
            whole[..3 * mib].to_vec(),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let sid = start.json()["session_id"].as_str().unwrap().to_string();
    let append = |offset: usize, hash: &[u8]| {
        json!({"cursor": {"session_id": sid, "offset": offset},
               "content_hash": dropbox_sandbox::content_hash(hash)})
    };
    let second = &whole[3 * mib..6 * mib];
    let refused = t
        .upload_call(
            "files/upload_session/append_v2",
            &append(3 * mib, b"not it"),
            second.to_vec(),
        )
        .await;
    assert_route_error(&refused, "content_hash_mismatch");
    for range in [3 * mib..6 * mib, 6 * mib..8 * mib] {
        let chunk = &whole[range.clone()];
        let ok = t
            .upload_call(
                "files/upload_session/append_v2",
                &append(range.start, chunk),
                chunk.to_vec(),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    }
    let finish = json!({"cursor": {"session_id": sid, "offset": 8 * mib},
                        "commit": {"path": "/straddle.bin"}});
    let done = t
        .upload_call(
            "files/upload_session/finish",
            &finish,
            whole[8 * mib..].to_vec(),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["size"], whole.len());
    assert_eq!(
        done.json()["content_hash"],
        dropbox_sandbox::content_hash(&whole)
    );
}

#[tokio::test]
async fn closed_upload_session_refuses_appends() {
    let t = TestSandbox::start().await;
    let start = t
        .upload_call(
            "files/upload_session/start",
            &json!({"close": true}),
            b"abc".to_vec(),
        )
        .await;
    let sid = start.json()["session_id"].as_str().unwrap().to_string();
    let r = t
        .upload_call(
            "files/upload_session/append_v2",
            &json!({"cursor": {"session_id": sid, "offset": 3}}),
            b"d".to_vec(),
        )
        .await;
    assert_route_error(&r, "closed");
    let finish = json!({"cursor": {"session_id": sid, "offset": 3}, "commit": {"path": "/s.txt"}});
    let done = t
        .upload_call("files/upload_session/finish", &finish, Vec::new())
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.json()["size"], 3);
}

#[tokio::test]
async fn unknown_upload_session_is_not_found() {
    let t = TestSandbox::start().await;
    let arg = json!({"cursor": {"session_id": "nope", "offset": 0}});
    let r = t
        .upload_call("files/upload_session/append_v2", &arg, b"x".to_vec())
        .await;
    assert_route_error(&r, "not_found");
}
