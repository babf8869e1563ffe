//! A client for one data source, and its account calls (used by "Test connection").

use crate::auth::TokenManager;
use crate::call::Retry;
use crate::error::DropboxError;
use crate::hub::HubInner;
use dropbox_sdk::common::{PathRoot, RootInfo};
use dropbox_sdk::users::{self, FullAccount, SpaceAllocation, SpaceUsage};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Which part of the account paths address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Space {
    /// The user's own files (home namespace).
    #[default]
    MyFiles,
    /// The team space (root namespace) of a team member; same as `MyFiles` for other accounts.
    TeamSpace,
}

/// What "Test connection" shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub used_bytes: u64,
    pub allocated_bytes: Option<u64>,
    /// The account has a team space distinct from its home folder.
    pub has_team_space: bool,
    /// Dropbox's plan: "Basic", "Plus/Professional" or "Business".
    pub account_type: &'static str,
}

/// Dropbox for one data source. Cheap to clone.
#[derive(Clone)]
pub struct DropboxClient {
    pub(crate) hub: Arc<HubInner>,
    pub(crate) tokens: Arc<TokenManager>,
    key: Arc<str>,
    space: Space,
    /// The `Dropbox-API-Path-Root` header for this space, learned once from the account.
    root: Arc<OnceCell<Option<String>>>,
}

impl DropboxClient {
    pub(crate) fn new(
        hub: Arc<HubInner>,
        key: &str,
        tokens: Arc<TokenManager>,
        space: Space,
    ) -> Self {
        Self {
            hub,
            tokens,
            key: key.into(),
            space,
            root: Arc::new(OnceCell::new()),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn space(&self) -> Space {
        self.space
    }

    pub(crate) fn chunk_size(&self) -> usize {
        self.hub.chunk_size
    }

    pub(crate) async fn path_root(&self) -> Result<Option<String>, DropboxError> {
        if self.space == Space::MyFiles {
            return Ok(None);
        }
        let root = self
            .root
            .get_or_try_init(|| async {
                let account = self.current_account().await?;
                Ok::<_, DropboxError>(team_root_header(&account))
            })
            .await?;
        Ok(root.clone())
    }

    /// The connected account.
    pub async fn current_account(&self) -> Result<FullAccount, DropboxError> {
        self.run_in(None, Retry::Safe, |c| async move {
            users::get_current_account(&c).await
        })
        .await
    }

    pub async fn space_usage(&self) -> Result<SpaceUsage, DropboxError> {
        self.run_in(None, Retry::Safe, |c| async move {
            users::get_space_usage(&c).await
        })
        .await
    }

    /// Account and quota in one go, for the connector page's "Test connection".
    pub async fn test_connection(&self) -> Result<ConnectionInfo, DropboxError> {
        let account = self.current_account().await?;
        let usage = self.space_usage().await?;
        let allocated_bytes = match &usage.allocation {
            SpaceAllocation::Individual(i) => Some(i.allocated),
            SpaceAllocation::Team(t) => Some(t.allocated),
            _ => None,
        };
        let account_type = match account.account_type {
            dropbox_sdk::users_common::AccountType::Basic => "Basic",
            dropbox_sdk::users_common::AccountType::Pro => "Plus/Professional",
            dropbox_sdk::users_common::AccountType::Business => "Business",
        };
        Ok(ConnectionInfo {
            account_type,
            has_team_space: team_root_header(&account).is_some(),
            account_id: account.account_id,
            email: account.email,
            display_name: account.name.display_name,
            used_bytes: usage.used,
            allocated_bytes,
        })
    }
}

/// `Dropbox-API-Path-Root` selecting the team space, when it differs from the home namespace.
fn team_root_header(account: &FullAccount) -> Option<String> {
    let RootInfo::Team(team) = &account.root_info else {
        return None;
    };
    if team.root_namespace_id == team.home_namespace_id {
        return None;
    }
    serde_json::to_string(&PathRoot::Root(team.root_namespace_id.clone())).ok()
}
