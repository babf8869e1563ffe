//! Groups, who may administer and use each data source, the read-only switch, and sign-in throttling.
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
                    .table(Groups::Table)
                    .col(pk_auto(Groups::Id))
                    .col(string_len(Groups::Name, 100))
                    // lower-cased name: group names are unique regardless of case
                    .col(string_len_uniq(Groups::NameKey, 100))
                    .col(text_null(Groups::Description))
                    .col(timestamp_with_time_zone(Groups::CreatedAt))
                    .col(timestamp_with_time_zone(Groups::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(integer(GroupMembers::GroupId))
                    .col(integer(GroupMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_members_group")
                            .from(GroupMembers::Table, GroupMembers::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_members_user")
                            .from(GroupMembers::Table, GroupMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Which groups is this user in" is asked on every request.
        manager
            .create_index(
                Index::create()
                    .name("idx_group_members_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DataSourceGrants::Table)
                    .col(pk_auto(DataSourceGrants::Id))
                    .col(integer(DataSourceGrants::DataSourceId))
                    // `administer` or `use`
                    .col(string_len(DataSourceGrants::Capability, 16))
                    // exactly one of the three names the grantee
                    .col(integer_null(DataSourceGrants::UserId))
                    .col(integer_null(DataSourceGrants::GroupId))
                    .col(string_len_null(DataSourceGrants::Role, 40))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_data_source")
                            .from(DataSourceGrants::Table, DataSourceGrants::DataSourceId)
                            .to(DataSources::Table, DataSources::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_user")
                            .from(DataSourceGrants::Table, DataSourceGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_group")
                            .from(DataSourceGrants::Table, DataSourceGrants::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_grants_data_source")
                    .table(DataSourceGrants::Table)
                    .col(DataSourceGrants::DataSourceId)
                    .to_owned(),
            )
            .await?;
        // SQLite takes one column per ALTER TABLE. A list that was restricted stays restricted when its
        // last grantee is deleted: an emptied list must never silently mean "everyone".
        for column in [
            DataSources::AdminsRestricted,
            DataSources::UsersRestricted,
            DataSources::ReadOnly,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DataSources::Table)
                        .add_column(boolean(column).default(false))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SignInFailures::Table)
                    // `user:<name>` or `addr:<ip>`: the name need not exist, so the record reveals nothing
                    .col(string_len(SignInFailures::Key, 320).primary_key())
                    .col(integer(SignInFailures::Failures))
                    .col(timestamp_with_time_zone(SignInFailures::FirstFailedAt))
                    .col(timestamp_with_time_zone(SignInFailures::LastFailedAt))
                    .col(timestamp_with_time_zone_null(SignInFailures::BlockedUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInFailures::Table).to_owned())
            .await?;
        for column in [
            DataSources::AdminsRestricted,
            DataSources::UsersRestricted,
            DataSources::ReadOnly,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(DataSources::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(DataSourceGrants::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(GroupMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Groups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
}

#[derive(DeriveIden)]
enum DataSourceGrants {
    Table,
    Id,
    DataSourceId,
    Capability,
    UserId,
    GroupId,
    Role,
}

#[derive(DeriveIden)]
enum SignInFailures {
    Table,
    Key,
    Failures,
    FirstFailedAt,
    LastFailedAt,
    BlockedUntil,
}
