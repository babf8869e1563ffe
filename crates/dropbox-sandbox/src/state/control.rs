//! The control API as Rust methods: what tests use to arrange the world (apps, accounts, tokens, files,
//! faults) and to inspect it (request log, file contents). The `/__sandbox/` HTTP routes call these too.

use super::observe::{FaultSpec, LoggedRequest};
use super::tree::Entry;
use super::tree_ops::{Commit, WriteMode};
use super::{Sandbox, lock};
use crate::config::{AccountSpec, AppSpec, IssuedToken, TokenSpec};
use crate::paths::{self, lower};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A created account, as tests need it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub account_id: String,
    pub uid: String,
    pub email: String,
    pub display_name: String,
    pub home_namespace_id: String,
    pub root_namespace_id: String,
    pub team_member_id: Option<String>,
}

impl From<&super::auth::Account> for AccountInfo {
    fn from(a: &super::auth::Account) -> Self {
        Self {
            account_id: a.account_id.clone(),
            uid: a.uid.clone(),
            email: a.email.clone(),
            display_name: a.display_name(),
            home_namespace_id: a.home_nsid.clone(),
            root_namespace_id: a.root_nsid.clone(),
            team_member_id: a.team.as_ref().map(|t| t.2.clone()),
        }
    }
}

/// Why a control call was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ControlError {}

fn err(msg: impl Into<String>) -> ControlError {
    ControlError(msg.into())
}

impl Sandbox {
    /// Registers an app (key and secret generated when empty).
    pub fn create_app(&self, spec: AppSpec) -> AppSpec {
        self.mutate(|s| s.auth.add_app(spec))
    }

    pub fn apps(&self) -> Vec<AppSpec> {
        self.read().auth.apps.values().cloned().collect()
    }

    /// Creates an account (with its namespaces; team members share their team's root namespace).
    pub fn create_account(&self, spec: AccountSpec) -> AccountInfo {
        self.mutate(|s| AccountInfo::from(&s.add_account(spec)))
    }

    pub fn accounts(&self) -> Vec<AccountInfo> {
        self.read()
            .auth
            .accounts
            .values()
            .map(AccountInfo::from)
            .collect()
    }

    /// Issues tokens without OAuth; `expires_in <= 0` gives an already-expired access token. The grant has
    /// `spec.scopes`, or every scope of the app.
    pub fn issue_token(&self, spec: TokenSpec) -> Result<IssuedToken, ControlError> {
        self.mutate(|s| {
            if !s.auth.accounts.contains_key(&spec.account_id) {
                return Err(err(format!("unknown account {}", spec.account_id)));
            }
            let app = if spec.app_key.is_empty() {
                match s.auth.apps.values().next() {
                    Some(app) => app.clone(),
                    None => s.auth.add_app(AppSpec::new("", "")),
                }
            } else {
                s.auth
                    .apps
                    .get(&spec.app_key)
                    .cloned()
                    .ok_or_else(|| err(format!("unknown app {}", spec.app_key)))?
            };
            let scopes = spec.scopes.clone().unwrap_or_else(|| app.scopes.clone());
            let foreign = crate::scopes::outside(&scopes, &app.scopes);
            if !foreign.is_empty() {
                return Err(err(format!(
                    "app {} does not have the scope(s) {}",
                    app.key,
                    foreign.join(" ")
                )));
            }
            Ok(s.auth.issue(
                &app.key,
                &spec.account_id,
                spec.expires_in,
                spec.offline,
                scopes,
            ))
        })
    }

    /// Makes an access token expire now.
    pub fn expire_token(&self, token: &str) -> bool {
        self.mutate(|s| s.auth.expire_token(token))
    }

    /// Revokes an access or refresh token (and everything of its grant).
    pub fn revoke_token(&self, token: &str) -> bool {
        self.mutate(|s| s.auth.revoke_token(token))
    }

    fn home_of(&self, account_id: &str) -> Result<String, ControlError> {
        self.read()
            .auth
            .accounts
            .get(account_id)
            .map(|a| a.home_nsid.clone())
            .ok_or_else(|| err(format!("unknown account {account_id}")))
    }

    fn checked_path(path: &str) -> Result<String, ControlError> {
        paths::normalize(path).map_err(|_| err(format!("malformed path {path:?}")))
    }

    /// Puts a file (overwriting) into the account's home namespace; returns its `FileMetadata`.
    pub async fn seed_file(
        &self,
        account_id: &str,
        path: &str,
        content: &[u8],
    ) -> Result<Value, ControlError> {
        let nsid = self.home_of(account_id)?;
        let path = Self::checked_path(path)?;
        let blob = self
            .blobs
            .store_bytes(content)
            .await
            .map_err(|e| err(e.to_string()))?;
        let commit = Commit {
            path,
            mode: WriteMode::Overwrite,
            autorename: false,
            strict_conflict: false,
            client_modified: None,
        };
        self.mutate(|s| s.tree.commit_file(&nsid, &commit, &blob))
            .map(|f| super::tree::file_metadata(&f))
            .map_err(|e| err(format!("{e:?}")))
    }

    /// Creates a folder (and its parents) in the account's home namespace.
    pub fn seed_folder(&self, account_id: &str, path: &str) -> Result<Value, ControlError> {
        let nsid = self.home_of(account_id)?;
        let path = Self::checked_path(path)?;
        self.mutate(|s| {
            if let Some(e @ Entry::Folder { .. }) = s.tree.get(&nsid, &lower(&path)) {
                return Ok(e.metadata());
            }
            s.tree
                .create_folder(&nsid, &path, false)
                .map(|e| e.metadata())
        })
        .map_err(|e| err(format!("{e:?}")))
    }

    /// The current content of a file in the account's home namespace.
    pub async fn file_content(&self, account_id: &str, path: &str) -> Option<Vec<u8>> {
        let nsid = self.home_of(account_id).ok()?;
        let blob = match self.read().tree.get(&nsid, &lower(path))? {
            Entry::File(f) => f.blob.clone(),
            Entry::Folder { .. } => return None,
        };
        tokio::fs::read(self.blobs.blob_path(&blob)).await.ok()
    }

    /// Makes every cursor issued so far for the account's namespaces answer `reset`.
    pub fn reset_cursors(&self, account_id: &str) -> Result<(), ControlError> {
        let nsids = self
            .read()
            .auth
            .accounts
            .get(account_id)
            .map(|a| a.namespaces())
            .ok_or_else(|| err(format!("unknown account {account_id}")))?;
        // A sequence number of its own for the reset: cursors issued before it carry a smaller one,
        // cursors issued after it carry it, and only the former are reset.
        self.mutate(|s| {
            s.tree.seq += 1;
            let floor = s.tree.seq;
            for n in &nsids {
                s.tree.ns_mut(n).cursor_floor = floor;
            }
        });
        Ok(())
    }

    pub fn add_fault(&self, fault: FaultSpec) {
        lock(&self.faults).push(fault);
    }

    /// Faults not yet used up. A fault is used when its request arrives, before any delay it adds.
    pub fn faults(&self) -> Vec<FaultSpec> {
        lock(&self.faults).clone()
    }

    pub fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    /// Takes the first fault matching `route`, counting it down.
    pub(crate) fn take_fault(&self, route: &str) -> Option<super::observe::FaultKind> {
        let mut faults = lock(&self.faults);
        let idx = faults
            .iter()
            .position(|f| f.matches(route) && f.times > 0)?;
        let kind = faults[idx].kind.clone();
        faults[idx].times -= 1;
        if faults[idx].times == 0 {
            faults.remove(idx);
        }
        Some(kind)
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }
}
