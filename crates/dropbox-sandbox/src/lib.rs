//! A Dropbox-API-v2-compatible HTTP server: Wharf's test double and built-in "Sandbox Dropbox".
//!
//! One listener serves the paths of every Dropbox host — `api.dropboxapi.com` (`/2/…` RPC, `/oauth2/token`),
//! `content.dropboxapi.com` (upload/download), `notify.dropboxapi.com` (longpoll) and `www.dropbox.com`
//! (`/oauth2/authorize`) — so a client only rewrites those origins to [`RunningSandbox::base_url`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use dropbox_sandbox::{AppSpec, SandboxConfig, spawn};
//! let sandbox = spawn(SandboxConfig::for_tests().with_app(AppSpec::new("key", "secret"))).await?;
//! let account = sandbox.accounts()[0].clone();
//! let token = sandbox.issue_token(dropbox_sandbox::TokenSpec::new(&account.account_id)).unwrap();
//! println!("{} {}", sandbox.base_url(), token.access_token);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod blobs;
pub mod config;
mod hash;
mod http;
mod paths;
pub mod sample;
pub mod scopes;
pub mod state;
mod tls;
mod util;
mod wire;

pub use config::{AccountSpec, AccountType, AppSpec, IssuedToken, SandboxConfig, TokenSpec};
pub use hash::{ContentHasher, content_hash};
pub use state::Sandbox;
pub use state::auth::token_id;
pub use state::control::{AccountInfo, ControlError};
pub use state::observe::{FaultKind, FaultSpec, LoggedRequest};

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A sandbox serving HTTP. Dereferences to [`Sandbox`] for the in-process control API.
pub struct RunningSandbox {
    sandbox: Arc<Sandbox>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    saver: JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:<port>` (`https://` with TLS) — what to use instead of every Dropbox origin.
    pub fn base_url(&self) -> String {
        self.sandbox.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state, for handing to other tasks.
    pub fn sandbox(&self) -> Arc<Sandbox> {
        self.sandbox.clone()
    }

    /// Stops accepting connections, waits for the server task and saves state.
    pub async fn shutdown(mut self) {
        self.stop_now().await;
    }

    async fn stop_now(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.saver.abort();
        let _ = self.sandbox.save_if_dirty();
    }
}

impl Deref for RunningSandbox {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.saver.abort();
        // What changed since the last background save is not lost with the sandbox.
        let _ = self.sandbox.save_if_dirty();
    }
}

/// How often changed state is written to `state.json`. Writing after every request made each
/// change cost a full snapshot (~0.1 s with the demo's 3,000 files); a crash loses at most this much.
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Saves the state in the background while it changes, off the async threads.
fn spawn_saver(sandbox: &Arc<Sandbox>) -> JoinHandle<()> {
    let sandbox = Arc::downgrade(sandbox);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAVE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(sb) = sandbox.upgrade() else { return };
            let saved = tokio::task::spawn_blocking(move || sb.save_if_dirty()).await;
            if let Ok(Err(e)) = saved {
                tracing::warn!("dropbox-sandbox: could not save state: {e}");
            }
        }
    })
}

/// Binds `config.addr` (port 0 picks a free port) and serves the sandbox in a background task, over https
/// when `tls_cert` and `tls_key` are set.
pub async fn spawn(config: SandboxConfig) -> std::io::Result<RunningSandbox> {
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        (None, None) => None,
        _ => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "tls_cert and tls_key go together",
            ));
        }
    };
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let sandbox = Sandbox::open(config, format!("{scheme}://{addr}"))?;
    let app = http::router(sandbox.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let stopped = async {
        let _ = rx.await;
    };
    let task = tokio::spawn(async move {
        let served = match tls {
            Some(acceptor) => {
                let listener = tls::TlsListener {
                    tcp: listener,
                    acceptor,
                };
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            }
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
            }
        };
        if let Err(e) = served {
            tracing::error!("dropbox-sandbox server stopped: {e}");
        }
    });
    Ok(RunningSandbox {
        saver: spawn_saver(&sandbox),
        sandbox,
        addr,
        stop: Some(tx),
        task: Some(task),
    })
}
