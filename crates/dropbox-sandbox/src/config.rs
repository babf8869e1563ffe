//! Configuration of a sandbox and the specs used to create apps, accounts and tokens.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Dropbox's single-request upload limit (150 MiB).
pub const DEFAULT_MAX_UPLOAD: u64 = 150 * 1024 * 1024;

/// How a sandbox is started.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to bind; port 0 picks a free port. Default `127.0.0.1:0`.
    pub addr: SocketAddr,
    /// Directory for state and file contents that survive a restart. `None`: a temporary directory removed
    /// when the sandbox is dropped.
    pub data_dir: Option<PathBuf>,
    /// Serve the test control API under `/__sandbox/`. Off by default.
    pub control_api: bool,
    /// Lifetime of access tokens (`expires_in`), default 4 hours like Dropbox.
    pub access_token_ttl: Duration,
    /// Lifetime of authorization codes, default 10 minutes.
    pub auth_code_ttl: Duration,
    /// Lifetime of links from `files/get_temporary_link`, default 4 hours.
    pub temporary_link_ttl: Duration,
    /// Upper bound on how long `list_folder/longpoll` blocks, whatever `timeout` the client asks for
    /// (tests use a short one). `None`: honour the client's timeout.
    pub longpoll_max_wait: Option<Duration>,
    /// `backoff` to include in longpoll answers, if any.
    pub longpoll_backoff: Option<u64>,
    /// Largest body accepted by `files/upload` and each upload-session call.
    pub max_upload_bytes: u64,
    /// How long an asynchronous batch job (`delete_batch`, `copy_batch_v2`, `move_batch_v2`,
    /// `upload_session/finish_batch`) stays `in_progress` before it runs. Default: none.
    pub async_job_delay: Duration,
    /// Apps registered at start (in addition to those already in `data_dir`).
    pub apps: Vec<AppSpec>,
    /// Accounts created at start. When empty and no state is loaded, one default account is created.
    pub accounts: Vec<AccountSpec>,
    /// Base URL used in links the sandbox hands out (temporary links). Default: the sandbox's base URL.
    pub public_url: Option<String>,
    /// Serve https with this PEM certificate chain (together with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            control_api: false,
            access_token_ttl: Duration::from_secs(14_400),
            auth_code_ttl: Duration::from_secs(600),
            temporary_link_ttl: Duration::from_secs(4 * 3600),
            longpoll_max_wait: None,
            longpoll_backoff: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD,
            async_job_delay: Duration::ZERO,
            apps: Vec::new(),
            accounts: Vec::new(),
            public_url: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl SandboxConfig {
    /// A configuration for tests: control API on, longpoll capped at one second.
    pub fn for_tests() -> Self {
        Self {
            control_api: true,
            longpoll_max_wait: Some(Duration::from_secs(1)),
            ..Self::default()
        }
    }

    pub fn with_app(mut self, app: AppSpec) -> Self {
        self.apps.push(app);
        self
    }

    pub fn with_account(mut self, account: AccountSpec) -> Self {
        self.accounts.push(account);
        self
    }
}

/// A Dropbox app (what the App Console holds).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppSpec {
    /// App key (`client_id`). Generated when empty.
    #[serde(default)]
    pub key: String,
    /// App secret. Generated when empty.
    #[serde(default)]
    pub secret: String,
    /// Name shown on the authorize page.
    #[serde(default = "default_app_name")]
    pub name: String,
    /// Exact redirect URIs accepted by `/oauth2/authorize`.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Scopes the app may be granted (what the App Console's Permissions tab holds). Default: every scope
    /// the sandbox knows, so a flow that asks for no particular scope gets everything.
    #[serde(default = "crate::scopes::all")]
    pub scopes: Vec<String>,
}

fn default_app_name() -> String {
    "Sandbox App".to_string()
}

impl AppSpec {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
            name: default_app_name(),
            redirect_uris: Vec::new(),
            scopes: crate::scopes::all(),
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Registers the app with exactly these scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

/// Dropbox account plans (`users.AccountType`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    #[default]
    Basic,
    Pro,
    Business,
}

impl AccountType {
    pub fn tag(self) -> &'static str {
        match self {
            AccountType::Basic => "basic",
            AccountType::Pro => "pro",
            AccountType::Business => "business",
        }
    }
}

/// A sandbox account to create.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountSpec {
    pub email: String,
    #[serde(default = "default_given")]
    pub given_name: String,
    #[serde(default = "default_surname")]
    pub surname: String,
    #[serde(default)]
    pub account_type: AccountType,
    /// Make the account a member of a team: its root namespace (the team space) differs from its home.
    /// Members created with the same team name share the team space.
    #[serde(default)]
    pub team: Option<String>,
    /// Quota reported by `users/get_space_usage`, bytes.
    #[serde(default = "default_quota")]
    pub quota: u64,
}

fn default_given() -> String {
    "Sandbox".into()
}
fn default_surname() -> String {
    "User".into()
}
fn default_quota() -> u64 {
    2 * 1024 * 1024 * 1024
}

impl AccountSpec {
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            given_name: default_given(),
            surname: default_surname(),
            account_type: AccountType::Basic,
            team: None,
            quota: default_quota(),
        }
    }

    pub fn named(mut self, given: impl Into<String>, surname: impl Into<String>) -> Self {
        self.given_name = given.into();
        self.surname = surname.into();
        self
    }

    pub fn team_member(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self.account_type = AccountType::Business;
        self
    }
}

/// A token issued directly by the control API, bypassing OAuth.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenSpec {
    pub account_id: String,
    /// Which app the token belongs to; the first registered app when empty.
    #[serde(default)]
    pub app_key: String,
    /// Seconds until the access token expires; 0 or negative issues an already-expired token.
    #[serde(default = "default_expires_in")]
    pub expires_in: i64,
    /// Also issue a refresh token.
    #[serde(default)]
    pub offline: bool,
    /// Scopes of the grant; `None` gives every scope of the app. Must be among the app's scopes.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

fn default_expires_in() -> i64 {
    14_400
}

impl TokenSpec {
    pub fn new(account_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            app_key: String::new(),
            expires_in: default_expires_in(),
            offline: false,
            scopes: None,
        }
    }

    /// A token with exactly these scopes.
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }
}

/// Tokens handed out by OAuth or the control API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub account_id: String,
    pub uid: String,
    /// The granted scopes, space-separated as in a token response.
    #[serde(default)]
    pub scope: String,
}
