//! Where a data source's Dropbox tokens live: sealed in `dropbox_credentials`, opened only to call
//! Dropbox. The client refreshes through this store and reports here when Dropbox refuses.
use crate::vault::Vault;
use async_trait::async_trait;
use dropbox::{Secret, TokenSet, TokenStore, TokenStoreError};
use entity::{data_source, dropbox_credential};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use time::OffsetDateTime;

pub(crate) fn access_context(data_source_id: i32) -> String {
    format!("data_source:{data_source_id}:access_token")
}

pub(crate) fn refresh_context(data_source_id: i32) -> String {
    format!("data_source:{data_source_id}:refresh_token")
}

/// What the status says when Dropbox refuses the refresh token.
pub const REAUTHORIZE_HINT: &str = "Dropbox refused the refresh token: authorize again.";

pub struct DbTokenStore {
    pub db: DatabaseConnection,
    pub vault: Vault,
    pub data_source_id: i32,
}

impl DbTokenStore {
    pub(crate) fn open(
        &self,
        row: &dropbox_credential::Model,
    ) -> Result<TokenSet, TokenStoreError> {
        let id = self.data_source_id;
        let access = self
            .vault
            .open_sealed(&row.access_token, &access_context(id))
            .map_err(TokenStoreError::new)?;
        let refresh = match &row.refresh_token {
            Some(sealed) => Some(Secret::new(
                self.vault
                    .open_sealed(sealed, &refresh_context(id))
                    .map_err(TokenStoreError::new)?,
            )),
            None => None,
        };
        Ok(TokenSet {
            access_token: Secret::new(access),
            refresh_token: refresh,
            expires_at: row.expires_at,
            account_id: Some(row.account_id.clone()),
            scope: None,
        })
    }
}

#[async_trait]
impl TokenStore for DbTokenStore {
    async fn load(&self) -> Result<TokenSet, TokenStoreError> {
        let row = dropbox_credential::Entity::find_by_id(self.data_source_id)
            .one(&self.db)
            .await
            .map_err(TokenStoreError::new)?
            .ok_or_else(|| TokenStoreError::new("the data source is not authorized"))?;
        self.open(&row)
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let id = self.data_source_id;
        let row = dropbox_credential::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(TokenStoreError::new)?
            .ok_or_else(|| TokenStoreError::new("the data source is not authorized"))?;
        let mut active: dropbox_credential::ActiveModel = row.into();
        active.access_token = Set(self
            .vault
            .seal(tokens.access_token.expose(), &access_context(id)));
        if let Some(refresh) = &tokens.refresh_token {
            active.refresh_token = Set(Some(
                self.vault.seal(refresh.expose(), &refresh_context(id)),
            ));
        }
        active.expires_at = Set(tokens.expires_at);
        active.last_refresh_at = Set(Some(OffsetDateTime::now_utc()));
        active
            .update(&self.db)
            .await
            .map_err(TokenStoreError::new)?;
        Ok(())
    }

    async fn reauthorization_required(&self, reason: &str) -> Result<(), TokenStoreError> {
        tracing::warn!(
            data_source_id = self.data_source_id,
            "Dropbox refused the refresh token: {reason}"
        );
        let Some(row) = data_source::Entity::find_by_id(self.data_source_id)
            .one(&self.db)
            .await
            .map_err(TokenStoreError::new)?
        else {
            return Ok(());
        };
        // Recorded as a failed test, so the status comes from the one rule in data_sources.
        let mut active: data_source::ActiveModel = row.into();
        active.last_test_ok = Set(Some(false));
        active.status_message = Set(Some(REAUTHORIZE_HINT.to_owned()));
        let updated = active
            .update(&self.db)
            .await
            .map_err(TokenStoreError::new)?;
        crate::data_sources::recompute_status(&self.db, updated)
            .await
            .map_err(TokenStoreError::new)?;
        Ok(())
    }
}
