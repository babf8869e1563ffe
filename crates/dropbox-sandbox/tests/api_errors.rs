//! Authentication failures, malformed requests and scripted faults, as Dropbox answers them.

mod common;

use common::*;
use dropbox_sandbox::{FaultKind, FaultSpec, TokenSpec, token_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn missing_authorization_is_a_plain_text_400_naming_the_route() {
    let t = TestSandbox::start().await;
    let resp = t
        .http
        .post(t.url("/2/users/get_current_account"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    assert_eq!(
        text,
        "Error in call to API function \"users/get_current_account\": Must provide HTTP header \"Authorization\" or URL parameter \"authorization\"."
    );
}

#[tokio::test]
async fn unknown_token_is_401_invalid_access_token() {
    let t = TestSandbox::start().await;
    let r = t
        .rpc_as("sl.bogus", "users/get_current_account", Value::Null)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json(),
        json!({"error_summary": "invalid_access_token/..", "error": {".tag": "invalid_access_token"}})
    );
}

#[tokio::test]
async fn malformed_token_is_a_plain_text_400() {
    let t = TestSandbox::start().await;
    let r = t
        .rpc_as("not a token!", "users/get_current_account", Value::Null)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text
            .ends_with("The given OAuth 2 access token is malformed."),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn already_expired_token_is_401_expired_access_token() {
    let t = TestSandbox::start().await;
    let expired =
        t.sb.issue_token(TokenSpec {
            expires_in: 0,
            ..TokenSpec::new(&t.account.account_id)
        })
        .unwrap();
    let r = t
        .rpc_as(
            &expired.access_token,
            "files/list_folder",
            json!({"path": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"][".tag"], "expired_access_token");
    assert!(
        r.json()["error_summary"]
            .as_str()
            .unwrap()
            .starts_with("expired_access_token/")
    );
}

#[tokio::test]
async fn expired_token_on_the_content_host_is_401_with_tag_other() {
    let t = TestSandbox::start().await;
    t.sb.expire_token(&t.token);
    let (download, _) = t
        .download("files/download", &json!({"path": "/x"}), None)
        .await;
    let upload = t
        .upload_call("files/upload", &json!({"path": "/x"}), b"x".to_vec())
        .await;
    for r in [download, upload] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"][".tag"], "other");
        assert_eq!(r.json()["error_summary"], "other/..");
    }
    let revoked =
        t.sb.issue_token(TokenSpec::new(&t.account.account_id))
            .unwrap();
    t.sb.revoke_token(&revoked.access_token);
    let r = t
        .download_as(&revoked.access_token, json!({"path": "/x"}))
        .await
        .json();
    assert_eq!(
        r["error"][".tag"], "invalid_access_token",
        "only expiry is reported as other"
    );
}

#[tokio::test]
async fn malformed_json_body_is_a_plain_text_400() {
    let t = TestSandbox::start().await;
    let r = t
        .post_raw(
            "files/list_folder",
            &[("Content-Type", "application/json")],
            "{not json",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.text,
        "Error in call to API function \"files/list_folder\": request body: could not decode input as JSON"
    );
}

#[tokio::test]
async fn wrong_content_type_is_a_400_listing_the_accepted_types() {
    let t = TestSandbox::start().await;
    let r = t
        .post_raw(
            "files/list_folder",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            r#"{"path": ""}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text
            .contains("Bad HTTP \"Content-Type\" header: \"application/x-www-form-urlencoded\""),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn missing_required_field_and_wrong_types_are_400s() {
    let t = TestSandbox::start().await;
    let r = t.rpc("files/get_metadata", json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text.contains("missing required field 'path'"),
        "{}",
        r.text
    );
    let r = t
        .rpc("files/list_folder", json!({"path": "", "limit": 0}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("limit"), "{}", r.text);
    let r = t.rpc("files/list_folder", json!({"path": "/"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t
        .rpc("files/get_metadata", json!({"path": "relative"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("did not match pattern"), "{}", r.text);
}

#[tokio::test]
async fn void_routes_accept_null_and_empty_bodies() {
    let t = TestSandbox::start().await;
    let resp = t
        .http
        .post(t.url("/2/users/get_space_usage"))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let r = t.rpc("users/get_space_usage", Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_route_is_404() {
    let t = TestSandbox::start().await;
    let r = t.rpc("files/no_such_thing", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scripted_429_carries_retry_after_then_the_route_recovers() {
    let t = TestSandbox::start().await;
    t.sb.add_fault(FaultSpec::new(
        "/2/files/list_folder",
        FaultKind::RateLimit { retry_after: 7 },
    ));
    let r = t.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after").as_deref(), Some("7"));
    assert_eq!(r.json()["error"]["reason"][".tag"], "too_many_requests");
    assert_eq!(r.json()["error"]["retry_after"], 7);
    let again = t.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn scripted_5xx_applies_the_given_number_of_times() {
    let t = TestSandbox::start().await;
    let fault = FaultKind::Status {
        status: 503,
        retry_after: Some(2),
    };
    t.sb.add_fault(FaultSpec::new("users/get_current_account", fault).times(2));
    for _ in 0..2 {
        let r = t.rpc("users/get_current_account", Value::Null).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    }
    let r = t.rpc("users/get_current_account", Value::Null).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn scripted_delay_slows_the_answer() {
    let t = TestSandbox::start().await;
    t.sb.add_fault(FaultSpec::new(
        "check/user",
        FaultKind::Delay { millis: 300 },
    ));
    let started = std::time::Instant::now();
    let r = t.rpc("check/user", json!({"query": "x"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn scripted_reset_cuts_a_download_mid_body() {
    let t = TestSandbox::start().await;
    t.put("/big.bin", &vec![1u8; 200_000]).await;
    t.sb.add_fault(FaultSpec::new(
        "files/download",
        FaultKind::ResetMidBody { after_bytes: 1000 },
    ));
    let sent = t
        .http
        .post(t.url("/2/files/download"))
        .bearer_auth(&t.token)
        .header("Dropbox-API-Arg", r#"{"path": "/big.bin"}"#)
        .send()
        .await;
    // Usually the headers arrive and the body breaks; on a loaded machine the cut may come first.
    if let Ok(resp) = sent {
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.bytes().await.is_err(), "body must be cut");
    }
    let again = t
        .download("files/download", &json!({"path": "/big.bin"}), None)
        .await;
    assert_eq!(again.1.len(), 200_000, "only one request is cut");
}

#[tokio::test]
async fn scripted_token_expiry_makes_that_request_fail_with_expired_token() {
    let t = TestSandbox::start().await;
    t.sb.add_fault(FaultSpec::new("files/list_folder", FaultKind::ExpireToken));
    let r = t.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"][".tag"], "expired_access_token");
}

#[tokio::test]
async fn a_scripted_route_error_answers_409_with_that_tag_once() {
    let t = TestSandbox::start().await;
    t.sb.add_fault(FaultSpec::new(
        "files/list_folder",
        FaultKind::RouteError {
            tag: "reset".into(),
        },
    ));
    assert_eq!(t.sb.faults().len(), 1);
    let r = t.rpc("files/list_folder", json!({"path": ""})).await;
    assert_route_error(&r, "reset");
    assert!(t.sb.faults().is_empty(), "used up by its request");
    let again = t.rpc("files/list_folder", json!({"path": ""})).await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn request_log_records_route_status_and_token() {
    let t = TestSandbox::start().await;
    t.rpc("files/get_metadata", json!({"path": "/missing"}))
        .await;
    let log = t.sb.requests();
    let entry = log
        .iter()
        .find(|e| e.route == "files/get_metadata")
        .expect("logged");
    assert_eq!(entry.status, 409);
    assert_eq!(entry.token_id.as_deref(), Some(token_id(&t.token).as_str()));
    assert_eq!(
        entry.account_id.as_deref(),
        Some(t.account.account_id.as_str())
    );
}

#[tokio::test]
async fn control_api_over_http_seeds_files_and_scripts_faults() {
    let t = TestSandbox::start().await;
    let seeded: Value = t
        .http
        .post(t.url("/__sandbox/files"))
        .json(&json!({"account_id": t.account.account_id, "path": "/Seeded/a.txt", "content": "hello"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seeded["size"], 5);
    let meta = t
        .ok("files/get_metadata", json!({"path": "/seeded/A.TXT"}))
        .await;
    assert_eq!(meta["path_display"], "/Seeded/a.txt");
    let resp = t
        .http
        .post(t.url("/__sandbox/faults"))
        .json(&json!({"route": "files/get_metadata", "kind": "status", "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let r = t
        .rpc("files/get_metadata", json!({"path": "/seeded/a.txt"}))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn control_api_is_off_unless_enabled() {
    let t = TestSandbox::start_with(dropbox_sandbox::SandboxConfig::default()).await;
    let resp = t
        .http
        .get(t.url("/__sandbox/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
