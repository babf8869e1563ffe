//! Sessions are now stored under the SHA-256 of their id, no longer the id itself. Rows stored the
//! old way hold live cookie values and would never be found again: they are deleted, so everyone
//! signs in once more (nothing else is lost).
use sea_orm_migration::prelude::*;

use crate::m20261127_000001_identity::Sessions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(Query::delete().from_table(Sessions::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Hashed keys cannot be turned back into ids: going back signs everyone out again.
        manager
            .exec_stmt(Query::delete().from_table(Sessions::Table).to_owned())
            .await
    }
}
