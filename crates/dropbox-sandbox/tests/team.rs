//! Team spaces: a member's home folder is mounted in the team root at `/<Display Name>`. With
//! `Dropbox-API-Path-Root: {".tag": "root", …}` a member sees the team's folders and its own member folder,
//! with paths through the mount and the sharing information of a mounted namespace; without it, its home.

mod common;

use common::*;
use dropbox_sandbox::{AccountInfo, AccountSpec, TokenSpec};
use dropbox_sdk::files::{ListFolderResult, Metadata};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Member {
    info: AccountInfo,
    token: String,
    root: String,
}

fn member(t: &TestSandbox, email: &str, given: &str, surname: &str) -> Member {
    let info = t.sb.create_account(
        AccountSpec::new(email)
            .named(given, surname)
            .team_member("Acme"),
    );
    let token =
        t.sb.issue_token(TokenSpec::new(&info.account_id))
            .unwrap()
            .access_token;
    let root = json!({".tag": "root", "root": info.root_namespace_id}).to_string();
    Member { info, token, root }
}

/// An RPC call as `m` in the team space (`in_root`) or in its home.
async fn call(t: &TestSandbox, m: &Member, in_root: bool, route: &str, arg: Value) -> Reply {
    let mut req = t
        .http
        .post(t.url(&format!("/2/{route}")))
        .bearer_auth(&m.token)
        .header("Content-Type", "application/json")
        .body(arg.to_string());
    if in_root {
        req = req.header("Dropbox-API-Path-Root", &m.root);
    }
    let resp = req.send().await.unwrap();
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

async fn ok(t: &TestSandbox, m: &Member, in_root: bool, route: &str, arg: Value) -> Value {
    let r = call(t, m, in_root, route, arg).await;
    assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.text);
    r.json()
}

#[tokio::test]
async fn the_team_root_shows_the_member_folder_as_a_mounted_namespace() {
    let t = TestSandbox::start().await;
    let ann = member(&t, "ann@acme.test", "Ann", "Lee");
    t.sb.seed_file(&ann.info.account_id, "/Plans/q3.txt", b"q3")
        .await
        .unwrap();
    ok(
        &t,
        &ann,
        true,
        "files/create_folder_v2",
        json!({"path": "/Team Folder"}),
    )
    .await;

    let me = ok(&t, &ann, false, "users/get_current_account", Value::Null).await;
    assert_eq!(me["root_info"]["home_path"], "/Ann Lee");

    let root = ok(&t, &ann, true, "files/list_folder", json!({"path": ""})).await;
    assert_eq!(listed_paths(&root), vec!["/Ann Lee", "/Team Folder"]);
    let mount = &root["entries"][0];
    assert_eq!(mount[".tag"], "folder");
    assert_eq!(mount["path_lower"], "/ann lee");
    assert_eq!(mount["shared_folder_id"], ann.info.home_namespace_id);
    assert_eq!(
        mount["sharing_info"],
        json!({"read_only": false, "shared_folder_id": ann.info.home_namespace_id,
               "traverse_only": false, "no_access": false})
    );
    let parsed: ListFolderResult = sdk(&root);
    let home_ns = Some(ann.info.home_namespace_id.as_str());
    assert!(matches!(
        &parsed.entries[0],
        Metadata::Folder(f) if f.sharing_info.as_ref().and_then(|s| s.shared_folder_id.as_deref()) == home_ns
    ));

    let everything = ok(
        &t,
        &ann,
        true,
        "files/list_folder",
        json!({"path": "", "recursive": true}),
    )
    .await;
    assert_eq!(
        listed_paths(&everything),
        vec![
            "/Ann Lee",
            "/Ann Lee/Plans",
            "/Ann Lee/Plans/q3.txt",
            "/Team Folder"
        ]
    );
    let file = &everything["entries"][2];
    assert_eq!(file["path_lower"], "/ann lee/plans/q3.txt");
    assert_eq!(file["parent_shared_folder_id"], ann.info.home_namespace_id);
    assert_eq!(
        file["sharing_info"],
        json!({"read_only": false, "parent_shared_folder_id": ann.info.home_namespace_id})
    );
    let _: ListFolderResult = sdk(&everything);

    // The same file from the home root: no mount in front, no sharing information.
    let home = ok(
        &t,
        &ann,
        false,
        "files/get_metadata",
        json!({"path": "/plans/Q3.txt"}),
    )
    .await;
    assert_eq!(home["path_display"], "/Plans/q3.txt");
    assert!(home.get("sharing_info").is_none());
    assert_eq!(home["id"], file["id"]);
    // And by id from the team root: through the mount.
    let by_id = ok(
        &t,
        &ann,
        true,
        "files/get_metadata",
        json!({"path": home["id"]}),
    )
    .await;
    assert_eq!(by_id["path_display"], "/Ann Lee/Plans/q3.txt");
    let point = ok(
        &t,
        &ann,
        true,
        "files/get_metadata",
        json!({"path": "/ann lee"}),
    )
    .await;
    assert_eq!(point["shared_folder_id"], ann.info.home_namespace_id);
    let inside = ok(
        &t,
        &ann,
        true,
        "files/list_folder",
        json!({"path": "/Ann Lee/Plans"}),
    )
    .await;
    assert_eq!(listed_paths(&inside), vec!["/Ann Lee/Plans/q3.txt"]);
}

#[tokio::test]
async fn writes_through_the_mount_land_in_the_home_namespace() {
    let t = TestSandbox::start().await;
    let ann = member(&t, "ann@acme.test", "Ann", "Lee");
    let r = t
        .post_raw_as(
            &ann.token,
            "files/upload",
            &[
                ("Dropbox-API-Path-Root", &ann.root),
                ("Dropbox-API-Arg", r#"{"path": "/Ann Lee/Inbox/new.txt"}"#),
                ("Content-Type", "application/octet-stream"),
            ],
            "new",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let up = r.json();
    assert_eq!(up["path_display"], "/Ann Lee/Inbox/new.txt");
    assert_eq!(
        t.sb.file_content(&ann.info.account_id, "/Inbox/new.txt")
            .await
            .as_deref(),
        Some(&b"new"[..])
    );
    // Across the mount: from the member folder into a team folder and back.
    let moved = ok(
        &t,
        &ann,
        true,
        "files/move_v2",
        json!({"from_path": "/Ann Lee/Inbox/new.txt", "to_path": "/Shared/new.txt"}),
    )
    .await;
    assert_eq!(moved["metadata"]["path_display"], "/Shared/new.txt");
    assert_eq!(moved["metadata"]["id"], up["id"]);
    assert!(moved["metadata"].get("sharing_info").is_none());
    assert!(
        t.sb.file_content(&ann.info.account_id, "/Inbox/new.txt")
            .await
            .is_none()
    );
    let back = ok(
        &t,
        &ann,
        true,
        "files/copy_v2",
        json!({"from_path": "/Shared/new.txt", "to_path": "/Ann Lee/copy.txt"}),
    )
    .await;
    assert_eq!(back["metadata"]["path_display"], "/Ann Lee/copy.txt");
    assert_eq!(
        t.sb.file_content(&ann.info.account_id, "/copy.txt")
            .await
            .as_deref(),
        Some(&b"new"[..])
    );
    // The mount point itself is no place to write, move or delete.
    assert_route_error(
        &call(
            &t,
            &ann,
            true,
            "files/create_folder_v2",
            json!({"path": "/Ann Lee"}),
        )
        .await,
        "path/conflict/folder",
    );
    assert_route_error(
        &call(
            &t,
            &ann,
            true,
            "files/delete_v2",
            json!({"path": "/Ann Lee"}),
        )
        .await,
        "path_write/team_folder",
    );
    assert_route_error(
        &call(
            &t,
            &ann,
            true,
            "files/move_v2",
            json!({"from_path": "/Ann Lee", "to_path": "/Elsewhere"}),
        )
        .await,
        "from_write/team_folder",
    );
}

#[tokio::test]
async fn teammates_see_only_their_own_member_folder() {
    let t = TestSandbox::start().await;
    let ann = member(&t, "ann@acme.test", "Ann", "Lee");
    let ben = member(&t, "ben@acme.test", "Ben", "Ng");
    t.sb.seed_file(&ann.info.account_id, "/private.txt", b"mine")
        .await
        .unwrap();
    let ben_root = ok(
        &t,
        &ben,
        true,
        "files/list_folder",
        json!({"path": "", "recursive": true}),
    )
    .await;
    assert_eq!(listed_paths(&ben_root), vec!["/Ben Ng"]);
    assert_route_error(
        &call(
            &t,
            &ben,
            true,
            "files/get_metadata",
            json!({"path": "/Ann Lee/private.txt"}),
        )
        .await,
        "path/not_found",
    );
    // Same display names get distinct member folders.
    let twin = member(&t, "ann2@acme.test", "Ann", "Lee");
    let me = ok(&t, &twin, false, "users/get_current_account", Value::Null).await;
    assert_eq!(me["root_info"]["home_path"], "/Ann Lee (1)");
}

#[tokio::test]
async fn team_root_cursors_and_search_see_the_member_folder() {
    let t = TestSandbox::start().await;
    let ann = member(&t, "ann@acme.test", "Ann", "Lee");
    let cursor = ok(
        &t,
        &ann,
        true,
        "files/list_folder/get_latest_cursor",
        json!({"path": "", "recursive": true}),
    )
    .await;
    // A change in the home namespace, made from the home root.
    t.sb.seed_file(&ann.info.account_id, "/Budget 2026.xlsx", b"b")
        .await
        .unwrap();
    let poll = t
        .http
        .post(t.url("/2/files/list_folder/longpoll"))
        .json(&json!({"cursor": cursor["cursor"], "timeout": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.json::<Value>().await.unwrap()["changes"], true);
    let changes = ok(
        &t,
        &ann,
        true,
        "files/list_folder/continue",
        json!({"cursor": cursor["cursor"]}),
    )
    .await;
    assert_eq!(listed_paths(&changes), vec!["/Ann Lee/Budget 2026.xlsx"]);
    let found = ok(
        &t,
        &ann,
        true,
        "files/search_v2",
        json!({"query": "budget"}),
    )
    .await;
    assert_eq!(
        found["matches"][0]["metadata"]["metadata"]["path_display"],
        "/Ann Lee/Budget 2026.xlsx"
    );
}
