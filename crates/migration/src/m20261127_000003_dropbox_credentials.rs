//! What connecting a data source to Dropbox stores: the encrypted tokens and account of each data
//! source, and the one-time `state` of each authorization in progress.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_identity::Users;
use crate::m20261127_000002_data_sources::DataSources;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthStates::Table)
                    .col(string_len(OauthStates::State, 64).primary_key())
                    .col(integer(OauthStates::DataSourceId))
                    .col(integer(OauthStates::UserId))
                    // the PKCE verifier, sealed by the vault
                    .col(text(OauthStates::PkceVerifier))
                    .col(timestamp_with_time_zone(OauthStates::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_states_data_source")
                            .from(OauthStates::Table, OauthStates::DataSourceId)
                            .to(DataSources::Table, DataSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_states_user")
                            .from(OauthStates::Table, OauthStates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthStates::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    State,
    DataSourceId,
    UserId,
    PkceVerifier,
    ExpiresAt,
}
