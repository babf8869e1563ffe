//! `delete_batch`, `copy_batch_v2`, `move_batch_v2` and their `check` routes: the launch answer, the job
//! states, per-entry `success` / `failure` with the single route's error union, and what may poll a job.

mod common;

use common::*;
use dropbox_sandbox::SandboxConfig;
use dropbox_sdk::files::{
    DeleteArg, DeleteBatchArg, DeleteBatchJobStatus, DeleteBatchLaunch, DeleteBatchResultEntry,
    DeleteError, LookupError, Metadata, MoveBatchArg, RelocationBatchErrorEntry,
    RelocationBatchResultEntry, RelocationBatchV2JobStatus, RelocationBatchV2Launch,
    RelocationError, RelocationPath, WriteConflictError, WriteError,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Launches `route` and returns the job id, checking the launch answer's exact shape.
async fn launch(t: &TestSandbox, route: &str, arg: Value) -> String {
    let v = t.ok(route, arg).await;
    assert_eq!(v[".tag"], "async_job_id", "{v}");
    let id = v["async_job_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("dbjid:"), "{id}");
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    id
}

/// Polls `check` until the job is no longer in progress.
async fn wait(t: &TestSandbox, check: &str, id: &str) -> Value {
    for _ in 0..200 {
        let v = t.ok(check, json!({"async_job_id": id})).await;
        if v[".tag"] != "in_progress" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} never finished");
}

#[tokio::test]
async fn delete_batch_reports_each_entry_like_delete_v2() {
    let t = TestSandbox::start().await;
    let a = t.put("/a.txt", b"a").await;
    t.put("/dir/b.txt", b"b").await;
    let id = launch(
        &t,
        "files/delete_batch",
        json!({"entries": [
            {"path": "/A.txt"},
            {"path": "/dir"},
            {"path": "/missing"},
            {"path": "/bad//path"},
        ]}),
    )
    .await;
    let v = t.ok("files/delete_batch", json!({"entries": []})).await;
    let _: DeleteBatchLaunch = sdk(&v);
    let done = wait(&t, "files/delete_batch/check", &id).await;
    assert_eq!(done[".tag"], "complete");
    let entries = done["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0][".tag"], "success");
    assert_eq!(entries[0]["metadata"][".tag"], "file");
    assert_eq!(entries[0]["metadata"]["id"], a["id"]);
    assert_eq!(entries[1]["metadata"][".tag"], "folder");
    assert_eq!(
        entries[2],
        json!({".tag": "failure", "failure": {".tag": "path_lookup", "path_lookup": {".tag": "not_found"}}})
    );
    assert_eq!(
        entries[3]["failure"]["path_lookup"][".tag"],
        "malformed_path"
    );
    let DeleteBatchJobStatus::Complete(result) = sdk(&done) else {
        panic!("not complete: {done}")
    };
    assert!(matches!(
        &result.entries[2],
        DeleteBatchResultEntry::Failure(DeleteError::PathLookup(LookupError::NotFound))
    ));
    assert_route_error(
        &t.rpc("files/get_metadata", json!({"path": "/dir/b.txt"}))
            .await,
        "path/not_found",
    );
}

#[tokio::test]
async fn delete_batch_checks_parent_rev() {
    let t = TestSandbox::start().await;
    let f = t.put("/kept.txt", b"1").await;
    t.put("/dir/x.txt", b"x").await;
    let id = launch(
        &t,
        "files/delete_batch",
        json!({"entries": [
            {"path": "/kept.txt", "parent_rev": "0123456789abcdef"},
            {"path": "/dir", "parent_rev": f["rev"]},
        ]}),
    )
    .await;
    let done = wait(&t, "files/delete_batch/check", &id).await;
    assert_eq!(
        done["entries"][0]["failure"],
        json!({".tag": "path_write", "path_write": {".tag": "conflict", "conflict": {".tag": "file"}}})
    );
    assert_eq!(
        done["entries"][1]["failure"]["path_lookup"][".tag"],
        "not_file"
    );
    let rev = f["rev"].as_str().unwrap().to_string();
    let arg = DeleteBatchArg::new(vec![
        DeleteArg::new("/kept.txt".into()).with_parent_rev(rev),
    ]);
    let ok = launch(&t, "files/delete_batch", sdk_arg(&arg)).await;
    let done = wait(&t, "files/delete_batch/check", &ok).await;
    assert_eq!(done["entries"][0][".tag"], "success");
}

#[tokio::test]
async fn a_job_stays_in_progress_until_it_ran() {
    let t = TestSandbox::start_with(SandboxConfig {
        async_job_delay: Duration::from_millis(400),
        ..SandboxConfig::for_tests()
    })
    .await;
    t.put("/slow.txt", b"s").await;
    let id = launch(
        &t,
        "files/delete_batch",
        json!({"entries": [{"path": "/slow.txt"}]}),
    )
    .await;
    let now = t
        .ok("files/delete_batch/check", json!({"async_job_id": id}))
        .await;
    assert_eq!(now, json!({".tag": "in_progress"}));
    assert!(matches!(
        sdk::<DeleteBatchJobStatus>(&now),
        DeleteBatchJobStatus::InProgress
    ));
    let still_there = t
        .rpc("files/get_metadata", json!({"path": "/slow.txt"}))
        .await;
    assert_eq!(still_there.status, StatusCode::OK);
    let done = wait(&t, "files/delete_batch/check", &id).await;
    assert_eq!(done["entries"][0][".tag"], "success");
}

#[tokio::test]
async fn only_the_launching_account_polls_a_job_and_only_through_its_check() {
    let t = TestSandbox::start().await;
    let id = launch(&t, "files/delete_batch", json!({"entries": []})).await;
    let invalid = json!({"error_summary": "invalid_async_job_id/..", "error": {".tag": "invalid_async_job_id"}});
    let other_check = t
        .rpc("files/copy_batch/check_v2", json!({"async_job_id": id}))
        .await;
    assert_eq!(other_check.status, StatusCode::CONFLICT);
    assert_eq!(other_check.json(), invalid);
    let unknown = t
        .rpc(
            "files/move_batch/check_v2",
            json!({"async_job_id": "dbjid:nope"}),
        )
        .await;
    assert_eq!(unknown.json(), invalid);
    let _: dropbox_sdk::dbx_async::PollError = sdk_error(&unknown);
    let stranger =
        t.sb.create_account(dropbox_sandbox::AccountSpec::new("x@example.com"));
    let token =
        t.sb.issue_token(dropbox_sandbox::TokenSpec::new(&stranger.account_id))
            .unwrap()
            .access_token;
    let theirs = t
        .rpc_as(
            &token,
            "files/delete_batch/check",
            json!({"async_job_id": id}),
        )
        .await;
    assert_eq!(theirs.json(), invalid);
    let empty = t
        .rpc("files/delete_batch/check", json!({"async_job_id": ""}))
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn copy_batch_v2_nests_metadata_and_wraps_relocation_errors() {
    let t = TestSandbox::start().await;
    let a = t.put("/a.txt", b"a").await;
    t.put("/taken.txt", b"t").await;
    let id = launch(
        &t,
        "files/copy_batch_v2",
        json!({"entries": [
            {"from_path": "/a.txt", "to_path": "/copies/a.txt"},
            {"from_path": "/missing.txt", "to_path": "/x.txt"},
            {"from_path": "/a.txt", "to_path": "/taken.txt"},
        ]}),
    )
    .await;
    let done = wait(&t, "files/copy_batch/check_v2", &id).await;
    assert_eq!(done[".tag"], "complete");
    let e = done["entries"].as_array().unwrap();
    assert_eq!(e[0][".tag"], "success");
    assert_eq!(e[0]["success"][".tag"], "file");
    assert_eq!(e[0]["success"]["path_display"], "/copies/a.txt");
    assert_ne!(e[0]["success"]["id"], a["id"]);
    assert_eq!(
        e[1],
        json!({".tag": "failure", "failure": {".tag": "relocation_error", "relocation_error":
            {".tag": "from_lookup", "from_lookup": {".tag": "not_found"}}}})
    );
    assert_eq!(
        e[2]["failure"]["relocation_error"],
        json!({".tag": "to", "to": {".tag": "conflict", "conflict": {".tag": "file"}}})
    );
    // The lookup error inside the batch result is the one get_metadata gives for the same path.
    let lookup = t
        .rpc("files/get_metadata", json!({"path": "/missing.txt"}))
        .await;
    assert_eq!(
        e[1]["failure"]["relocation_error"]["from_lookup"],
        lookup.json()["error"]["path"]
    );
    let RelocationBatchV2JobStatus::Complete(result) = sdk(&done) else {
        panic!("not complete")
    };
    assert!(matches!(
        &result.entries[0],
        RelocationBatchResultEntry::Success(Metadata::File(f)) if f.name == "a.txt"
    ));
    assert!(matches!(
        &result.entries[2],
        RelocationBatchResultEntry::Failure(RelocationBatchErrorEntry::RelocationError(
            RelocationError::To(WriteError::Conflict(WriteConflictError::File))
        ))
    ));
}

#[tokio::test]
async fn move_batch_v2_keeps_ids_and_autorenames() {
    let t = TestSandbox::start().await;
    let a = t.put("/a.txt", b"a").await;
    t.put("/dest/a.txt", b"other").await;
    let arg = MoveBatchArg::new(vec![RelocationPath::new(
        "/a.txt".into(),
        "/dest/a.txt".into(),
    )])
    .with_autorename(true);
    let launched = t.ok("files/move_batch_v2", sdk_arg(&arg)).await;
    let _: RelocationBatchV2Launch = sdk(&launched);
    let id = launched["async_job_id"].as_str().unwrap();
    let done = wait(&t, "files/move_batch/check_v2", id).await;
    let moved = &done["entries"][0]["success"];
    assert_eq!(moved["path_display"], "/dest/a (1).txt");
    assert_eq!(moved["id"], a["id"]);
    assert_route_error(
        &t.rpc("files/get_metadata", json!({"path": "/a.txt"})).await,
        "path/not_found",
    );
}

#[tokio::test]
async fn a_malformed_entry_fails_the_whole_batch_before_anything_runs() {
    let t = TestSandbox::start().await;
    t.put("/a.txt", b"a").await;
    let r = t
        .rpc(
            "files/delete_batch",
            json!({"entries": [{"path": "/a.txt"}, {"path": 7}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("path"), "{}", r.text);
    let still = t.rpc("files/get_metadata", json!({"path": "/a.txt"})).await;
    assert_eq!(still.status, StatusCode::OK);
    let empty = t.rpc("files/copy_batch_v2", json!({"entries": []})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let missing = t.rpc("files/move_batch_v2", json!({})).await;
    assert_eq!(
        missing.text,
        "Error in call to API function \"files/move_batch_v2\": request body: missing required field 'entries'"
    );
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"path": format!("/{i}")}))
        .collect();
    let r = t
        .rpc("files/delete_batch", json!({"entries": too_many}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
