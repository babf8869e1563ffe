//! `data_dir`: accounts, tokens, files and cursors survive a restart.

mod common;

use common::*;
use dropbox_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn state_and_contents_survive_a_restart_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = || SandboxConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::for_tests()
    };
    let first = TestSandbox::start_with(config()).await;
    let uploaded = first.put("/Kept/notes.txt", b"persisted").await;
    let cursor = first
        .ok("files/list_folder/get_latest_cursor", json!({"path": ""}))
        .await;
    let (token, account) = (first.token.clone(), first.account.clone());
    first.sb.shutdown().await;

    let second = TestSandbox::start_with(config()).await;
    assert_eq!(
        second.account, account,
        "the same account is loaded, no new default one"
    );
    let meta = second
        .rpc_as(
            &token,
            "files/get_metadata",
            json!({"path": "/kept/NOTES.txt"}),
        )
        .await;
    assert_eq!(meta.status, StatusCode::OK, "{}", meta.text);
    assert_eq!(meta.json()["rev"], uploaded["rev"]);
    let content = second
        .sb
        .file_content(&account.account_id, "/kept/notes.txt")
        .await;
    assert_eq!(content.as_deref(), Some(&b"persisted"[..]));
    second.put("/after-restart.txt", b"x").await;
    let changes = second
        .ok(
            "files/list_folder/continue",
            json!({"cursor": cursor["cursor"]}),
        )
        .await;
    assert_eq!(changes["entries"][0]["name"], "after-restart.txt");
}
