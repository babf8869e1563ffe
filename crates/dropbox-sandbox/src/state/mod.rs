//! The sandbox's state: accounts and tokens, the file tree, upload sessions, temporary links, faults and
//! the request log. One `Sandbox` is shared (in an `Arc`) by the HTTP handlers and the Rust control API.

pub mod auth;
pub mod control;
pub mod observe;
pub mod tree;
pub mod tree_ops;

use crate::blobs::BlobStore;
use crate::config::{AccountSpec, SandboxConfig};
use crate::hash::ContentHasher;
use auth::AuthState;
use observe::{FaultSpec, LoggedRequest};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tree::{FileRev, Tree};

/// Everything that is persisted to `data_dir/state.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub auth: AuthState,
    pub tree: Tree,
}

/// An upload session in progress (kept in memory only).
#[derive(Clone)]
pub struct UploadSession {
    pub account_id: String,
    pub offset: u64,
    pub closed: bool,
    /// An append is streaming into the session right now.
    pub busy: bool,
    pub hasher: ContentHasher,
}

/// A link handed out by `files/get_temporary_link`.
#[derive(Clone, Debug)]
pub struct TempLink {
    pub file: FileRev,
    pub expires_at_ms: i64,
}

pub struct Sandbox {
    pub(crate) config: SandboxConfig,
    state: Mutex<State>,
    pub(crate) sessions: Mutex<HashMap<String, UploadSession>>,
    pub(crate) links: Mutex<HashMap<String, TempLink>>,
    pub(crate) blobs: BlobStore,
    /// Woken on every change of the tree (longpolls wait on it).
    pub(crate) changed: Notify,
    pub(crate) faults: Mutex<Vec<FaultSpec>>,
    pub(crate) log: Mutex<Vec<LoggedRequest>>,
    pub(crate) base_url: String,
    dirty: AtomicBool,
}

/// Locks a mutex, recovering the data if a previous holder panicked.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sandbox {
    /// Builds the state: loads `data_dir/state.json` if present, then adds the configured apps and accounts.
    pub fn open(config: SandboxConfig, base_url: String) -> io::Result<Arc<Self>> {
        let blobs = BlobStore::open(config.data_dir.as_deref())?;
        let state_file = blobs.root().join("state.json");
        let mut state: State = match std::fs::read(&state_file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        for app in &config.apps {
            state.auth.add_app(app.clone());
        }
        let mut accounts = config.accounts.clone();
        if accounts.is_empty() && state.auth.accounts.is_empty() {
            accounts.push(AccountSpec::new("sandbox@example.com").named("Sandbox", "User"));
        }
        for spec in accounts {
            if state.auth.accounts.values().any(|a| a.email == spec.email) {
                continue;
            }
            let State { auth, tree } = &mut state;
            auth.add_account(spec, || tree.new_namespace());
        }
        let sandbox = Arc::new(Self {
            config,
            state: Mutex::new(state),
            sessions: Mutex::default(),
            links: Mutex::default(),
            blobs,
            changed: Notify::new(),
            faults: Mutex::default(),
            log: Mutex::default(),
            base_url,
            dirty: AtomicBool::new(true),
        });
        sandbox.save_if_dirty()?;
        Ok(sandbox)
    }

    /// Read access to the state.
    pub fn read(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Mutates the state, marks it for saving and wakes longpolls.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = f(&mut lock(&self.state));
        self.dirty.store(true, Ordering::SeqCst);
        self.changed.notify_waiters();
        r
    }

    /// Writes `state.json` if something changed and a data directory is configured.
    pub fn save_if_dirty(&self) -> io::Result<()> {
        if self.config.data_dir.is_none() || !self.dirty.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let json = serde_json::to_vec(&*self.read()).map_err(io::Error::other)?;
        let path = self.blobs.root().join("state.json");
        let tmp = self.blobs.root().join("state.json.tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(tmp, path)
    }

    pub fn access_ttl_secs(&self) -> i64 {
        self.config.access_token_ttl.as_secs() as i64
    }
}
