//! Wharf's copy of an upload is checked by a checksum that names its algorithm: `sha256:<hex>` for
//! the files stored so far, `dropbox:<hex>` (Dropbox's `content_hash`) from now on — the hash an
//! upload sent on to Dropbox computes anyway, so the bytes are hashed once instead of twice.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FormUploads::Table)
                    .rename_column(FormUploads::Sha256, FormUploads::Checksum)
                    .to_owned(),
            )
            .await?;
        widen(manager, 80).await?;
        let tagged = Query::update()
            .table(FormUploads::Table)
            .value(
                FormUploads::Checksum,
                // `||` and SUBSTR below: the same on SQLite and PostgreSQL.
                Expr::cust("'sha256:' || checksum"),
            )
            .to_owned();
        manager.exec_stmt(tagged).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Files checked by `content_hash` cannot be given a plain SHA-256 without reading them: they
        // would fail their check after going back, so going back is refused while any exist.
        let db = manager.get_connection();
        let newer = db
            .query_one(
                &Query::select()
                    .expr(Func::count(Expr::col(FormUploads::Id)))
                    .from(FormUploads::Table)
                    .and_where(Expr::col(FormUploads::Checksum).like("dropbox:%"))
                    .to_owned(),
            )
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if newer > 0 {
            return Err(DbErr::Migration(format!(
                "{newer} uploads are checked by content_hash; remove them before going back"
            )));
        }
        let untagged = Query::update()
            .table(FormUploads::Table)
            .value(FormUploads::Checksum, Expr::cust("SUBSTR(checksum, 8)"))
            .to_owned();
        manager.exec_stmt(untagged).await?;
        widen(manager, 64).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(FormUploads::Table)
                    .rename_column(FormUploads::Checksum, FormUploads::Sha256)
                    .to_owned(),
            )
            .await
    }
}

/// Sets the checksum column's length: `sha256:` or `dropbox:` and 64 hex digits no longer fit the
/// 64 characters the SHA-256 had. SQLite does not enforce lengths (nor alter a column's type).
async fn widen(manager: &SchemaManager<'_>, chars: u32) -> Result<(), DbErr> {
    if manager.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        return Ok(());
    }
    manager
        .alter_table(
            Table::alter()
                .table(FormUploads::Table)
                .modify_column(
                    ColumnDef::new(FormUploads::Checksum)
                        .string_len(chars)
                        .not_null(),
                )
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum FormUploads {
    Table,
    Id,
    Sha256,
    Checksum,
}
