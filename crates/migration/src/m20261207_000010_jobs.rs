//! Background jobs: the work a submission leaves for later (saving its files into data sources and
//! running its After submit rules), and the ledger of each job's writes so that an attempt after a
//! crash or a retry finds what an earlier one did instead of writing a second copy.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_auto(Jobs::Id))
                    // `after-submit`.
                    .col(string_len(Jobs::Kind, 32))
                    // One job per submission, gone with it.
                    .col(integer(Jobs::SubmissionId).unique_key())
                    .col(integer(Jobs::FormId))
                    // `queued`, `running`, `done`, `needs-attention`.
                    .col(string_len(Jobs::State, 32))
                    .col(integer(Jobs::Attempts))
                    // A queued job is due from then on (now, or after a retry's backoff).
                    .col(timestamp_with_time_zone(Jobs::RunAfter))
                    // The worker running it, and until when it holds it (renewed while it runs); a
                    // running job whose lease expired is due again (its worker died).
                    .col(string_len_null(Jobs::LeaseOwner, 64))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(text_null(Jobs::LastError))
                    // JSON: planned writes and what the After submit rules said.
                    .col(text(Jobs::Progress))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jobs_submission")
                            .from(Jobs::Table, Jobs::SubmissionId)
                            .to(FormSubmissions::Table, FormSubmissions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Claiming: the due jobs of a state, oldest due first.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_claim")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobWrites::Table)
                    .col(pk_auto(JobWrites::Id))
                    .col(integer(JobWrites::JobId))
                    // The write's idempotency key (`save:{field}:{upload id}`, `rule:{rule id}:…`).
                    .col(string_len(JobWrites::Key, 255))
                    .col(text(JobWrites::Label))
                    // `started`, `done`, `failed`.
                    .col(string_len(JobWrites::State, 16))
                    // JSON: what it was about to write (enough to recognise it afterwards).
                    .col(text(JobWrites::Intent))
                    // JSON: what it produced, once done.
                    .col(text_null(JobWrites::Result))
                    .col(text(JobWrites::Message))
                    .col(timestamp_with_time_zone(JobWrites::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_job_writes_job")
                            .from(JobWrites::Table, JobWrites::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_writes_key")
                    .table(JobWrites::Table)
                    .col(JobWrites::JobId)
                    .col(JobWrites::Key)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobWrites::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    SubmissionId,
    FormId,
    State,
    Attempts,
    RunAfter,
    LeaseOwner,
    LeaseUntil,
    LastError,
    Progress,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JobWrites {
    Table,
    Id,
    JobId,
    Key,
    Label,
    State,
    Intent,
    Result,
    Message,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    Id,
}
