//! The run log of data rules: one row per rule run that passed its conditions, for the form's
//! designers (by form) and the data source's administrators (by data source).
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
                    .table(RuleRuns::Table)
                    .col(pk_auto(RuleRuns::Id))
                    .col(integer(RuleRuns::FormId))
                    // The version run (for a designer's preview of the draft: the last published).
                    .col(integer(RuleRuns::FormVersion))
                    .col(boolean(RuleRuns::Preview))
                    .col(string_len(RuleRuns::RuleId, 64))
                    .col(string_len(RuleRuns::RuleName, 255))
                    // `load`, `change`, `button`, `before-submit`, `after-submit`.
                    .col(string_len(RuleRuns::Trigger, 32))
                    .col(integer_null(RuleRuns::UserId))
                    // No foreign key: the log keeps naming a data source deleted since.
                    .col(integer_null(RuleRuns::DataSourceId))
                    // JSON: resolved folder, query, filter values, the fields read.
                    .col(text(RuleRuns::Inputs))
                    // `ok`, `no-match`, `refused`, `error`.
                    .col(string_len(RuleRuns::Outcome, 16))
                    .col(text(RuleRuns::Message))
                    .col(big_integer(RuleRuns::DurationMs))
                    .col(timestamp_with_time_zone(RuleRuns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rule_runs_form")
                            .from(RuleRuns::Table, RuleRuns::FormId)
                            .to(Forms::Table, Forms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_rule_runs_user")
                            .from(RuleRuns::Table, RuleRuns::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A form's log and a data source's log, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_rule_runs_form")
                    .table(RuleRuns::Table)
                    .col(RuleRuns::FormId)
                    .col(RuleRuns::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rule_runs_data_source")
                    .table(RuleRuns::Table)
                    .col(RuleRuns::DataSourceId)
                    .col(RuleRuns::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RuleRuns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RuleRuns {
    Table,
    Id,
    FormId,
    FormVersion,
    Preview,
    RuleId,
    RuleName,
    Trigger,
    UserId,
    DataSourceId,
    Inputs,
    Outcome,
    Message,
    DurationMs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
}
