//! Data sources, their credentials, pending OAuth authorizations, and the audit trail.
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_identity::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataSources::Table)
                    .col(pk_auto(DataSources::Id))
                    .col(string_len(DataSources::Kind, 32))
                    // NULL while unnamed: saving incomplete details is allowed
                    .col(string_len_null(DataSources::DisplayName, 100))
                    // lower-cased display name: names are unique regardless of case
                    .col(string_len_null(DataSources::NameKey, 100).unique_key())
                    .col(text(DataSources::Settings))
                    .col(string_len(DataSources::Status, 16))
                    .col(text_null(DataSources::StatusMessage))
                    .col(timestamp_with_time_zone_null(DataSources::LastTestAt))
                    .col(boolean_null(DataSources::LastTestOk))
                    .col(timestamp_with_time_zone(DataSources::CreatedAt))
                    .col(timestamp_with_time_zone(DataSources::ModifiedAt))
                    .col(integer_null(DataSources::ModifiedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_data_sources_modified_by")
                            .from(DataSources::Table, DataSources::ModifiedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_auto(AuditEvents::Id))
                    // no foreign key: the trail outlives the data source it describes
                    .col(integer_null(AuditEvents::DataSourceId))
                    .col(integer_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::ActorName, 100))
                    .col(string_len(AuditEvents::Action, 40))
                    .col(text(AuditEvents::Detail))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_data_source")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::DataSourceId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DataSources::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum DataSources {
    Table,
    Id,
    Kind,
    DisplayName,
    NameKey,
    Settings,
    Status,
    StatusMessage,
    LastTestAt,
    LastTestOk,
    CreatedAt,
    ModifiedAt,
    ModifiedBy,
    // added by m20261127_000004
    AdminsRestricted,
    UsersRestricted,
    ReadOnly,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    DataSourceId,
    ActorId,
    ActorName,
    Action,
    Detail,
    At,
}
