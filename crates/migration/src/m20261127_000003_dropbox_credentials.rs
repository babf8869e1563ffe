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
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DropboxCredentials::Table)
                    .col(integer(DropboxCredentials::DataSourceId).primary_key())
                    // access and refresh tokens, sealed by the vault (AES-256-GCM, bound to the row)
                    .col(text(DropboxCredentials::AccessToken))
                    .col(text_null(DropboxCredentials::RefreshToken))
                    .col(timestamp_with_time_zone_null(DropboxCredentials::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        DropboxCredentials::LastRefreshAt,
                    ))
                    .col(string_len(DropboxCredentials::AccountId, 64))
                    .col(string_len(DropboxCredentials::AccountName, 200))
                    .col(string_len(DropboxCredentials::AccountEmail, 254))
                    .col(string_len(DropboxCredentials::AccountType, 32).default(""))
                    .col(boolean(DropboxCredentials::HasTeamSpace).default(false))
                    .col(big_integer_null(DropboxCredentials::UsedBytes))
                    .col(big_integer_null(DropboxCredentials::AllocatedBytes))
                    .col(timestamp_with_time_zone(DropboxCredentials::AuthorizedAt))
                    .col(integer_null(DropboxCredentials::AuthorizedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dropbox_credentials_data_source")
                            .from(DropboxCredentials::Table, DropboxCredentials::DataSourceId)
                            .to(DataSources::Table, DataSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_dropbox_credentials_authorized_by")
                            .from(DropboxCredentials::Table, DropboxCredentials::AuthorizedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
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

#[derive(DeriveIden)]
enum DropboxCredentials {
    Table,
    DataSourceId,
    AccessToken,
    RefreshToken,
    ExpiresAt,
    LastRefreshAt,
    AccountId,
    AccountName,
    AccountEmail,
    AccountType,
    HasTeamSpace,
    UsedBytes,
    AllocatedBytes,
    AuthorizedAt,
    AuthorizedBy,
}
