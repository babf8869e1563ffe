//! Forms (a draft definition and the published one) and their submissions.
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
                    .table(Forms::Table)
                    .col(pk_auto(Forms::Id))
                    .col(string_len(Forms::Title, 200))
                    // JSON of `wharf_types::forms::FormDefinition`: what the designer is editing…
                    .col(text(Forms::Draft))
                    // …and what people fill in, unchanged by edits until the next Publish.
                    .col(text_null(Forms::Published))
                    .col(integer(Forms::Version).default(0))
                    .col(timestamp_with_time_zone_null(Forms::PublishedAt))
                    .col(integer_null(Forms::UpdatedBy))
                    .col(timestamp_with_time_zone(Forms::CreatedAt))
                    .col(timestamp_with_time_zone(Forms::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_forms_updated_by")
                            .from(Forms::Table, Forms::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FormSubmissions::Table)
                    .col(pk_auto(FormSubmissions::Id))
                    .col(integer(FormSubmissions::FormId))
                    // the published version the person filled in
                    .col(integer(FormSubmissions::FormVersion))
                    .col(integer_null(FormSubmissions::SubmittedBy))
                    .col(timestamp_with_time_zone(FormSubmissions::SubmittedAt))
                    // JSON: field name → `wharf_types::forms::FieldValue`
                    .col(text(FormSubmissions::Values))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_form")
                            .from(FormSubmissions::Table, FormSubmissions::FormId)
                            .to(Forms::Table, Forms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_submissions_user")
                            .from(FormSubmissions::Table, FormSubmissions::SubmittedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Submissions are listed per form, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_submissions_form_time")
                    .table(FormSubmissions::Table)
                    .col(FormSubmissions::FormId)
                    .col(FormSubmissions::SubmittedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FormSubmissions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Forms::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Forms {
    Table,
    Id,
    Title,
    Draft,
    Published,
    Version,
    PublishedAt,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    Id,
    FormId,
    FormVersion,
    SubmittedBy,
    SubmittedAt,
    Values,
}
