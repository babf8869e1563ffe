//! The OAuth flow as Wharf runs it: authorize URL with PKCE, the user clicking Allow, code exchange,
//! refresh keeping the refresh token, and revoke.

mod common;

use common::*;
use dropbox::{DropboxError, DropboxHub, MemoryTokenStore, Secret, Space};
use dropbox_sandbox::SandboxConfig;
use std::collections::HashMap;
use std::sync::Arc;

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The hidden inputs of the authorize form.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split("name=\"").nth(1)?.split('"').next()?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_string(), unescape(value)))
        })
        .collect()
}

/// What a browser does: open the authorize URL, pick the account, click Allow; returns the
/// redirect's query parameters.
async fn click_allow(url: &url::Url, account_id: &str) -> HashMap<String, String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mut form = hidden_inputs(&html);
    assert!(
        !form.is_empty(),
        "the page carries the request in hidden inputs"
    );
    form.push(("account_id".into(), account_id.into()));
    form.push(("decision".into(), "allow".into()));
    let action = url.join("/oauth2/authorize").unwrap();
    let resp = browser.post(action).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Wharf starts an authorization and the user clicks Allow; answers the code Dropbox sent back and
/// the verifier that goes with it.
async fn allowed_code(w: &World) -> (String, Secret) {
    let (url, verifier) = w.hub.oauth().unwrap().authorize_url("st");
    let q = click_allow(&url, &w.account.account_id).await;
    (q["code"].clone(), verifier)
}

/// Exchanging `code` is refused as an authorization Dropbox did not accept.
async fn assert_exchange_refused(w: &World, code: &str, verifier: &Secret) {
    let err = w
        .hub
        .oauth()
        .unwrap()
        .exchange_code(code, verifier)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DropboxError::AuthorizationFailed(_)),
        "{err:?}"
    );
    assert_eq!(
        err.user_message(),
        "Dropbox did not accept the authorization. Start it again."
    );
}

#[tokio::test]
async fn the_authorize_url_asks_for_pkce_s256_offline_access_and_carries_the_state() {
    let w = world().await;
    let oauth = w.hub.oauth().unwrap();

    let (url, verifier) = oauth.authorize_url("state-42");

    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert!(
        url.as_str()
            .starts_with(&format!("{}/oauth2/authorize", w.sb.base_url()))
    );
    assert_eq!(q["client_id"], APP_KEY);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["state"], "state-42");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["token_access_type"], "offline");
    assert!(!q["code_challenge"].contains(verifier.expose()));
    assert!(verifier.expose().len() >= 43);
}

#[tokio::test]
async fn the_full_pkce_flow_yields_tokens_that_work() {
    let w = world().await;
    let oauth = w.hub.oauth().unwrap();
    let (url, verifier) = oauth.authorize_url("st-1");

    let q = click_allow(&url, &w.account.account_id).await;
    let tokens = oauth.exchange_code(&q["code"], &verifier).await.unwrap();
    let client = w.hub.client(
        "fresh",
        Arc::new(MemoryTokenStore::new(tokens.clone())),
        Space::MyFiles,
    );
    let me = client.current_account().await.unwrap();

    assert_eq!(q["state"], "st-1");
    assert!(
        tokens.refresh_token.is_some(),
        "offline access gives a refresh token"
    );
    assert_eq!(
        tokens.account_id.as_deref(),
        Some(w.account.account_id.as_str())
    );
    assert!(tokens.expires_at.is_some());
    assert_eq!(me.account_id, w.account.account_id);
}

#[tokio::test]
async fn a_code_exchanged_with_the_wrong_verifier_is_refused() {
    let w = world().await;
    let (code, _) = allowed_code(&w).await;
    let (_, other_verifier) = w.hub.oauth().unwrap().authorize_url("other");

    assert_exchange_refused(&w, &code, &other_verifier).await;
}

#[tokio::test]
async fn a_code_exchanged_a_second_time_is_refused() {
    let w = world().await;
    let (code, verifier) = allowed_code(&w).await;
    let oauth = w.hub.oauth().unwrap();
    oauth.exchange_code(&code, &verifier).await.unwrap();

    assert_exchange_refused(&w, &code, &verifier).await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let config = SandboxConfig {
        auth_code_ttl: std::time::Duration::ZERO,
        ..SandboxConfig::for_tests()
    };
    let w = world_with(config, |c| c).await;
    let (code, verifier) = allowed_code(&w).await;

    assert_exchange_refused(&w, &code, &verifier).await;
}

#[tokio::test]
async fn refresh_returns_a_new_access_token_and_keeps_the_refresh_token() {
    let w = world().await;
    let oauth = w.hub.oauth().unwrap();
    let old = token_set(&w.issued, 14_400);

    let new = oauth
        .refresh(old.refresh_token.as_ref().unwrap())
        .await
        .unwrap();

    assert_ne!(new.access_token, old.access_token);
    assert_eq!(new.refresh_token, old.refresh_token);
    assert!(new.expires_at.is_some());
}

#[tokio::test]
async fn revoke_ends_access_and_the_refresh_token_with_it() {
    let w = world().await;
    let oauth = w.hub.oauth().unwrap();
    let tokens = token_set(&w.issued, 14_400);

    oauth.revoke(&tokens.access_token).await.unwrap();
    let call = w.client.current_account().await.unwrap_err();
    let refresh = oauth
        .refresh(tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap_err();

    assert!(
        w.sb.requests()
            .iter()
            .any(|r| r.route == "auth/token/revoke" && r.status == 200)
    );
    assert!(
        matches!(call, DropboxError::ReauthorizationRequired(_)),
        "{call:?}"
    );
    assert!(
        matches!(refresh, DropboxError::ReauthorizationRequired(_)),
        "{refresh:?}"
    );
}

#[tokio::test]
async fn a_hub_without_an_app_cannot_refresh_and_says_so() {
    let sb = sandbox(SandboxConfig::for_tests()).await;
    let account = sb.accounts()[0].clone();
    let issued = issue(&sb, &account, 14_400);
    let mut cfg = config_for(&sb.base_url());
    cfg.app = None;
    let hub = DropboxHub::new(cfg).unwrap();
    let store = Arc::new(MemoryTokenStore::new(token_set(&issued, -1)));

    let err = hub
        .client("no-app", store, Space::MyFiles)
        .current_account()
        .await
        .unwrap_err();

    assert!(hub.oauth().is_none());
    assert!(
        matches!(err, DropboxError::ReauthorizationRequired(_)),
        "{err:?}"
    );
}
