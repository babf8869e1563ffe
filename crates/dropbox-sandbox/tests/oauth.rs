//! OAuth: the authorize page, code exchange with PKCE or secret, refresh, and revoke.

mod common;

use base64::Engine;
use common::*;
use dropbox_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier-of-good-length";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query_of(location: &str) -> HashMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    url_pairs(q)
}

fn url_pairs(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Clicks through the authorize page; returns the redirect's query parameters.
async fn authorize(
    t: &TestSandbox,
    extra: &[(&str, &str)],
    decision: &str,
) -> HashMap<String, String> {
    authorize_at(t, "/oauth2/authorize", extra, decision).await
}

async fn authorize_at(
    t: &TestSandbox,
    path: &str,
    extra: &[(&str, &str)],
    decision: &str,
) -> HashMap<String, String> {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", APP_KEY),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("state", "st-123"),
        ("account_id", &t.account.account_id),
        ("decision", decision),
    ];
    form.extend_from_slice(extra);
    let resp = t.http.post(t.url(path)).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    query_of(&location)
}

async fn token(t: &TestSandbox, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = t
        .http
        .post(t.url("/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// Exchanges `code` at the token endpoint, proving who is asking with `credential`: the PKCE
/// `("code_verifier", …)` or the `("client_secret", …)`.
async fn exchange(t: &TestSandbox, code: &str, credential: (&str, &str)) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", APP_KEY),
        credential,
        ("redirect_uri", REDIRECT),
    ];
    token(t, &form).await
}

/// Refreshes with `refresh_token` and the app's key and secret.
async fn refresh(t: &TestSandbox, refresh_token: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", APP_KEY),
        ("client_secret", APP_SECRET),
    ];
    token(t, &form).await
}

/// The `access_token` of a token answer works for an API call.
async fn assert_access_works(t: &TestSandbox, tokens: &Value) {
    let access = tokens["access_token"].as_str().expect("an access token");
    let me = t
        .rpc_as(access, "users/get_current_account", Value::Null)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}

#[tokio::test]
async fn authorize_page_shows_app_name_accounts_and_allow_cancel() {
    let t = TestSandbox::start().await;
    let resp = t
        .http
        .get(t.url("/oauth2/authorize"))
        .query(&[
            ("client_id", APP_KEY),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Wharf Test"));
    assert!(html.contains(&t.account.email));
    assert!(html.contains(">Allow</button>") && html.contains(">Cancel</button>"));
}

#[tokio::test]
async fn authorize_page_rejects_unknown_client_and_inexact_redirect_uri() {
    let t = TestSandbox::start().await;
    for (client, redirect) in [
        ("nope", REDIRECT),
        (APP_KEY, "http://localhost:9999/callback/"),
    ] {
        let resp = t
            .http
            .get(t.url("/oauth2/authorize"))
            .query(&[
                ("client_id", client),
                ("response_type", "code"),
                ("redirect_uri", redirect),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::BAD_REQUEST,
            "{client} {redirect}"
        );
    }
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_state() {
    let t = TestSandbox::start().await;
    let q = authorize(&t, &[], "cancel").await;
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn pkce_s256_code_exchange_gives_tokens_and_offline_refresh_token() {
    let t = TestSandbox::start().await;
    let ch = challenge(VERIFIER);
    let q = authorize(
        &t,
        &[
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
            ("token_access_type", "offline"),
        ],
        "allow",
    )
    .await;
    assert_eq!(q["state"], "st-123");
    let (status, body) = exchange(&t, &q["code"], ("code_verifier", VERIFIER)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 14400);
    assert_eq!(body["account_id"], t.account.account_id);
    assert!(body["refresh_token"].is_string());
    assert_access_works(&t, &body).await;
}

#[tokio::test]
async fn pkce_with_a_wrong_verifier_is_invalid_grant_and_burns_the_code() {
    let t = TestSandbox::start().await;
    let ch = challenge(VERIFIER);
    let q = authorize(
        &t,
        &[("code_challenge", &ch), ("code_challenge_method", "S256")],
        "allow",
    )
    .await;
    let wrong = "not-the-verifier-not-the-verifier-not-the-verifier";
    let (status, body) = exchange(&t, &q["code"], ("code_verifier", wrong)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = exchange(&t, &q["code"], ("code_verifier", VERIFIER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "code must be one-time");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn plain_pkce_is_accepted() {
    let t = TestSandbox::start().await;
    let q = authorize(
        &t,
        &[
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
        "allow",
    )
    .await;
    let (status, body) = exchange(&t, &q["code"], ("code_verifier", VERIFIER)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.get("refresh_token").is_none(),
        "online access has no refresh token"
    );
}

#[tokio::test]
async fn code_exchange_with_basic_auth_and_query_string_parameters_and_duplicates() {
    let t = TestSandbox::start().await;
    let q = authorize(&t, &[], "allow").await;
    let resp = t
        .http
        .post(t.url("/oauth2/token"))
        .basic_auth(APP_KEY, Some(APP_SECRET))
        .query(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("sl."));
}

#[tokio::test]
async fn code_exchange_without_pkce_requires_the_client_secret() {
    let t = TestSandbox::start().await;
    let q = authorize(&t, &[], "allow").await;
    let base = [
        ("grant_type", "authorization_code"),
        ("code", q["code"].as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let mut wrong = base.to_vec();
    wrong.extend([("client_id", APP_KEY), ("client_secret", "wrong")]);
    let (status, body) = token(&t, &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let t = TestSandbox::start_with(SandboxConfig {
        auth_code_ttl: std::time::Duration::from_millis(1),
        ..SandboxConfig::for_tests()
    })
    .await;
    let q = authorize(&t, &[], "allow").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (status, body) = exchange(&t, &q["code"], ("client_secret", APP_SECRET)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

async fn offline_tokens(t: &TestSandbox) -> Value {
    let q = authorize(t, &[("token_access_type", "offline")], "allow").await;
    let (status, body) = exchange(t, &q["code"], ("client_secret", APP_SECRET)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_without_a_new_refresh_token() {
    let t = TestSandbox::start().await;
    let tokens = offline_tokens(&t).await;
    let (status, body) = refresh(&t, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["token_type"], "bearer");
    assert_ne!(body["access_token"], tokens["access_token"]);
    assert_access_works(&t, &body).await;
}

#[tokio::test]
async fn revoke_invalidates_the_access_token_and_its_refresh_token() {
    let t = TestSandbox::start().await;
    let tokens = offline_tokens(&t).await;
    let access = tokens["access_token"].as_str().unwrap();
    let revoked = t.rpc_as(access, "auth/token/revoke", Value::Null).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(revoked.text, "null");
    let after = t
        .rpc_as(access, "users/get_current_account", Value::Null)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.json()["error"][".tag"], "invalid_access_token");
    let (status, body) = refresh(&t, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn legacy_authorize_path_serves_the_same_page_and_checks() {
    let t = TestSandbox::start().await;
    let page = |client: &'static str| {
        t.http
            .get(t.url("/1/oauth2/authorize"))
            .query(&[
                ("client_id", client),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
            ])
            .send()
    };
    let resp = page(APP_KEY).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Wharf Test") && html.contains(">Allow</button>"));
    assert_eq!(
        page("nope").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let q = authorize_at(&t, "/1/oauth2/authorize", &[], "allow").await;
    assert!(q["code"].len() >= 40, "{q:?}");
}

#[tokio::test]
async fn legacy_token_path_exchanges_codes_and_refreshes_with_basic_or_body_credentials() {
    let t = TestSandbox::start().await;
    let q = authorize(&t, &[("token_access_type", "offline")], "allow").await;
    let post = |form: Vec<(&'static str, String)>, basic: bool| {
        let mut req = t.http.post(t.url("/1/oauth2/token")).form(&form);
        if basic {
            req = req.basic_auth(APP_KEY, Some(APP_SECRET));
        }
        req.send()
    };
    let resp = post(
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", q["code"].clone()),
            ("client_id", APP_KEY.into()),
            ("client_secret", APP_SECRET.into()),
            ("redirect_uri", REDIRECT.into()),
        ],
        false,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["account_id"], t.account.account_id);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    for basic in [true, false] {
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh.clone()),
        ];
        if !basic {
            form.push(("client_id", APP_KEY.into()));
            form.push(("client_secret", APP_SECRET.into()));
        }
        let resp = post(form, basic).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "basic: {basic}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["expires_in"], 14400);
        assert!(body.get("refresh_token").is_none());
        assert_access_works(&t, &body).await;
    }
    let wrong = post(
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh),
            ("client_id", APP_KEY.into()),
            ("client_secret", "wrong".into()),
        ],
        false,
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "invalid_client", "error_description": "Invalid client_id or client_secret"})
    );
}
