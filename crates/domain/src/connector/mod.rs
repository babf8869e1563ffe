//! Connecting a data source to Dropbox: Authorize (OAuth with PKCE and a one-time state), the
//! callback, Test connection, and revoking the grant when the data source goes.
mod cache;
mod created;
mod files;
mod items;
mod lookup;
mod pattern;
mod read_ahead;
mod thumbnails;
mod token_store;
mod writes;

pub use created::CREATED_CACHE_ENTRIES;
pub use files::{Entry, FilesError, FolderPage, MAX_QUERY_CHARS, PAGE_LIMIT};
pub use items::FIND_PAGE_LIMIT;
pub use pattern::FilePattern;
pub use read_ahead::READ_AHEAD_PAGES;
pub use thumbnails::{THUMBNAIL_CACHE_BYTES, THUMBNAIL_SIZE, Thumbnail};
pub use token_store::{DbTokenStore, REAUTHORIZE_HINT};
pub use writes::DropboxWriter;

use crate::db::begin_write;
use crate::oauth_states::{self, StateError};
use crate::vault::Vault;
use crate::{AuthenticatedUser, audit, data_sources};
use dropbox::{
    ConnectionInfo, DropboxClient, DropboxError, DropboxHub, ListOptions, Secret, Space,
};
use entity::{data_source, dropbox_credential};
use futures::StreamExt;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use token_store::{access_context, refresh_context};
use wharf_types::{DataSourceStatus, DropboxSettings, DropboxSpace};

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("There is no such data source; it may have been deleted.")]
    NotFound,
    #[error("Dropbox is not configured on this Wharf (no app key).")]
    NotConfigured,
    #[error("{0}")]
    State(#[from] StateError),
    #[error("{}", .0.user_message())]
    Dropbox(#[from] DropboxError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// How the person answered on Dropbox's page.
#[derive(Debug)]
pub enum CallbackOutcome {
    Code(String),
    /// Cancel on Dropbox's page (`error=access_denied`) or any other refusal, with Dropbox's words.
    Refused(String),
}

/// What the callback did, for the page it leads back to.
#[derive(Debug)]
pub enum Authorization {
    Connected {
        data_source_id: i32,
        test: TestReport,
    },
    Cancelled {
        data_source_id: i32,
    },
}

/// The result of Test connection.
#[derive(Clone, Debug)]
pub struct TestReport {
    pub ok: bool,
    /// "Connection test succeeded" or the reason with what to do.
    pub message: String,
    pub account: Option<ConnectionInfo>,
    pub status: DataSourceStatus,
}

/// What deleting did at Dropbox.
#[derive(Debug, PartialEq, Eq)]
pub enum RevokeOutcome {
    NotConnected,
    Revoked,
    /// Dropbox could not be reached or refused; the grant may still be listed in the account's
    /// connected apps.
    Failed(String),
}

pub const TEST_SUCCEEDED: &str = "Connection test succeeded";

#[derive(Clone)]
pub struct DropboxConnector {
    db: DatabaseConnection,
    vault: Vault,
    hub: DropboxHub,
    /// Shared by every clone: the server clones the connector into each request.
    thumbnails: Arc<thumbnails::ThumbnailCache>,
    created: Arc<created::CreatedCache>,
    read_ahead: Arc<read_ahead::ReadAhead>,
}

impl std::fmt::Debug for DropboxConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DropboxConnector(..)")
    }
}

impl DropboxConnector {
    pub fn new(db: DatabaseConnection, vault: Vault, hub: DropboxHub) -> Self {
        Self {
            db,
            vault,
            hub,
            thumbnails: Arc::new(thumbnails::new_cache()),
            created: Arc::new(created::new_cache()),
            read_ahead: Arc::new(read_ahead::ReadAhead::new(READ_AHEAD_PAGES)),
        }
    }

    fn key(id: i32) -> String {
        format!("data_source:{id}")
    }

    /// A Dropbox client for the data source, in the space its settings choose.
    pub fn client(&self, id: i32, settings: &DropboxSettings) -> DropboxClient {
        let store = Arc::new(DbTokenStore {
            db: self.db.clone(),
            vault: self.vault.clone(),
            data_source_id: id,
        });
        let space = match settings.space {
            DropboxSpace::MyFiles => Space::MyFiles,
            DropboxSpace::TeamSpace => Space::TeamSpace,
        };
        self.hub.client(&Self::key(id), store, space)
    }

    /// Where to send the browser to authorize `id`; the state and PKCE verifier stay on the server.
    pub async fn begin_authorization(
        &self,
        id: i32,
        user: &AuthenticatedUser,
    ) -> Result<String, ConnectorError> {
        let oauth = self.hub.oauth().ok_or(ConnectorError::NotConfigured)?;
        data_source::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ConnectorError::NotFound)?;
        let state = oauth_states::new_state();
        let (url, verifier) = oauth.authorize_url(&state);
        oauth_states::store(
            &self.db,
            &self.vault,
            &state,
            id,
            user.id,
            verifier.expose(),
        )
        .await?;
        Ok(url.to_string())
    }

    /// Handles Dropbox's redirect: the state must be this user's, unused and fresh. On a code, the
    /// tokens are stored sealed (an earlier grant is revoked) and the connection is tested at once.
    pub async fn complete_authorization(
        &self,
        state: &str,
        outcome: CallbackOutcome,
        user: &AuthenticatedUser,
    ) -> Result<Authorization, ConnectorError> {
        let pending = oauth_states::consume(&self.db, &self.vault, state, user.id).await?;
        let id = pending.data_source_id;
        let code = match outcome {
            CallbackOutcome::Code(code) => code,
            CallbackOutcome::Refused(reason) => {
                tracing::info!(
                    data_source_id = id,
                    "authorization refused on Dropbox: {reason}"
                );
                audit::record(
                    &self.db,
                    id,
                    Some(user),
                    "authorization_cancelled",
                    "Authorization was cancelled on Dropbox",
                )
                .await?;
                return Ok(Authorization::Cancelled { data_source_id: id });
            }
        };
        let oauth = self.hub.oauth().ok_or(ConnectorError::NotConfigured)?;
        let tokens = oauth
            .exchange_code(&code, &Secret::new(pending.pkce_verifier))
            .await?;
        if let Some(previous) = dropbox_credential::Entity::find_by_id(id)
            .one(&self.db)
            .await?
        {
            self.revoke_grant(id, &previous).await;
        }
        let now = OffsetDateTime::now_utc();
        let row = dropbox_credential::ActiveModel {
            data_source_id: Set(id),
            access_token: Set(self
                .vault
                .seal(tokens.access_token.expose(), &access_context(id))),
            refresh_token: Set(tokens
                .refresh_token
                .as_ref()
                .map(|r| self.vault.seal(r.expose(), &refresh_context(id)))),
            expires_at: Set(tokens.expires_at),
            last_refresh_at: Set(None),
            account_id: Set(tokens.account_id.clone().unwrap_or_default()),
            account_name: Set(String::new()),
            account_email: Set(String::new()),
            account_type: Set(String::new()),
            has_team_space: Set(false),
            used_bytes: Set(None),
            allocated_bytes: Set(None),
            authorized_at: Set(now),
            authorized_by: Set(Some(user.id)),
        };
        let txn = begin_write(&self.db).await?;
        dropbox_credential::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        dropbox_credential::Entity::insert(row).exec(&txn).await?;
        audit::record(
            &txn,
            id,
            Some(user),
            "authorized",
            "Authorized Wharf to use a Dropbox account",
        )
        .await?;
        txn.commit().await?;
        self.hub.invalidate(&Self::key(id)).await;
        self.forget_cached(id);
        let test = self.test_connection(id, Some(user)).await?;
        Ok(Authorization::Connected {
            data_source_id: id,
            test,
        })
    }

    /// Calls Dropbox as the data source: the account, its quota and one entry of the root folder.
    /// The outcome becomes the data source's status and is audited.
    pub async fn test_connection(
        &self,
        id: i32,
        actor: Option<&AuthenticatedUser>,
    ) -> Result<TestReport, ConnectorError> {
        let ds = data_source::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ConnectorError::NotFound)?;
        let settings = data_sources::settings_of(&ds);
        let credentials = dropbox_credential::Entity::find_by_id(id)
            .one(&self.db)
            .await?;
        let (ok, message, account) = match &credentials {
            None => (
                false,
                "Authorize Wharf to use a Dropbox account first.".to_owned(),
                None,
            ),
            Some(_) => match self.probe(id, &settings).await {
                Ok(info) if settings.space == DropboxSpace::TeamSpace && !info.has_team_space => (
                    false,
                    "This Dropbox account has no team space. Choose “My files” as the space."
                        .to_owned(),
                    Some(info),
                ),
                Ok(info) => (true, TEST_SUCCEEDED.to_owned(), Some(info)),
                Err(e) => (false, failure_message(&e, &settings), None),
            },
        };
        if let (Some(row), Some(info)) = (credentials, &account) {
            let mut active: dropbox_credential::ActiveModel = row.into();
            active.account_id = Set(info.account_id.clone());
            active.account_name = Set(info.display_name.clone());
            active.account_email = Set(info.email.clone());
            active.account_type = Set(info.account_type.to_owned());
            active.has_team_space = Set(info.has_team_space);
            active.used_bytes = Set(i64::try_from(info.used_bytes).ok());
            active.allocated_bytes = Set(info.allocated_bytes.and_then(|b| i64::try_from(b).ok()));
            active.update(&self.db).await?;
        }
        let mut active: data_source::ActiveModel = ds.into();
        active.last_test_at = Set(Some(OffsetDateTime::now_utc()));
        active.last_test_ok = Set(Some(ok));
        active.status_message = Set((!ok).then(|| message.clone()));
        let updated = active.update(&self.db).await?;
        let status = data_sources::recompute_status(&self.db, updated).await?;
        let detail = if ok {
            TEST_SUCCEEDED.to_owned()
        } else {
            format!("Connection test failed: {message}")
        };
        audit::record(&self.db, id, actor, "tested", detail).await?;
        Ok(TestReport {
            ok,
            message,
            account,
            status,
        })
    }

    async fn probe(
        &self,
        id: i32,
        settings: &DropboxSettings,
    ) -> Result<ConnectionInfo, DropboxError> {
        let client = self.client(id, settings);
        let info = client.test_connection().await?;
        let mut pages = client.list_folder(ListOptions {
            path: settings.root_folder.clone(),
            limit: Some(1),
            ..Default::default()
        });
        match pages.next().await {
            Some(Err(e)) => Err(e),
            _ => Ok(info),
        }
    }

    /// Before deleting a data source: revoke its grant at Dropbox, saying whether that worked.
    pub async fn revoke_for_delete(&self, id: i32) -> Result<RevokeOutcome, ConnectorError> {
        self.forget_cached(id);
        match dropbox_credential::Entity::find_by_id(id)
            .one(&self.db)
            .await?
        {
            None => Ok(RevokeOutcome::NotConnected),
            Some(row) => Ok(self.revoke_grant(id, &row).await),
        }
    }

    /// Revokes a stored grant, refreshing first when the access token has expired (revoking with an
    /// expired token would leave the refresh token alive).
    async fn revoke_grant(&self, id: i32, row: &dropbox_credential::Model) -> RevokeOutcome {
        let Some(oauth) = self.hub.oauth() else {
            return RevokeOutcome::Failed("Dropbox is not configured".into());
        };
        let store = DbTokenStore {
            db: self.db.clone(),
            vault: self.vault.clone(),
            data_source_id: id,
        };
        let tokens = match store.open(row) {
            Ok(t) => t,
            Err(e) => return RevokeOutcome::Failed(e.to_string()),
        };
        let access = match (
            &tokens.refresh_token,
            tokens.expires_within(Duration::from_secs(60)),
        ) {
            (Some(refresh), true) => match oauth.refresh(refresh).await {
                Ok(fresh) => fresh.access_token,
                // a refused refresh token is as good as revoked
                Err(DropboxError::ReauthorizationRequired(_)) => return RevokeOutcome::Revoked,
                Err(e) => return RevokeOutcome::Failed(e.user_message()),
            },
            _ => tokens.access_token,
        };
        match oauth.revoke(&access).await {
            Ok(()) => RevokeOutcome::Revoked,
            Err(e) => {
                tracing::warn!(
                    data_source_id = id,
                    "revoking the Dropbox grant failed: {e}"
                );
                RevokeOutcome::Failed(e.user_message())
            }
        }
    }
}

/// The test failure as the status shows it: what happened and what to do.
fn failure_message(e: &DropboxError, settings: &DropboxSettings) -> String {
    match e {
        DropboxError::ReauthorizationRequired(_) => REAUTHORIZE_HINT.to_owned(),
        DropboxError::NotFound(_) => format!(
            "The root folder “{}” does not exist in this Dropbox. Create it or choose another root folder.",
            settings.root_folder
        ),
        other => other.user_message(),
    }
}

/// What the connector page shows about the connected account — never a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionFacts {
    pub account_name: String,
    pub account_email: String,
    pub account_type: String,
    pub has_team_space: bool,
    pub used_bytes: Option<i64>,
    pub allocated_bytes: Option<i64>,
    pub expires_at: Option<OffsetDateTime>,
    pub last_refresh_at: Option<OffsetDateTime>,
    pub authorized_at: OffsetDateTime,
}

impl DropboxConnector {
    pub async fn connection(&self, id: i32) -> Result<Option<ConnectionFacts>, DbErr> {
        Ok(dropbox_credential::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(|c| ConnectionFacts {
                account_name: c.account_name,
                account_email: c.account_email,
                account_type: c.account_type,
                has_team_space: c.has_team_space,
                used_bytes: c.used_bytes,
                allocated_bytes: c.allocated_bytes,
                expires_at: c.expires_at,
                last_refresh_at: c.last_refresh_at,
                authorized_at: c.authorized_at,
            }))
    }
}
