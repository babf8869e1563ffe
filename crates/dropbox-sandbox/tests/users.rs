//! Account routes and `Dropbox-API-Path-Root` for team members.

mod common;

use common::*;
use dropbox_sandbox::{AccountSpec, TokenSpec};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn current_account_has_dropbox_shape() {
    let t = TestSandbox::start().await;
    let me = t.ok("users/get_current_account", Value::Null).await;
    let id = me["account_id"].as_str().unwrap();
    assert_eq!(id.len(), 40);
    assert!(id.starts_with("dbid:"));
    for field in [
        "given_name",
        "surname",
        "familiar_name",
        "display_name",
        "abbreviated_name",
    ] {
        assert!(me["name"][field].is_string(), "name.{field}");
    }
    assert_eq!(me["email"], t.account.email);
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["disabled"], false);
    assert_eq!(me["account_type"][".tag"], "basic");
    assert_eq!(me["root_info"][".tag"], "user");
    assert_eq!(
        me["root_info"]["root_namespace_id"],
        me["root_info"]["home_namespace_id"]
    );
}

async fn team_member(t: &TestSandbox) -> (dropbox_sandbox::AccountInfo, String) {
    let acc = t.sb.create_account(
        AccountSpec::new("ann@team.example")
            .named("Ann", "Lee")
            .team_member("Acme"),
    );
    let tok =
        t.sb.issue_token(TokenSpec::new(&acc.account_id))
            .unwrap()
            .access_token;
    (acc, tok)
}

#[tokio::test]
async fn team_member_has_root_namespace_distinct_from_home() {
    let t = TestSandbox::start().await;
    let (acc, tok) = team_member(&t).await;
    let me = t
        .rpc_as(&tok, "users/get_current_account", Value::Null)
        .await
        .json();
    assert_eq!(me["root_info"][".tag"], "team");
    assert_eq!(me["root_info"]["home_namespace_id"], acc.home_namespace_id);
    assert_eq!(me["root_info"]["root_namespace_id"], acc.root_namespace_id);
    assert_ne!(acc.home_namespace_id, acc.root_namespace_id);
    assert_eq!(me["root_info"]["home_path"], "/Ann Lee");
    assert_eq!(me["account_type"][".tag"], "business");
}

#[tokio::test]
async fn path_root_header_selects_the_team_space() {
    let t = TestSandbox::start().await;
    let (acc, tok) = team_member(&t).await;
    let root = json!({".tag": "root", "root": acc.root_namespace_id}).to_string();
    let in_team_space = |route: &'static str, arg: &'static str| {
        let headers = [
            ("Dropbox-API-Path-Root", root.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (t, tok) = (&t, &tok);
        async move { t.post_raw_as(tok, route, &headers, arg).await }
    };
    let created = in_team_space("files/create_folder_v2", r#"{"path": "/Team Folder"}"#).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let home = t
        .rpc_as(&tok, "files/list_folder", json!({"path": ""}))
        .await
        .json();
    assert!(
        home["entries"].as_array().unwrap().is_empty(),
        "home is untouched"
    );
    let listing = in_team_space("files/list_folder", r#"{"path": ""}"#)
        .await
        .json();
    let names: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Ann Lee", "Team Folder"],
        "the team space shows the member folder (see tests/team.rs)"
    );
}

#[tokio::test]
async fn wrong_path_root_is_422_invalid_root_with_root_info() {
    let t = TestSandbox::start().await;
    let r = t
        .post_raw(
            "files/list_folder",
            &[
                ("Dropbox-API-Path-Root", r#"{".tag": "root", "root": "1"}"#),
                ("Content-Type", "application/json"),
            ],
            r#"{"path": ""}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.json();
    assert_eq!(body["error"][".tag"], "invalid_root");
    assert_eq!(
        body["error"]["invalid_root"]["root_namespace_id"],
        t.account.root_namespace_id
    );
}

#[tokio::test]
async fn space_usage_counts_uploaded_bytes() {
    let t = TestSandbox::start().await;
    t.put("/a.bin", &[0u8; 1234]).await;
    let usage = t.ok("users/get_space_usage", Value::Null).await;
    assert_eq!(usage["used"], 1234);
    assert_eq!(usage["allocation"][".tag"], "individual");
    assert!(usage["allocation"]["allocated"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn check_user_echoes_the_query() {
    let t = TestSandbox::start().await;
    assert_eq!(
        t.ok("check/user", json!({"query": "ping"})).await,
        json!({"result": "ping"})
    );
}

#[tokio::test]
async fn check_app_takes_basic_app_credentials() {
    let t = TestSandbox::start().await;
    let call = |secret: &'static str| {
        t.http
            .post(t.url("/2/check/app"))
            .basic_auth(APP_KEY, Some(secret))
            .json(&json!({"query": "pong"}))
            .send()
    };
    let ok = call(APP_SECRET).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.unwrap(), json!({"result": "pong"}));
    assert_eq!(
        call("wrong").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
