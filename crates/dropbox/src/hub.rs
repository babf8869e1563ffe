//! The shared factory: one per Wharf process. It owns the HTTP clients, endpoints, OAuth client, retry
//! policy and the per-data-source refresh registry, and hands out cheap per-data-source clients.

use crate::auth::{Registry, TokenManager};
use crate::client::{DropboxClient, Space};
use crate::endpoints::DropboxEndpoints;
use crate::error::DropboxError;
use crate::hash::BLOCK_SIZE;
use crate::oauth::{OAuthApp, OAuthClient};
use crate::retry::RetryPolicy;
use crate::token::TokenStore;
use crate::transport::Transport;
use std::sync::Arc;
use std::time::Duration;

/// How a hub talks to Dropbox.
#[derive(Clone, Debug)]
pub struct DropboxConfig {
    pub endpoints: DropboxEndpoints,
    /// Needed to refresh tokens and for the OAuth flow.
    pub app: Option<OAuthApp>,
    pub retry: RetryPolicy,
    /// Refresh this long before `expires_at`.
    pub refresh_margin: Duration,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for response bytes (not a cap on whole transfers).
    pub read_timeout: Duration,
    /// Upload-session chunk size; rounded to a multiple of 4 MiB. Files up to this size use one call.
    pub upload_chunk_size: usize,
}

impl DropboxConfig {
    pub fn new(endpoints: DropboxEndpoints) -> Self {
        Self {
            endpoints,
            app: None,
            retry: RetryPolicy::default(),
            refresh_margin: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            upload_chunk_size: 2 * BLOCK_SIZE,
        }
    }

    pub fn with_app(mut self, app: OAuthApp) -> Self {
        self.app = Some(app);
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

pub(crate) struct HubInner {
    pub transport: Arc<Transport>,
    pub oauth: Option<OAuthClient>,
    pub retry: RetryPolicy,
    pub margin: Duration,
    pub chunk_size: usize,
    pub registry: Registry,
}

/// Wharf's entry point to Dropbox. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct DropboxHub {
    inner: Arc<HubInner>,
}

impl DropboxHub {
    /// A hub with its own reqwest clients built from `config`'s timeouts.
    pub fn new(config: DropboxConfig) -> Result<Self, DropboxError> {
        let build = |read_timeout: Option<Duration>| {
            let mut b = reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(60))
                .tcp_nodelay(true);
            if let Some(t) = read_timeout {
                b = b.read_timeout(t);
            }
            b.build()
                .map_err(|e| DropboxError::BadRequest(format!("HTTP client: {e}")))
        };
        let http = build(Some(config.read_timeout))?;
        let long_http = build(None)?;
        Self::with_http_clients(config, http, long_http)
    }

    /// A hub over the caller's reqwest clients: `http` for calls and transfers (give it a read timeout),
    /// `long_http` for longpoll (no read timeout: Dropbox holds those requests for minutes).
    pub fn with_http_clients(
        config: DropboxConfig,
        http: reqwest::Client,
        long_http: reqwest::Client,
    ) -> Result<Self, DropboxError> {
        let transport = Arc::new(Transport {
            http,
            long_http,
            endpoints: config.endpoints.clone(),
        });
        let oauth = match &config.app {
            Some(app) => Some(OAuthClient::new(
                app,
                &config.endpoints,
                transport.clone(),
                config.retry.clone(),
            )?),
            None => None,
        };
        let chunk = config.upload_chunk_size.max(BLOCK_SIZE) / BLOCK_SIZE * BLOCK_SIZE;
        Ok(Self {
            inner: Arc::new(HubInner {
                transport,
                oauth,
                retry: config.retry,
                margin: config.refresh_margin,
                chunk_size: chunk,
                registry: Registry::default(),
            }),
        })
    }

    /// The OAuth client, when an app is configured.
    pub fn oauth(&self) -> Option<&OAuthClient> {
        self.inner.oauth.as_ref()
    }

    /// A client for one data source. `key` identifies the data source: all clients with the same key
    /// share cached tokens and a single in-flight refresh.
    pub fn client(&self, key: &str, store: Arc<dyn TokenStore>, space: Space) -> DropboxClient {
        let tokens = TokenManager {
            slot: self.inner.registry.slot(key),
            store,
            oauth: self.inner.oauth.clone(),
            margin: self.inner.margin,
        };
        DropboxClient::new(self.inner.clone(), key, Arc::new(tokens), space)
    }

    /// Forgets cached tokens of a data source, e.g. after the user re-authorized it.
    pub async fn invalidate(&self, key: &str) {
        self.inner.registry.invalidate(key).await;
    }
}
