//! Shared arrangement for the integration tests: a sandbox on port 0, an app, an account with offline
//! tokens, and a hub/client pointed at it with fast retries.
#![allow(dead_code)]

pub mod proxy;

use bytes::Bytes;
use dropbox::{
    Download, DropboxClient, DropboxConfig, DropboxEndpoints, DropboxError, DropboxHub,
    MemoryTokenStore, OAuthApp, RetryPolicy, Secret, Space, TokenSet,
};
use dropbox_sandbox::{
    AccountInfo, AppSpec, IssuedToken, RunningSandbox, SandboxConfig, TokenSpec, spawn,
};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub const APP_KEY: &str = "wharf-test-key";
pub const APP_SECRET: &str = "wharf-test-secret";
pub const REDIRECT: &str = "http://127.0.0.1:3000/oauth/dropbox/callback";

pub struct World {
    pub sb: RunningSandbox,
    pub account: AccountInfo,
    pub hub: DropboxHub,
    pub store: Arc<MemoryTokenStore>,
    pub client: DropboxClient,
    pub issued: IssuedToken,
}

/// Retries quick enough for tests, with the default number of attempts.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(10),
    }
}

pub fn config_for(base_url: &str) -> DropboxConfig {
    let mut c = DropboxConfig::new(DropboxEndpoints::all_at(base_url).expect("base url"))
        .with_app(OAuthApp {
            app_key: APP_KEY.into(),
            app_secret: Some(Secret::new(APP_SECRET)),
            redirect_uri: REDIRECT.into(),
        })
        .with_retry(fast_retry());
    c.read_timeout = Duration::from_secs(10);
    c
}

pub async fn sandbox(config: SandboxConfig) -> RunningSandbox {
    spawn(config.with_app(AppSpec::new(APP_KEY, APP_SECRET).redirect_uri(REDIRECT)))
        .await
        .expect("sandbox starts")
}

pub fn issue(sb: &RunningSandbox, account: &AccountInfo, expires_in: i64) -> IssuedToken {
    sb.issue_token(TokenSpec {
        app_key: APP_KEY.into(),
        offline: true,
        expires_in,
        ..TokenSpec::new(&account.account_id)
    })
    .expect("token issued")
}

/// What the data-source service would hold after OAuth; `expires_in` as Dropbox said it.
pub fn token_set(t: &IssuedToken, expires_in: i64) -> TokenSet {
    TokenSet {
        access_token: Secret::new(t.access_token.clone()),
        refresh_token: t.refresh_token.clone().map(Secret::new),
        expires_at: Some(OffsetDateTime::now_utc() + time::Duration::seconds(expires_in)),
        account_id: Some(t.account_id.clone()),
        scope: None,
    }
}

pub async fn world() -> World {
    world_with(SandboxConfig::for_tests(), |c| c).await
}

/// A world whose hub config is adjusted by `tweak` (timeouts, chunk size, margin).
pub async fn world_with(
    config: SandboxConfig,
    tweak: impl FnOnce(DropboxConfig) -> DropboxConfig,
) -> World {
    let sb = sandbox(config).await;
    let account = sb.accounts()[0].clone();
    let issued = issue(&sb, &account, 14_400);
    let store = Arc::new(MemoryTokenStore::new(token_set(&issued, 14_400)));
    let hub = DropboxHub::new(tweak(config_for(&sb.base_url()))).expect("hub");
    let client = hub.client("ds-1", store.clone(), Space::MyFiles);
    World {
        sb,
        account,
        hub,
        store,
        client,
        issued,
    }
}

impl World {
    /// How many requests reached `route`.
    pub fn count(&self, route: &str) -> usize {
        self.statuses(route).len()
    }

    /// The status the sandbox answered each request to `route` with, in order.
    pub fn statuses(&self, route: &str) -> Vec<u16> {
        let requests = self.sb.requests();
        let to_route = requests.iter().filter(|r| r.route == route);
        to_route.map(|r| r.status).collect()
    }

    pub async fn seed(&self, path: &str, content: &[u8]) {
        self.sb
            .seed_file(&self.account.account_id, path, content)
            .await
            .expect("seeded");
    }

    pub async fn content(&self, path: &str) -> Option<Vec<u8>> {
        self.sb.file_content(&self.account.account_id, path).await
    }
}

/// Deterministic, non-repeating-looking bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect()
}

/// Reads a download to the end.
pub async fn collect(mut d: Download) -> Result<Vec<u8>, DropboxError> {
    let mut out = Vec::new();
    while let Some(chunk) = d.stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// A byte stream of `data` in pieces of `piece` bytes, as a request body or file would arrive.
pub fn stream_of(
    data: Vec<u8>,
    piece: usize,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + Unpin {
    let bytes = Bytes::from(data);
    let pieces: Vec<_> = (0..bytes.len())
        .step_by(piece.max(1))
        .map(|i| Ok(bytes.slice(i..(i + piece).min(bytes.len()))))
        .collect();
    futures::stream::iter(pieces)
}
