//! Token refresh: before expiry, after a 401 (including the content host's `other`), one refresh per
//! data source under concurrency and cancellation, and refusals surfacing as ReauthorizationRequired.

mod common;

use common::*;
use dropbox::{DropboxError, MemoryTokenStore, Space, TokenStore};
use dropbox_sandbox::{FaultKind, FaultSpec, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

fn token_requests(w: &World) -> usize {
    w.count("oauth2/token")
}

#[tokio::test]
async fn a_token_past_its_expiry_is_refreshed_before_use_and_saved() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, -10)));
    let client = w.hub.client("expired", store.clone(), Space::MyFiles);

    client.current_account().await.unwrap();

    assert_eq!(token_requests(&w), 1);
    let saved = store.tokens();
    assert_ne!(saved.access_token.expose(), w.issued.access_token);
    assert_eq!(
        saved.refresh_token.as_ref().map(|r| r.expose().to_string()),
        w.issued.refresh_token,
        "the refresh token is kept"
    );
    assert_eq!(
        saved.account_id.as_deref(),
        Some(w.account.account_id.as_str())
    );
    assert!(
        !w.sb.requests().iter().any(|r| r.status == 401),
        "no call was made with the stale token"
    );
}

#[tokio::test]
async fn a_token_within_the_margin_is_refreshed_early() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, 60)));
    let client = w.hub.client("soon", store.clone(), Space::MyFiles);

    client.space_usage().await.unwrap();

    assert_eq!(
        token_requests(&w),
        1,
        "60 s left is inside the 5 min margin"
    );
}

#[tokio::test]
async fn a_token_expiring_during_use_is_refreshed_once_after_the_401() {
    let w = world().await;
    w.client.current_account().await.unwrap();
    w.sb.expire_token(&w.issued.access_token);

    let account = w.client.current_account().await.unwrap();

    assert_eq!(account.account_id, w.account.account_id);
    assert_eq!(token_requests(&w), 1);
    let statuses = w.statuses("users/get_current_account");
    assert_eq!(statuses, vec![200, 401, 200]);
}

#[tokio::test]
async fn the_content_hosts_401_with_tag_other_also_triggers_one_refresh() {
    let w = world().await;
    w.seed("/f.txt", b"content").await;
    w.sb.expire_token(&w.issued.access_token);

    let got = collect(w.client.download("/f.txt", None).await.unwrap())
        .await
        .unwrap();

    assert_eq!(got, b"content");
    assert_eq!(token_requests(&w), 1);
    let statuses = w.statuses("files/download");
    assert_eq!(statuses, vec![401, 200]);
}

#[tokio::test]
async fn a_caller_dropped_mid_refresh_leaves_one_refresh_that_everyone_shares() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, -1)));
    let client = w.hub.client("cancelled", store.clone(), Space::MyFiles);
    w.sb.add_fault(FaultSpec::new(
        "oauth2/token",
        FaultKind::Delay { millis: 1_000 },
    ));
    let first = tokio::spawn({
        let c = client.clone();
        async move { c.current_account().await }
    });
    // The fault is used up when the token request arrives: the refresh is then under way.
    while !w.sb.faults().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    first.abort();
    let others = (0..10).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.current_account().await })
    });
    let results = futures::future::join_all(others).await;

    assert!(first.await.unwrap_err().is_cancelled());
    assert!(results.into_iter().all(|r| matches!(r, Ok(Ok(_)))));
    let token_calls: Vec<_> =
        w.sb.requests()
            .into_iter()
            .filter(|r| r.route == "oauth2/token")
            .collect();
    assert_eq!(token_calls.len(), 1, "{token_calls:?}");
    assert_eq!(
        token_calls[0].fault,
        Some(FaultKind::Delay { millis: 1_000 }),
        "the refresh the dropped caller started is the one that completed"
    );
    assert_eq!(store.saves(), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_calls_at_expiry_make_exactly_one_token_request() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, -1)));
    let client = w.hub.client("busy", store.clone(), Space::MyFiles);

    let calls = (0..100).map(|_| {
        let c = client.clone();
        tokio::spawn(async move { c.space_usage().await })
    });
    let results = futures::future::join_all(calls).await;

    assert!(results.into_iter().all(|r| matches!(r, Ok(Ok(_)))));
    assert_eq!(token_requests(&w), 1, "one refresh for everyone");
    assert_eq!(store.saves(), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_calls_after_server_side_expiry_share_one_refresh() {
    let w = world().await;
    w.sb.expire_token(&w.issued.access_token);
    // Separate clients of the same data source share the refresh registry too.
    let calls = (0..100).map(|_| {
        let c = w.hub.client("ds-1", w.store.clone(), Space::MyFiles);
        tokio::spawn(async move { c.current_account().await })
    });

    let results = futures::future::join_all(calls).await;

    assert!(results.into_iter().all(|r| matches!(r, Ok(Ok(_)))));
    assert_eq!(token_requests(&w), 1);
}

#[tokio::test]
async fn a_revoked_refresh_token_requires_reauthorization_and_tells_the_store() {
    let w = world().await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, -1)));
    w.sb.revoke_token(w.issued.refresh_token.as_deref().unwrap());
    let client = w.hub.client("revoked", store.clone(), Space::MyFiles);

    let err = client.current_account().await.unwrap_err();
    let again = client.current_account().await.unwrap_err();

    assert!(
        matches!(err, DropboxError::ReauthorizationRequired(_)),
        "{err:?}"
    );
    assert!(matches!(again, DropboxError::ReauthorizationRequired(_)));
    assert_eq!(
        token_requests(&w),
        1,
        "a refused refresh token is not tried again"
    );
    assert!(store.reauthorization_reason().is_some());
    assert!(err.user_message().contains("Reconnect"));
}

#[tokio::test]
async fn an_expired_token_without_a_refresh_token_requires_reauthorization() {
    let w = world().await;
    let mut tokens = token_set(&w.issued, -1);
    tokens.refresh_token = None;
    let client = w.hub.client(
        "online-only",
        Arc::new(MemoryTokenStore::new(tokens)),
        Space::MyFiles,
    );

    let err = client.current_account().await.unwrap_err();

    assert!(
        matches!(err, DropboxError::ReauthorizationRequired(_)),
        "{err:?}"
    );
    assert_eq!(token_requests(&w), 0);
}

#[tokio::test]
async fn a_transient_token_endpoint_failure_is_retried() {
    let w = world_with(SandboxConfig::for_tests(), |c| c).await;
    let store = Arc::new(MemoryTokenStore::new(token_set(&w.issued, -1)));
    w.sb.add_fault(dropbox_sandbox::FaultSpec::new(
        "oauth2/token",
        dropbox_sandbox::FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let client = w.hub.client("flaky-token", store.clone(), Space::MyFiles);

    client.current_account().await.unwrap();

    assert_eq!(token_requests(&w), 2);
    assert_ne!(
        store.load().await.unwrap().access_token.expose(),
        w.issued.access_token
    );
}
