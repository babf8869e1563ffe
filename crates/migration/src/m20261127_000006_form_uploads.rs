//! Files people upload into a form's File upload fields. The bytes live in `<data_dir>/uploads/`
//! under a random name; a row says whose they are, for which form and field, and (once the form is
//! submitted) which submission keeps them.
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
                    .table(FormUploads::Table)
                    .col(pk_auto(FormUploads::Id))
                    // What the browser hands back with the submission to claim the file (random).
                    .col(string_len(FormUploads::Token, 64).unique_key())
                    .col(integer(FormUploads::FormId))
                    .col(string_len(FormUploads::Field, 64))
                    .col(integer_null(FormUploads::UploadedBy))
                    .col(string_len(FormUploads::FileName, 255))
                    .col(big_integer(FormUploads::Size))
                    .col(string_len(FormUploads::ContentType, 255))
                    // SHA-256 of the content, lower-case hex.
                    .col(string_len(FormUploads::Sha256, 64))
                    // The file's name in `<data_dir>/uploads/` (random hex).
                    .col(string_len(FormUploads::StoredName, 64).unique_key())
                    .col(timestamp_with_time_zone(FormUploads::CreatedAt))
                    // Empty until a submission claims the file.
                    .col(integer_null(FormUploads::SubmissionId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_form_uploads_form")
                            .from(FormUploads::Table, FormUploads::FormId)
                            .to(Forms::Table, Forms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_form_uploads_user")
                            .from(FormUploads::Table, FormUploads::UploadedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_form_uploads_submission")
                            .from(FormUploads::Table, FormUploads::SubmissionId)
                            .to(FormSubmissions::Table, FormSubmissions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A submission's files; and the clean-up's search for old unclaimed uploads.
        manager
            .create_index(
                Index::create()
                    .name("idx_form_uploads_submission")
                    .table(FormUploads::Table)
                    .col(FormUploads::SubmissionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_form_uploads_created")
                    .table(FormUploads::Table)
                    .col(FormUploads::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FormUploads::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FormUploads {
    Table,
    Id,
    Token,
    FormId,
    Field,
    UploadedBy,
    FileName,
    Size,
    ContentType,
    Sha256,
    StoredName,
    CreatedAt,
    SubmissionId,
}

#[derive(DeriveIden)]
enum Forms {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    Id,
}
