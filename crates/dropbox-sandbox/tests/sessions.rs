//! Upload sessions beyond the sequential basics: `finish_batch_v2`, `finish_batch` + `finish_batch/check`,
//! concurrent sessions, and sessions that outlive a restart with a data directory.

mod common;

use common::*;
use dropbox_sandbox::{SandboxConfig, content_hash};
use dropbox_sdk::files::{
    CommitInfo, UploadSessionCursor, UploadSessionFinishArg, UploadSessionFinishBatchArg,
    UploadSessionFinishBatchJobStatus, UploadSessionFinishBatchLaunch,
    UploadSessionFinishBatchResult, UploadSessionFinishBatchResultEntry, UploadSessionFinishError,
    UploadSessionLookupError,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const MIB4: usize = 4 * 1024 * 1024;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// Starts a sequential session with `first`; returns its id.
async fn start(t: &TestSandbox, first: &[u8], close: bool) -> String {
    let r = t
        .upload_call(
            "files/upload_session/start",
            &json!({"close": close}),
            first.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["session_id"].as_str().unwrap().to_string()
}

async fn append(t: &TestSandbox, id: &str, offset: usize, body: &[u8], close: bool) -> Reply {
    t.upload_call(
        "files/upload_session/append_v2",
        &json!({"cursor": {"session_id": id, "offset": offset}, "close": close}),
        body.to_vec(),
    )
    .await
}

fn entry(id: &str, offset: usize, path: &str) -> Value {
    json!({"cursor": {"session_id": id, "offset": offset}, "commit": {"path": path}})
}

#[tokio::test]
async fn finish_batch_v2_commits_closed_sessions_and_reports_each_entry() {
    let t = TestSandbox::start().await;
    let one = data(10, 1);
    let s1 = start(&t, &one[..4], false).await;
    assert_eq!(
        append(&t, &s1, 4, &one[4..], true).await.status,
        StatusCode::OK
    );
    let s2 = start(&t, b"closed at start", true).await;
    let open = start(&t, b"open", false).await;
    let hashed = start(&t, b"hashed", true).await;
    let conflicted = start(&t, b"different", true).await;
    t.put("/batch/taken.txt", b"already here").await;
    let mut with_hash = entry(&hashed, 6, "/batch/hashed.txt");
    with_hash["content_hash"] = json!(content_hash(b"not it"));
    let r = t
        .rpc(
            "files/upload_session/finish_batch_v2",
            json!({"entries": [
                entry(&s1, 10, "/batch/one.bin"),
                entry(&s2, 15, "/batch/two.txt"),
                entry(&open, 4, "/batch/open.txt"),
                entry("pid_upload_session:nope", 0, "/batch/x.txt"),
                with_hash,
                entry(&s2, 3, "/batch/again.txt"),
                entry(&conflicted, 9, "/batch/taken.txt"),
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let e = v["entries"].as_array().unwrap();
    assert_eq!(e.len(), 7);
    // `success` carries FileMetadata's fields next to the tag.
    assert_eq!(e[0][".tag"], "success");
    assert_eq!(e[0]["path_display"], "/batch/one.bin");
    assert_eq!(e[0]["size"], 10);
    assert_eq!(e[0]["content_hash"], content_hash(&one));
    assert_eq!(e[1]["name"], "two.txt");
    let failure = |f: Value| json!({".tag": "failure", "failure": f});
    assert_eq!(
        e[2],
        failure(json!({".tag": "lookup_failed", "lookup_failed": {".tag": "not_closed"}}))
    );
    assert_eq!(
        e[3],
        failure(json!({".tag": "lookup_failed", "lookup_failed": {".tag": "not_found"}}))
    );
    assert_eq!(e[4], failure(json!({".tag": "content_hash_mismatch"})));
    // s2 was committed by entry 1, so it is gone for entry 5.
    assert_eq!(e[5]["failure"]["lookup_failed"][".tag"], "not_found");
    assert_eq!(
        e[6],
        failure(
            json!({".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": "file"}}})
        )
    );
    let result: UploadSessionFinishBatchResult = sdk(&v);
    assert!(matches!(
        &result.entries[2],
        UploadSessionFinishBatchResultEntry::Failure(UploadSessionFinishError::LookupFailed(
            UploadSessionLookupError::NotClosed
        ))
    ));
    assert_eq!(
        t.sb.file_content(&t.account.account_id, "/batch/one.bin")
            .await
            .unwrap(),
        one
    );
    // Failed entries keep their sessions: the hashed one commits with the right hash.
    let mut right = entry(&hashed, 6, "/batch/hashed.txt");
    right["content_hash"] = json!(content_hash(b"hashed"));
    let wrong_offset = entry(&conflicted, 2, "/batch/elsewhere.txt");
    let again = t
        .ok(
            "files/upload_session/finish_batch_v2",
            json!({"entries": [right, wrong_offset]}),
        )
        .await;
    assert_eq!(again["entries"][0]["name"], "hashed.txt");
    assert_eq!(
        again["entries"][1]["failure"]["lookup_failed"],
        json!({".tag": "incorrect_offset", "correct_offset": 9})
    );
}

#[tokio::test]
async fn finish_batch_runs_as_a_job_polled_by_finish_batch_check() {
    let t = TestSandbox::start().await;
    let ids = [
        start(&t, b"first", true).await,
        start(&t, b"second", true).await,
    ];
    let sdk_entry = |id: &str, offset: u64, path: &str| {
        UploadSessionFinishArg::new(
            UploadSessionCursor::new(id.to_string(), offset),
            CommitInfo::new(path.to_string()),
        )
    };
    let arg = UploadSessionFinishBatchArg::new(vec![
        sdk_entry(&ids[0], 5, "/async/1.txt"),
        sdk_entry(&ids[1], 6, "/async/2.txt").with_content_hash(content_hash(b"second")),
    ]);
    let launched = t
        .ok("files/upload_session/finish_batch", sdk_arg(&arg))
        .await;
    let UploadSessionFinishBatchLaunch::AsyncJobId(job) = sdk(&launched) else {
        panic!("{launched}")
    };
    let mut status = Value::Null;
    for _ in 0..200 {
        status = t
            .ok(
                "files/upload_session/finish_batch/check",
                json!({"async_job_id": job}),
            )
            .await;
        if status[".tag"] != "in_progress" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status[".tag"], "complete", "{status}");
    assert_eq!(status["entries"][1]["path_display"], "/async/2.txt");
    let UploadSessionFinishBatchJobStatus::Complete(done) = sdk(&status) else {
        panic!("{status}")
    };
    assert_eq!(done.entries.len(), 2);
    // There is no `finish_batch/check_v2` on Dropbox.
    let v2 = t
        .rpc(
            "files/upload_session/finish_batch/check_v2",
            json!({"async_job_id": job}),
        )
        .await;
    assert_eq!(v2.status, StatusCode::NOT_FOUND);
}

/// Starts a concurrent session (no data); returns its id.
async fn start_concurrent(t: &TestSandbox) -> String {
    let r = t
        .upload_call(
            "files/upload_session/start",
            &json!({"session_type": "concurrent"}),
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["session_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_concurrent_session_takes_pieces_in_any_order_and_in_parallel() {
    let t = TestSandbox::start().await;
    let whole = data(2 * MIB4 + 10, 7);
    let id = start_concurrent(&t).await;
    // The closing piece first, then both full pieces at once.
    let last = append(&t, &id, 2 * MIB4, &whole[2 * MIB4..], true).await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.text);
    let (a, b) = tokio::join!(
        append(&t, &id, MIB4, &whole[MIB4..2 * MIB4], false),
        append(&t, &id, 0, &whole[..MIB4], false),
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        a.text,
        b.text
    );
    let finish = t
        .upload_call(
            "files/upload_session/finish",
            &json!({"cursor": {"session_id": id, "offset": whole.len()}, "commit": {"path": "/concurrent.bin"}}),
            Vec::new(),
        )
        .await;
    assert_eq!(finish.status, StatusCode::OK, "{}", finish.text);
    let meta = finish.json();
    assert_eq!(meta["size"], whole.len());
    assert_eq!(meta["content_hash"], content_hash(&whole));
    let content =
        t.sb.file_content(&t.account.account_id, "/concurrent.bin")
            .await
            .unwrap();
    assert!(content == whole, "content differs");
}

#[tokio::test]
async fn concurrent_sessions_refuse_what_dropbox_refuses() {
    let t = TestSandbox::start().await;
    let start_with = |arg: Value, body: &'static [u8]| {
        let t = &t;
        async move {
            t.upload_call("files/upload_session/start", &arg, body.to_vec())
                .await
        }
    };
    assert_route_error(
        &start_with(json!({"session_type": "concurrent"}), b"data").await,
        "concurrent_session_data_not_allowed",
    );
    assert_route_error(
        &start_with(
            json!({"session_type": {".tag": "concurrent"}, "close": true}),
            b"",
        )
        .await,
        "concurrent_session_close_not_allowed",
    );
    let bad_type = start_with(json!({"session_type": "parallel"}), b"").await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);

    let id = start_concurrent(&t).await;
    assert_route_error(
        &append(&t, &id, 1000, b"x", false).await,
        "concurrent_session_invalid_offset",
    );
    assert_route_error(
        &append(&t, &id, 0, b"short", false).await,
        "concurrent_session_invalid_data_size",
    );
    // Past the largest file a session can make (2^41 - 2^22 bytes).
    assert_route_error(&append(&t, &id, 1 << 42, b"x", true).await, "too_large");
    let finish = |offset: usize, body: &'static [u8]| {
        let (t, id) = (&t, &id);
        async move {
            let arg = json!({"cursor": {"session_id": id, "offset": offset}, "commit": {"path": "/c.bin"}});
            t.upload_call("files/upload_session/finish", &arg, body.to_vec())
                .await
        }
    };
    assert_route_error(&finish(0, b"").await, "concurrent_session_not_closed");
    let piece = data(MIB4, 3);
    assert_eq!(
        append(&t, &id, MIB4, &piece[..5], true).await.status,
        StatusCode::OK
    );
    assert_route_error(
        &finish(MIB4 + 5, b"").await,
        "concurrent_session_missing_data",
    );
    assert_route_error(
        &append(&t, &id, 2 * MIB4, b"after the end", false).await,
        "closed",
    );
    assert_eq!(
        append(&t, &id, 0, &piece, false).await.status,
        StatusCode::OK
    );
    assert_route_error(
        &finish(MIB4 + 5, b"more").await,
        "concurrent_session_data_not_allowed",
    );
    let wrong = finish(3, b"").await;
    assert_eq!(
        wrong.json()["error"],
        json!({".tag": "lookup_failed", "lookup_failed": {".tag": "incorrect_offset", "correct_offset": MIB4 + 5}})
    );
    let done = finish(MIB4 + 5, b"").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let mut expected = piece.clone();
    expected.extend_from_slice(&piece[..5]);
    assert_eq!(done.json()["content_hash"], content_hash(&expected));
}

#[tokio::test]
async fn upload_sessions_resume_after_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = || SandboxConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::for_tests()
    };
    let whole = data(MIB4 + MIB4 / 2 + 3, 9);
    let (sequential, concurrent, token) = {
        let first = TestSandbox::start_with(config()).await;
        // Past a block boundary, so the restored hash needs the saved digests and the partial block.
        let s = start(&first, &whole[..MIB4 + 1000], false).await;
        let c = start_concurrent(&first).await;
        assert_eq!(
            append(&first, &c, 0, &whole[..MIB4], false).await.status,
            StatusCode::OK
        );
        let token = first.token.clone();
        first.sb.shutdown().await;
        (s, c, token)
    };
    let mut second = TestSandbox::start_with(config()).await;
    second.token = token;
    let r = append(
        &second,
        &sequential,
        MIB4 + 1000,
        &whole[MIB4 + 1000..],
        false,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let finish = second
        .upload_call(
            "files/upload_session/finish",
            &json!({"cursor": {"session_id": sequential, "offset": whole.len()}, "commit": {"path": "/resumed.bin"}}),
            Vec::new(),
        )
        .await;
    assert_eq!(finish.status, StatusCode::OK, "{}", finish.text);
    assert_eq!(finish.json()["content_hash"], content_hash(&whole));

    let r = append(&second, &concurrent, MIB4, &whole[MIB4..], true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let done = second
        .rpc(
            "files/upload_session/finish_batch_v2",
            json!({"entries": [entry(&concurrent, whole.len(), "/resumed-concurrent.bin")]}),
        )
        .await;
    assert_eq!(
        done.json()["entries"][0]["content_hash"],
        content_hash(&whole)
    );
    let content = second
        .sb
        .file_content(&second.account.account_id, "/resumed-concurrent.bin")
        .await
        .unwrap();
    assert!(content == whole);
}

#[tokio::test]
async fn a_session_older_than_a_week_is_not_found_and_swept() {
    let t = TestSandbox::start().await;
    let id = start(&t, b"old", false).await;
    let week = 7 * 24 * 3600 * 1000;
    t.sb.update(|s| {
        if let Some(sess) = s.sessions.get_mut(&id) {
            sess.created_ms -= week;
        }
    });
    assert_route_error(&append(&t, &id, 3, b"more", false).await, "not_found");
    start(&t, b"new", false).await;
    assert!(
        !t.sb.read().sessions.contains_key(&id),
        "swept at the next start"
    );
}
