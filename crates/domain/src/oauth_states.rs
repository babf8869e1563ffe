//! The one-time `state` of an OAuth authorization: issued when an administrator clicks Authorize,
//! consumed by the callback. A state is good once, for ten minutes, for the user who started it.
use crate::vault::Vault;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::oauth_state;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use time::{Duration, OffsetDateTime};

pub const STATE_LIFETIME: Duration = Duration::minutes(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    #[error(
        "This authorization link is unknown or has already been used. Start again with Authorize."
    )]
    UnknownOrUsed,
    #[error("This authorization took longer than ten minutes. Start again with Authorize.")]
    Expired,
    #[error("This authorization was started by someone else. Start your own with Authorize.")]
    ForeignUser,
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// What a consumed state was issued for.
#[derive(Debug, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub data_source_id: i32,
    pub pkce_verifier: String,
}

fn context(state: &str) -> String {
    format!("oauth_state:{state}:pkce_verifier")
}

/// A fresh state: 256 random bits, URL-safe.
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Keeps `state` (from [`new_state`]) for `user_id` authorizing `data_source_id`, with the PKCE verifier
/// sealed beside it. Expired states are swept on the way.
pub async fn store(
    db: &impl ConnectionTrait,
    vault: &Vault,
    state: &str,
    data_source_id: i32,
    user_id: i32,
    pkce_verifier: &str,
) -> Result<(), StateError> {
    let now = OffsetDateTime::now_utc();
    oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    oauth_state::ActiveModel {
        state: Set(state.to_owned()),
        data_source_id: Set(data_source_id),
        user_id: Set(user_id),
        pkce_verifier: Set(vault.seal(pkce_verifier, &context(state))),
        expires_at: Set(now + STATE_LIFETIME),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Consumes `state` for `user_id`. The row is deleted whatever the outcome for its owner, so a state
/// never works twice; a foreign user's attempt leaves it to its owner.
pub async fn consume(
    db: &impl ConnectionTrait,
    vault: &Vault,
    state: &str,
    user_id: i32,
) -> Result<PendingAuthorization, StateError> {
    let row = oauth_state::Entity::find_by_id(state.to_owned())
        .one(db)
        .await?
        .ok_or(StateError::UnknownOrUsed)?;
    if row.user_id != user_id {
        return Err(StateError::ForeignUser);
    }
    // Deleting with a filter on the key makes "used once" hold even for two callbacks racing.
    let deleted = oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::State.eq(state))
        .exec(db)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(StateError::UnknownOrUsed);
    }
    if row.expires_at <= OffsetDateTime::now_utc() {
        return Err(StateError::Expired);
    }
    let pkce_verifier = vault
        .open_sealed(&row.pkce_verifier, &context(state))
        .map_err(|_| StateError::UnknownOrUsed)?;
    Ok(PendingAuthorization {
        data_source_id: row.data_source_id,
        pkce_verifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{dropbox_source, memory_db, person, signed_in};
    use sea_orm::DatabaseConnection;
    use wharf_types::Role;

    async fn setup() -> (DatabaseConnection, Vault, i32, i32, i32) {
        let db = memory_db().await;
        let ann = person(&db, "ann", &[Role::Administrator]).await;
        let bob = person(&db, "bob", &[Role::Administrator]).await;
        let ds = dropbox_source(&db, "D", &signed_in(&db, ann).await)
            .await
            .unwrap();
        (db, Vault::from_key(&[3; 32]), ds, ann, bob)
    }

    #[tokio::test]
    async fn a_state_works_once_for_its_user() {
        let (db, vault, ds, ann, _) = setup().await;
        let state = new_state();
        store(&db, &vault, &state, ds, ann, "verifier-123")
            .await
            .unwrap();
        assert_eq!(state.len(), 43);
        let pending = consume(&db, &vault, &state, ann).await.unwrap();
        assert_eq!(
            pending,
            PendingAuthorization {
                data_source_id: ds,
                pkce_verifier: "verifier-123".into()
            }
        );
        assert_eq!(
            consume(&db, &vault, &state, ann).await,
            Err(StateError::UnknownOrUsed),
            "replay"
        );
    }

    #[tokio::test]
    async fn another_users_callback_is_refused_and_leaves_the_state_to_its_owner() {
        let (db, vault, ds, ann, bob) = setup().await;
        let state = new_state();
        store(&db, &vault, &state, ds, ann, "v").await.unwrap();
        assert_eq!(
            consume(&db, &vault, &state, bob).await,
            Err(StateError::ForeignUser)
        );
        assert!(consume(&db, &vault, &state, ann).await.is_ok());
    }

    #[tokio::test]
    async fn an_expired_state_is_refused() {
        let (db, vault, ds, ann, _) = setup().await;
        let state = new_state();
        store(&db, &vault, &state, ds, ann, "v").await.unwrap();
        let mut row: oauth_state::ActiveModel = oauth_state::Entity::find_by_id(state.clone())
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.expires_at = Set(OffsetDateTime::now_utc() - Duration::seconds(1));
        row.update(&db).await.unwrap();
        assert_eq!(
            consume(&db, &vault, &state, ann).await,
            Err(StateError::Expired)
        );
        assert_eq!(
            consume(&db, &vault, &state, ann).await,
            Err(StateError::UnknownOrUsed)
        );
    }

    #[tokio::test]
    async fn unknown_states_are_refused_and_the_verifier_is_not_stored_in_clear() {
        let (db, vault, ds, ann, _) = setup().await;
        assert_eq!(
            consume(&db, &vault, "made-up", ann).await,
            Err(StateError::UnknownOrUsed)
        );
        let state = new_state();
        store(&db, &vault, &state, ds, ann, "plain-verifier")
            .await
            .unwrap();
        let row = oauth_state::Entity::find_by_id(state)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(!row.pkce_verifier.contains("plain-verifier"));
    }
}
