//! A file uploaded into a field that saves to a data source is sent on to Dropbox while it arrives
//! (an upload session committed when the form is submitted): the upload remembers that session.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FormUploads::Table)
                    // JSON: data source, session id, size, content_hash; empty when none was opened.
                    .add_column(text_null(FormUploads::DropboxSession))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FormUploads::Table)
                    .drop_column(FormUploads::DropboxSession)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum FormUploads {
    Table,
    DropboxSession,
}
