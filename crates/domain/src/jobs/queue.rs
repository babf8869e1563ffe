//! The queue in SQL: enqueue inside the caller's transaction, claim one due job with a lease,
//! renew the lease while it runs, settle it. Every change to a claimed job names the lease owner,
//! so a worker that lost its lease (it stalled past it and another took over) changes nothing.
use super::{AFTER_SUBMIT, JobState, Progress};
use entity::job;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::time::Duration;
use time::OffsetDateTime;

/// How long a claim holds a job without being renewed (renewed every third of it while it runs).
pub const LEASE: Duration = Duration::from_secs(60);

/// Attempts a job gets for failures that may pass (Dropbox unavailable, rate limits) before it
/// needs attention.
pub const MAX_ATTEMPTS: i32 = 6;

/// The wait before attempt `attempts + 1`: 2^attempts seconds, at most 5 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(0);
    Duration::from_secs(std::cmp::min(2u64.pow(exponent), 300))
}

fn after(now: OffsetDateTime, wait: Duration) -> OffsetDateTime {
    now + time::Duration::try_from(wait).unwrap_or(time::Duration::MINUTE)
}

/// Queues the After submit writes of `submission_id`, in the caller's transaction: the job is
/// stored with the submission or not at all.
pub async fn enqueue_after_submit(
    txn: &impl ConnectionTrait,
    submission_id: i32,
    form_id: i32,
    total: u32,
) -> Result<(), DbErr> {
    let now = OffsetDateTime::now_utc();
    job::ActiveModel {
        kind: Set(AFTER_SUBMIT.to_owned()),
        submission_id: Set(submission_id),
        form_id: Set(form_id),
        state: Set(JobState::Queued.key().to_owned()),
        attempts: Set(0),
        run_after: Set(now),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        progress: Set(Progress {
            total,
            ..Progress::default()
        }
        .json()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Queued and due, or running under a lease that expired (its worker died or was stopped).
fn due(now: OffsetDateTime) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(job::Column::State.eq(JobState::Queued.key()))
                .add(job::Column::RunAfter.lte(now)),
        )
        .add(
            Condition::all()
                .add(job::Column::State.eq(JobState::Running.key()))
                .add(job::Column::LeaseUntil.lt(now)),
        )
}

/// Claims one due job for `owner`, oldest due first; `None` when none is due.
///
/// PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` in a transaction, so instances claiming at the
/// same moment take different jobs. SQLite has no row locks and one writer at a time: the
/// conditional UPDATE below (still due?) decides, and a job another worker took first is skipped.
pub async fn claim(db: &DatabaseConnection, owner: &str) -> Result<Option<job::Model>, DbErr> {
    let now = OffsetDateTime::now_utc();
    let oldest_due = || {
        job::Entity::find()
            .filter(due(now))
            .order_by_asc(job::Column::RunAfter)
            .order_by_asc(job::Column::Id)
    };
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let txn = db.begin().await?;
        let candidate = oldest_due()
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .one(&txn)
            .await?;
        let claimed = match candidate {
            Some(job) => take(&txn, job.id, owner, now).await?,
            None => None,
        };
        txn.commit().await?;
        return Ok(claimed);
    }
    for candidate in oldest_due().limit(8).all(db).await? {
        if let Some(job) = take(db, candidate.id, owner, now).await? {
            return Ok(Some(job));
        }
    }
    Ok(None)
}

/// Takes job `id` if it is still due: running for `owner`, one more attempt, a fresh lease.
async fn take(
    conn: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    now: OffsetDateTime,
) -> Result<Option<job::Model>, DbErr> {
    let taken = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Running.key()))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .col_expr(job::Column::LeaseOwner, Expr::value(owner))
        .col_expr(job::Column::LeaseUntil, Expr::value(after(now, LEASE)))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(due(now))
        .exec(conn)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(None);
    }
    job::Entity::find_by_id(id).one(conn).await
}

/// The claimed job `id` while `owner` still holds it.
fn held(id: i32, owner: &str) -> Condition {
    Condition::all()
        .add(job::Column::Id.eq(id))
        .add(job::Column::State.eq(JobState::Running.key()))
        .add(job::Column::LeaseOwner.eq(owner))
}

/// Extends `owner`'s lease on job `id`; `false` when it no longer holds it.
pub(crate) async fn renew(db: &DatabaseConnection, id: i32, owner: &str) -> Result<bool, DbErr> {
    let now = OffsetDateTime::now_utc();
    let renewed = job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(after(now, LEASE)))
        .filter(held(id, owner))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Records the plan of a running job (what a person sees while it writes).
pub(crate) async fn record_progress(
    db: &DatabaseConnection,
    id: i32,
    owner: &str,
    progress: &Progress,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Progress, Expr::value(progress.json()))
        .filter(held(id, owner))
        .exec(db)
        .await?;
    Ok(())
}

/// How an attempt ended, as stored.
pub(crate) enum Settlement {
    Done,
    /// Due again at `run_after`; `error` says why the attempt failed.
    Retry {
        error: String,
        run_after: OffsetDateTime,
    },
    NeedsAttention {
        error: String,
    },
}

/// Ends `owner`'s attempt at job `id`; `false` when it no longer held the job (nothing changed).
pub(crate) async fn settle(
    conn: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    settlement: Settlement,
    progress: Option<&Progress>,
) -> Result<bool, DbErr> {
    let now = OffsetDateTime::now_utc();
    let (state, error, run_after) = match settlement {
        Settlement::Done => (JobState::Done, None, None),
        Settlement::Retry { error, run_after } => (JobState::Queued, Some(error), Some(run_after)),
        Settlement::NeedsAttention { error } => (JobState::NeedsAttention, Some(error), None),
    };
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state.key()))
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now));
    if let Some(run_after) = run_after {
        update = update.col_expr(job::Column::RunAfter, Expr::value(run_after));
    }
    if let Some(progress) = progress {
        update = update.col_expr(job::Column::Progress, Expr::value(progress.json()));
    }
    let settled = update.filter(held(id, owner)).exec(conn).await?;
    Ok(settled.rows_affected == 1)
}

/// A job that needs attention, queued again from its first attempt; `false` when it was not
/// waiting for attention (someone else retried it first).
pub(crate) async fn requeue(
    conn: &impl ConnectionTrait,
    id: i32,
    run_version: i32,
) -> Result<bool, DbErr> {
    let now = OffsetDateTime::now_utc();
    let requeued = job::Entity::update_many()
        .col_expr(job::Column::RunVersion, Expr::value(run_version))
        .col_expr(job::Column::State, Expr::value(JobState::Queued.key()))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAfter, Expr::value(now))
        .col_expr(job::Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(JobState::NeedsAttention.key()))
        .exec(conn)
        .await?;
    Ok(requeued.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        let waits: Vec<u64> = (0..=10).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff(-3).as_secs(), 1);
        assert_eq!(backoff(i32::MAX).as_secs(), 300);
    }
}
