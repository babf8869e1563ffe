//! Scopes: tokens carry what their grant allows; a route needing another scope answers Dropbox's
//! `401 missing_scope`; the authorize page shows the scopes asked for; refresh can narrow them; the control
//! API issues tokens with chosen scopes; tokens issued without naming scopes have every scope of the app.

mod common;

use common::*;
use dropbox_sandbox::{AppSpec, SandboxConfig, TokenSpec};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn scoped(t: &TestSandbox, scopes: &[&str]) -> String {
    t.sb.issue_token(TokenSpec {
        app_key: APP_KEY.into(),
        ..TokenSpec::new(&t.account.account_id).with_scopes(scopes.iter().copied())
    })
    .unwrap()
    .access_token
}

fn missing(scope: &str) -> Value {
    json!({"error_summary": "missing_scope/..", "error": {".tag": "missing_scope", "required_scope": scope}})
}

#[tokio::test]
async fn a_token_without_the_routes_scope_gets_401_missing_scope_on_every_host() {
    let t = TestSandbox::start().await;
    t.put("/a.txt", b"a").await;
    let read_only = scoped(&t, &["files.metadata.read"]);
    let meta = t
        .rpc_as(&read_only, "files/get_metadata", json!({"path": "/a.txt"}))
        .await;
    assert_eq!(meta.status, StatusCode::OK, "{}", meta.text);

    let folder = t
        .rpc_as(&read_only, "files/create_folder_v2", json!({"path": "/x"}))
        .await;
    assert_eq!(folder.status, StatusCode::UNAUTHORIZED);
    assert_eq!(folder.json(), missing("files.content.write"));

    // The content host reports a missing scope as such (only expiry becomes `other` there).
    let upload = t.upload_as(&read_only, "/b.txt", b"b").await;
    assert_eq!(upload.status, StatusCode::UNAUTHORIZED);
    assert_eq!(upload.json(), missing("files.content.write"));
    let download = t.download_as(&read_only, json!({"path": "/a.txt"})).await;
    assert_eq!(download.json(), missing("files.content.read"));

    let me = t
        .rpc_as(&read_only, "users/get_current_account", Value::Null)
        .await;
    assert_eq!(me.json(), missing("account_info.read"));
    let links = t
        .rpc_as(&read_only, "sharing/list_shared_links", json!({}))
        .await;
    assert_eq!(links.json(), missing("sharing.read"));
    // Revoking needs no scope.
    let revoked = t.rpc_as(&read_only, "auth/token/revoke", Value::Null).await;
    assert_eq!(revoked.status, StatusCode::OK);
}

#[tokio::test]
async fn the_scope_is_checked_before_the_argument() {
    let t = TestSandbox::start().await;
    let token = scoped(&t, &["account_info.read"]);
    let r = t
        .http
        .post(t.url("/2/files/list_folder"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        missing("files.metadata.read")
    );
}

#[tokio::test]
async fn tokens_issued_without_scopes_have_every_scope_of_the_app() {
    let t = TestSandbox::start().await;
    let issued =
        t.sb.issue_token(TokenSpec {
            app_key: APP_KEY.into(),
            ..TokenSpec::new(&t.account.account_id)
        })
        .unwrap();
    assert_eq!(issued.scope, dropbox_sandbox::scopes::all().join(" "));
    for (route, arg) in [
        ("files/create_folder_v2", json!({"path": "/ok"})),
        ("sharing/list_shared_links", json!({})),
        ("users/get_space_usage", Value::Null),
    ] {
        let r = t.rpc_as(&issued.access_token, route, arg).await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.text);
    }
}

#[tokio::test]
async fn an_app_registered_with_fewer_scopes_grants_only_those() {
    let t = TestSandbox::start_with(SandboxConfig::for_tests().with_app(
        AppSpec::new("narrow", "secret").scopes(["files.metadata.read", "account_info.read"]),
    ))
    .await;
    let issued =
        t.sb.issue_token(TokenSpec {
            app_key: "narrow".into(),
            ..TokenSpec::new(&t.account.account_id)
        })
        .unwrap();
    assert_eq!(issued.scope, "files.metadata.read account_info.read");
    let err =
        t.sb.issue_token(TokenSpec {
            app_key: "narrow".into(),
            ..TokenSpec::new(&t.account.account_id).with_scopes(["files.content.write"])
        })
        .unwrap_err();
    assert!(err.0.contains("files.content.write"), "{err}");
    let r = t
        .rpc_as(
            &issued.access_token,
            "files/create_folder_v2",
            json!({"path": "/x"}),
        )
        .await;
    assert_eq!(r.json(), missing("files.content.write"));
}

#[tokio::test]
async fn the_control_api_issues_tokens_with_chosen_scopes() {
    let t = TestSandbox::start().await;
    let issue = |scopes: Value| {
        t.http
            .post(t.url("/__sandbox/tokens"))
            .json(
                &json!({"account_id": t.account.account_id, "app_key": APP_KEY, "scopes": scopes}),
            )
            .send()
    };
    let resp = issue(json!(["files.content.read", "files.metadata.read"]))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["scope"], "files.content.read files.metadata.read");
    let token = body["access_token"].as_str().unwrap();
    let r = t
        .rpc_as(token, "files/delete_v2", json!({"path": "/nothing"}))
        .await;
    assert_eq!(r.json(), missing("files.content.write"));
    let refused = issue(json!(["no.such.scope"])).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

async fn authorize_page(t: &TestSandbox, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let mut q = vec![
        ("client_id", APP_KEY),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
    ];
    q.extend_from_slice(extra);
    let resp = t
        .http
        .get(t.url("/oauth2/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_authorize_page_shows_the_scopes_asked_for() {
    let t = TestSandbox::start().await;
    let (status, html) = authorize_page(&t, &[("scope", "files.content.read sharing.write")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"data-scope="files.content.read""#),
        "{html}"
    );
    assert!(html.contains("View content of your Dropbox files and folders"));
    assert!(html.contains(r#"data-scope="sharing.write""#));
    assert!(!html.contains(r#"data-scope="files.content.write""#));
    assert!(html.contains(r#"name="scope" value="files.content.read sharing.write""#));

    let (_, all) = authorize_page(&t, &[]).await;
    for scope in dropbox_sandbox::scopes::all() {
        assert!(all.contains(&format!("data-scope=\"{scope}\"")), "{scope}");
    }

    let (status, html) = authorize_page(&t, &[("scope", "files.content.read bogus.scope")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("bogus.scope"));
}

/// Runs the code flow for `account_id` asking for `extra` parameters; returns the token response.
async fn code_flow(t: &TestSandbox, account_id: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("client_id", APP_KEY),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("token_access_type", "offline"),
        ("account_id", account_id),
        ("decision", "allow"),
    ];
    form.extend_from_slice(extra);
    let resp = t
        .http
        .post(t.url("/oauth2/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|c| c.split('&').next())
        .unwrap()
        .to_string();
    let resp = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(APP_KEY, Some(APP_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn refresh(t: &TestSandbox, refresh_token: &str, scope: Option<&str>) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let resp = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(APP_KEY, Some(APP_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_flow_grants_the_scopes_asked_for_and_a_refresh_can_narrow_them() {
    let t = TestSandbox::start().await;
    let me = t.account.account_id.clone();
    let tokens = code_flow(
        &t,
        &me,
        &[("scope", "files.metadata.read files.content.read")],
    )
    .await;
    assert_eq!(tokens["scope"], "files.metadata.read files.content.read");
    let access = tokens["access_token"].as_str().unwrap();
    let r = t
        .rpc_as(access, "files/create_folder_v2", json!({"path": "/x"}))
        .await;
    assert_eq!(r.json(), missing("files.content.write"));

    let rt = tokens["refresh_token"].as_str().unwrap();
    let (status, narrowed) = refresh(&t, rt, Some("files.metadata.read")).await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["scope"], "files.metadata.read");
    let r = t
        .download_as(
            narrowed["access_token"].as_str().unwrap(),
            json!({"path": "/none"}),
        )
        .await;
    assert_eq!(r.json(), missing("files.content.read"));

    let (status, plain) = refresh(&t, rt, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain.get("scope").is_none(), "{plain}");

    let (status, wider) = refresh(&t, rt, Some("files.content.write")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(wider["error"], "invalid_scope");
}

#[tokio::test]
async fn include_granted_scopes_adds_what_the_account_allowed_before() {
    let t = TestSandbox::start().await;
    // An account that has not linked the app yet (the test account already holds a full grant).
    let fresh =
        t.sb.create_account(dropbox_sandbox::AccountSpec::new("new@example.com"))
            .account_id;
    code_flow(&t, &fresh, &[("scope", "sharing.read")]).await;
    let tokens = code_flow(
        &t,
        &fresh,
        &[
            ("scope", "files.content.read"),
            ("include_granted_scopes", "user"),
        ],
    )
    .await;
    assert_eq!(tokens["scope"], "files.content.read sharing.read");
}
