//! Background jobs: the writes a submission leaves for after it is stored (its File upload fields
//! saved into data sources, its After submit rules), run by a worker with the submitter's rights.
//!
//! The queue is our own, over two tables (`jobs`, `job_writes`), rather than a job library: the job
//! must be queued inside the submission's SeaORM transaction (so a submission is never stored
//! without its job), the schema has to come from our schema-builder migrations on SQLite and
//! PostgreSQL alike, and the ledger of writes lives next to the job. The libraries we looked at
//! (apalis' SQL storages, sqlxmq, graphile-worker ports) bring their own migrations and
//! connections, one database each, and cannot take part in a SeaORM transaction. What is needed
//! is small: [`queue`] (enqueue, claim with a lease, settle), [`worker`] (the loop), [`ledger`]
//! and [`after_submit`] (what the job does).
//!
//! **Delivery**: at least once, made effectively once by the ledger. A job is claimed with a lease
//! (60 s, renewed while it runs); a worker that dies leaves a `running` job whose lease expires,
//! and any worker then takes it over — that is also what happens across a restart. Every write is
//! recorded under its idempotency key before and after it happens, so the attempt that takes over
//! finds what an earlier one did.
mod after_submit;
mod ledger;
mod queue;
mod worker;

pub use after_submit::{planned_writes, runs_after_submit};
pub use ledger::JobLedger;
/// The worker's claim, for tests that race claims on a real database.
#[cfg(any(test, feature = "testing"))]
pub use queue::claim;
pub use queue::{LEASE, MAX_ATTEMPTS, backoff, enqueue_after_submit};
pub use worker::{Worker, WorkerHandle};

use crate::AuthenticatedUser;
use crate::db::begin_write;
use crate::form_store::JsonError;
use crate::policy::{self, Action};
use entity::{form, form_submission, job, job_write};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::Notify;
use wharf_types::rules::{RuleMessage, StepState, WriteStep, WritesProgress, WritesState};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// No such submission, or one the caller may not see (answered alike, so ids reveal nothing).
    #[error("There is no such submission.")]
    NotFound,
    /// The submission has no writes to follow (nothing of it runs after submit).
    #[error("This submission has no writes to follow.")]
    NoWrites,
    /// Retry asked of writes that are not waiting for one.
    #[error(
        "These writes do not need attention (they are {0}); only writes that need attention can be retried."
    )]
    NotRetryable(&'static str),
    #[error(transparent)]
    Stored(#[from] JsonError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// The job kind of a submission's After submit writes.
pub const AFTER_SUBMIT: &str = "after-submit";

/// Wakes this process's workers when a job is queued, so it starts at once rather than at the next
/// poll (workers of other instances find it by polling). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Jobs {
    wake: Arc<Notify>,
}

impl Jobs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn wake(&self) {
        self.wake.notify_waiters();
    }
}

/// A job's state as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobState {
    Queued,
    Running,
    Done,
    NeedsAttention,
}

impl JobState {
    pub(crate) fn key(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::NeedsAttention => "needs-attention",
        }
    }

    fn parse(key: &str) -> JobState {
        match key {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "needs-attention" => JobState::NeedsAttention,
            _ => JobState::Queued,
        }
    }

    fn shown(self) -> WritesState {
        match self {
            JobState::Queued => WritesState::Queued,
            JobState::Running => WritesState::Writing,
            JobState::Done => WritesState::Done,
            JobState::NeedsAttention => WritesState::NeedsAttention,
        }
    }
}

/// A write's state in `job_writes`.
pub(crate) mod write_state {
    pub const STARTED: &str = "started";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
}

/// What `jobs.progress` holds (JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Progress {
    /// Files to save plus enabled After submit write rules.
    #[serde(default)]
    pub total: u32,
    /// What the After submit rules said, once they ran.
    #[serde(default)]
    pub messages: Vec<RuleMessage>,
    /// The form version the job ran, when it is not the one submitted: a designer's Retry runs the
    /// form as published then (so a mended rule applies), and a submission from before every
    /// version was kept runs the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran_version: Option<i32>,
}

impl Progress {
    pub(crate) fn read(text: &str) -> Progress {
        // Written only by this module; a damaged value shows as no progress rather than failing.
        serde_json::from_str(text).unwrap_or_default()
    }

    pub(crate) fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// `t` as RFC 3339 in UTC, to the second.
fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A job and its writes as a person sees them.
fn progress_of(job: &job::Model, writes: &[job_write::Model]) -> WritesProgress {
    let state = JobState::parse(&job.state);
    let stored = Progress::read(&job.progress);
    let steps: Vec<WriteStep> = writes
        .iter()
        .map(|w| WriteStep {
            label: w.label.clone(),
            state: match w.state.as_str() {
                write_state::DONE => StepState::Done,
                write_state::FAILED => StepState::Failed,
                _ => StepState::Running,
            },
            message: w.message.clone(),
        })
        .collect();
    let done = steps.iter().filter(|s| s.state == StepState::Done).count() as u32;
    let waiting = state == JobState::Queued && job.attempts > 0;
    WritesProgress {
        state: state.shown(),
        done,
        total: stored.total.max(steps.len() as u32),
        steps,
        messages: stored.messages,
        error: job.last_error.clone(),
        attempts: u32::try_from(job.attempts).unwrap_or(0),
        next_attempt: waiting.then(|| rfc3339(job.run_after)),
    }
}

/// Where the writes of each of `submission_ids` stand (those with a job), in two queries.
pub async fn progress_by_submission(
    db: &impl ConnectionTrait,
    submission_ids: &[i32],
) -> Result<HashMap<i32, WritesProgress>, DbErr> {
    if submission_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let jobs = job::Entity::find()
        .filter(job::Column::SubmissionId.is_in(submission_ids.iter().copied()))
        .all(db)
        .await?;
    let mut writes: HashMap<i32, Vec<job_write::Model>> = HashMap::new();
    if !jobs.is_empty() {
        for w in job_write::Entity::find()
            .filter(job_write::Column::JobId.is_in(jobs.iter().map(|j| j.id)))
            .order_by_asc(job_write::Column::Id)
            .all(db)
            .await?
        {
            writes.entry(w.job_id).or_default().push(w);
        }
    }
    Ok(jobs
        .iter()
        .map(|j| {
            let steps = writes.get(&j.id).map(Vec::as_slice).unwrap_or_default();
            (j.submission_id, progress_of(j, steps))
        })
        .collect())
}

/// Where submission `submission_id`'s writes stand.
pub async fn progress(
    db: &impl ConnectionTrait,
    submission_id: i32,
) -> Result<WritesProgress, JobError> {
    progress_by_submission(db, &[submission_id])
        .await?
        .remove(&submission_id)
        .ok_or(JobError::NoWrites)
}

/// [`progress`] for `person`: the one who submitted it or someone who designs forms; anyone else
/// is told there is no such submission.
pub async fn progress_for(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    submission_id: i32,
) -> Result<WritesProgress, JobError> {
    let submission = form_submission::Entity::find_by_id(submission_id)
        .one(db)
        .await?
        .ok_or(JobError::NotFound)?;
    let designer = policy::decide(Some(person), Action::DesignForms, None).is_allowed();
    if submission.submitted_by != Some(person.id) && !designer {
        return Err(JobError::NotFound);
    }
    progress(db, submission_id).await
}

/// Queues the writes of a submission that needs attention again, from its first attempt: writes
/// that failed are forgotten (so they are written again), writes that were done stay done. They
/// run with the form as published now, so a rule the designer mended since applies. The caller
/// checks that the person designs forms.
pub async fn retry(
    db: &DatabaseConnection,
    jobs: &Jobs,
    submission_id: i32,
) -> Result<WritesProgress, JobError> {
    let job = job::Entity::find()
        .filter(job::Column::SubmissionId.eq(submission_id))
        .one(db)
        .await?;
    let Some(job) = job else {
        return Err(
            match form_submission::Entity::find_by_id(submission_id)
                .one(db)
                .await?
            {
                Some(_) => JobError::NoWrites,
                None => JobError::NotFound,
            },
        );
    };
    let state = JobState::parse(&job.state);
    if state != JobState::NeedsAttention {
        return Err(JobError::NotRetryable(state.shown().label()));
    }
    // One transaction, so no worker claims the job while its failed writes are still recorded;
    // conditional, so two designers clicking Retry at once queue it once (the second is told so).
    let txn = begin_write(db).await?;
    let current = form::Entity::find_by_id(job.form_id)
        .one(&txn)
        .await?
        .map_or(0, |f| f.version);
    if !queue::requeue(&txn, job.id, current).await? {
        return Err(JobError::NotRetryable(WritesState::Queued.label()));
    }
    job_write::Entity::delete_many()
        .filter(job_write::Column::JobId.eq(job.id))
        .filter(job_write::Column::State.eq(write_state::FAILED))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(
        job_id = job.id,
        submission_id,
        "writes queued again by a designer"
    );
    // Read before waking the worker, so the answer is the queued state, not a race with it.
    let queued = progress(db, submission_id).await;
    jobs.wake();
    queued
}
