//! Data sources: the connections administrators configure.
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
                    .col(string_len_uniq(DataSources::DisplayName, 100))
                    .col(string_len(DataSources::Status, 16))
                    .col(text(DataSources::Settings))
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
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataSources::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DataSources {
    Table,
    Id,
    Kind,
    DisplayName,
    Status,
    Settings,
    CreatedAt,
    ModifiedAt,
    ModifiedBy,
}
