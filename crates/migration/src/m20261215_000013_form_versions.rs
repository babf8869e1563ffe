//! Every published definition of a form is kept, so a submission's After submit writes run with
//! the definition it was filled in on (its fields and rules), not whatever was published since.
//! `jobs.run_version` records when a designer's Retry chose the form as published now instead.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FormVersions::Table)
                    .col(integer(FormVersions::FormId))
                    .col(integer(FormVersions::Version))
                    // JSON of `wharf_types::forms::FormDefinition`, as published.
                    .col(text(FormVersions::Definition))
                    .col(timestamp_with_time_zone(FormVersions::PublishedAt))
                    .primary_key(
                        Index::create()
                            .col(FormVersions::FormId)
                            .col(FormVersions::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_form_versions_form")
                            .from(FormVersions::Table, FormVersions::FormId)
                            .to(Forms::Table, Forms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The one published definition kept so far becomes its version's row.
        let kept = Query::insert()
            .into_table(FormVersions::Table)
            .columns([
                FormVersions::FormId,
                FormVersions::Version,
                FormVersions::Definition,
                FormVersions::PublishedAt,
            ])
            .select_from(
                Query::select()
                    .columns([Forms::Id, Forms::Version, Forms::Published])
                    .expr(Func::coalesce([
                        Expr::col(Forms::PublishedAt),
                        Expr::col(Forms::UpdatedAt),
                    ]))
                    .from(Forms::Table)
                    .and_where(Expr::col(Forms::Published).is_not_null())
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(kept).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    // NULL: the version the submission was filled in on.
                    .add_column(integer_null(Jobs::RunVersion))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::RunVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(FormVersions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FormVersions {
    Table,
    FormId,
    Version,
    Definition,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
    Version,
    Published,
    PublishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    RunVersion,
}
