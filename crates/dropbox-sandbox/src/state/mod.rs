//! The sandbox's state: accounts and tokens, the file tree (with team mounts), shared links, upload
//! sessions, temporary links, batch jobs, faults and the request log. One `Sandbox` is shared (in an
//! `Arc`) by the HTTP handlers and the Rust control API.

pub mod auth;
pub mod control;
pub mod jobs;
pub mod mounts;
pub mod observe;
pub mod sessions;
pub mod sharing;
pub mod tree;
pub mod tree_ops;

use crate::blobs::BlobStore;
use crate::config::{AccountSpec, SandboxConfig};
use auth::{Account, AuthState};
use jobs::Job;
use observe::{FaultSpec, LoggedRequest};
use serde::{Deserialize, Serialize};
use sessions::UploadSession;
use sharing::SharingState;
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
    #[serde(default)]
    pub sharing: SharingState,
    /// Upload sessions not yet finished (their data is in `data_dir/sessions/`).
    #[serde(default)]
    pub sessions: HashMap<String, UploadSession>,
}

impl State {
    /// Creates an account with its namespaces; a team member's home is mounted in the team space.
    pub fn add_account(&mut self, spec: AccountSpec) -> Account {
        let State { auth, tree, .. } = self;
        let mut acc = auth.add_account(spec, || tree.new_namespace());
        self.mount_home(&mut acc);
        acc
    }

    /// Mounts a team member's home in its team space (idempotent; also for state saved before mounts).
    fn mount_home(&mut self, acc: &mut Account) {
        if acc.home_nsid == acc.root_nsid {
            return;
        }
        let path = self
            .tree
            .mount(&acc.root_nsid, &acc.display_name(), &acc.home_nsid);
        acc.home_mount = Some(path.clone());
        if let Some(stored) = self.auth.accounts.get_mut(&acc.account_id) {
            stored.home_mount = Some(path);
        }
    }

    /// Brings state saved by an older sandbox up to date.
    fn upgrade(&mut self) {
        let mut members: Vec<Account> = self
            .auth
            .accounts
            .values()
            .filter(|a| a.home_nsid != a.root_nsid)
            .cloned()
            .collect();
        for acc in &mut members {
            self.mount_home(acc);
        }
    }
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
    pub(crate) links: Mutex<HashMap<String, TempLink>>,
    /// Asynchronous batch jobs, by `async_job_id`.
    pub(crate) jobs: Mutex<HashMap<String, Job>>,
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
        state.upgrade();
        state
            .sessions
            .retain(|id, _| blobs.session_path(id).exists());
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
            state.add_account(spec);
        }
        let sandbox = Arc::new(Self {
            config,
            state: Mutex::new(state),
            links: Mutex::default(),
            jobs: Mutex::default(),
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

    /// Mutates state no listing sees (upload sessions, shared links): saved, but longpolls sleep on.
    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let r = f(&mut lock(&self.state));
        self.dirty.store(true, Ordering::SeqCst);
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

    /// The base of links handed out (temporary and shared links): `public_url`, else the base URL.
    pub fn public_base(&self) -> String {
        self.config
            .public_url
            .clone()
            .unwrap_or_else(|| self.base_url.clone())
            .trim_end_matches('/')
            .to_string()
    }

    pub fn access_ttl_secs(&self) -> i64 {
        self.config.access_token_ttl.as_secs() as i64
    }
}
