//! The tower-sessions store over Wharf's own database, so that sessions survive a restart and are
//! shared by every instance that uses the same PostgreSQL.
//!
//! The session id is the secret in the browser's cookie; the table keeps only its SHA-256, so a
//! copy of the database (or a backup) holds no cookie anyone could present. Look-ups hash the id
//! the cookie names.
use async_trait::async_trait;
use entity::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The key a session is stored under: SHA-256 of its id, in hex (64 characters).
pub fn storage_key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn active_model(record: &Record) -> session_store::Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(storage_key(&record.id)),
        data: Set(serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?),
        expires_at: Set(record.expiry_date),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is all but impossible, but must never merge two sessions.
        loop {
            let taken = session::Entity::find_by_id(storage_key(&record.id))
                .one(&self.db)
                .await
                .map_err(backend)?
                .is_some();
            if !taken {
                break;
            }
            record.id = Id::default();
        }
        session::Entity::insert(active_model(record)?)
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(active_model(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(storage_key(id))
            .filter(session::Column::ExpiresAt.gt(OffsetDateTime::now_utc()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: row.expires_at,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(storage_key(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(OffsetDateTime::now_utc()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::memory_db;
    use std::collections::HashMap;
    use time::Duration;

    fn record(expiry: OffsetDateTime) -> Record {
        let mut data = HashMap::new();
        data.insert("user_id".to_owned(), serde_json::json!(7));
        Record {
            id: Id::default(),
            data,
            expiry_date: expiry,
        }
    }

    #[tokio::test]
    async fn a_saved_session_loads_back_until_it_expires() {
        let store = DbSessionStore::new(memory_db().await);
        let mut live = record(OffsetDateTime::now_utc() + Duration::hours(1));
        store.create(&mut live).await.unwrap();
        let loaded = store.load(&live.id).await.unwrap().expect("live session");
        assert_eq!(loaded.data, live.data);

        let mut stale = record(OffsetDateTime::now_utc() - Duration::seconds(1));
        store.create(&mut stale).await.unwrap();
        assert!(store.load(&stale.id).await.unwrap().is_none());

        store.delete_expired().await.unwrap();
        assert_eq!(
            session::Entity::find().all(&store.db).await.unwrap().len(),
            1
        );
        store.delete(&live.id).await.unwrap();
        assert!(store.load(&live.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_table_holds_a_hash_of_the_id_never_the_id() {
        let store = DbSessionStore::new(memory_db().await);
        let mut rec = record(OffsetDateTime::now_utc() + Duration::hours(1));
        store.create(&mut rec).await.unwrap();
        let rows = session::Entity::find().all(&store.db).await.unwrap();
        let cookie_value = rec.id.to_string();

        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].id, cookie_value);
        assert!(!rows[0].id.contains(&cookie_value));
        assert_eq!(rows[0].id, storage_key(&rec.id));
        assert_eq!(rows[0].id.len(), 64);
        // Knowing the stored key is no way in: it is not an id the store accepts.
        let key_as_id = rows[0].id.parse::<Id>();
        if let Ok(id) = key_as_id {
            assert!(store.load(&id).await.unwrap().is_none());
        }
        assert_eq!(store.load(&rec.id).await.unwrap().unwrap().id, rec.id);
    }

    #[tokio::test]
    async fn saving_again_replaces_data_and_expiry() {
        let store = DbSessionStore::new(memory_db().await);
        let mut rec = record(OffsetDateTime::now_utc() + Duration::hours(1));
        store.create(&mut rec).await.unwrap();
        rec.data.insert("user_id".to_owned(), serde_json::json!(8));
        store.save(&rec).await.unwrap();
        let loaded = store.load(&rec.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["user_id"], serde_json::json!(8));
    }
}
