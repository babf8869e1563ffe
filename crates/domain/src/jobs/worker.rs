//! The worker: claims one due job at a time and runs it, woken in-process when a job is queued and
//! polling every second for jobs queued by other instances and retries coming due.
use super::Jobs;
use super::after_submit::{self, Ending, JobContext, Ran};
use super::queue::{self, LEASE, MAX_ATTEMPTS, Settlement, backoff};
use crate::connector::DropboxConnector;
use crate::db::begin_write;
use crate::vault::Vault;
use entity::{form_submission, job};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often a worker looks for due jobs when nothing woke it.
const POLL: Duration = Duration::from_secs(1);

pub struct Worker {
    cx: JobContext,
    jobs: Jobs,
    /// Names this worker in the leases it takes.
    owner: String,
}

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        connector: DropboxConnector,
        vault: Vault,
        data_dir: PathBuf,
        jobs: Jobs,
    ) -> Self {
        Worker {
            cx: JobContext {
                db,
                connector,
                vault,
                data_dir,
            },
            jobs,
            owner: format!("worker-{}", hex::encode(rand::random::<[u8; 8]>())),
        }
    }

    /// Starts the loop on the runtime; it runs until [`WorkerHandle::stop`] (or the handle is
    /// dropped, which aborts it: a job it was running is taken over once its lease expires).
    pub fn spawn(self) -> WorkerHandle {
        let (stop, stopped) = watch::channel(false);
        WorkerHandle {
            stop,
            task: Some(tokio::spawn(self.run(stopped))),
        }
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(owner = self.owner, "job worker started");
        loop {
            if *stopped.borrow() {
                break;
            }
            // Listening before looking: a job queued while we look still wakes us.
            let woken = self.jobs.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match queue::claim(&self.cx.db, &self.owner).await {
                Ok(Some(job)) => {
                    self.attempt(job).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(owner = self.owner, "cannot claim a job: {e}"),
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stopped.changed() => {}
            }
        }
        tracing::info!(owner = self.owner, "job worker stopped");
    }

    /// Runs a claimed job, renewing its lease meanwhile, and settles it.
    async fn attempt(&self, job: job::Model) {
        tracing::info!(
            job_id = job.id,
            submission_id = job.submission_id,
            attempt = job.attempts,
            "job started"
        );
        let run = after_submit::run(&self.cx, &job, &self.owner);
        tokio::pin!(run);
        let mut renew = tokio::time::interval(LEASE / 3);
        renew.tick().await; // the first tick is immediate; the claim just set the lease
        let ran = loop {
            tokio::select! {
                ran = &mut run => break ran,
                _ = renew.tick() => match queue::renew(&self.cx.db, job.id, &self.owner).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job_id = job.id, "lost the lease on a running job"),
                    Err(e) => tracing::warn!(job_id = job.id, "cannot renew a job's lease: {e}"),
                },
            }
        };
        let ran = ran.unwrap_or_else(|e| {
            tracing::warn!(job_id = job.id, "job stopped on a database error: {e}");
            Ran {
                ending: Ending::Retry {
                    message: "Wharf's database did not answer; the writes will be tried again."
                        .to_owned(),
                    retry_after: None,
                },
                progress: None,
                values: None,
            }
        });
        if let Err(e) = self.settle(&job, ran).await {
            // The lease expires and the job is taken over; the ledger keeps its writes once.
            tracing::error!(job_id = job.id, "cannot record how a job ended: {e}");
        }
    }

    async fn settle(&self, job: &job::Model, ran: Ran) -> Result<(), DbErr> {
        let settlement = match ran.ending {
            Ending::Done => Settlement::Done,
            Ending::NeedsAttention(error) => Settlement::NeedsAttention { error },
            Ending::Retry { message, .. } if job.attempts >= MAX_ATTEMPTS => {
                Settlement::NeedsAttention {
                    error: format!("{message} (tried {} times)", job.attempts),
                }
            }
            Ending::Retry {
                message,
                retry_after,
            } => {
                let wait = backoff(job.attempts).max(retry_after.unwrap_or_default());
                Settlement::Retry {
                    error: message,
                    run_after: OffsetDateTime::now_utc()
                        + time::Duration::try_from(wait).unwrap_or(time::Duration::MINUTE),
                }
            }
        };
        let state = match &settlement {
            Settlement::Done => "done",
            Settlement::Retry { .. } => "queued again",
            Settlement::NeedsAttention { .. } => "needs attention",
        };
        // The submission's new values and the job's end together: a job that lost its lease
        // changes neither.
        let txn = begin_write(&self.cx.db).await?;
        let settled =
            queue::settle(&txn, job.id, &self.owner, settlement, ran.progress.as_ref()).await?;
        if !settled {
            tracing::warn!(
                job_id = job.id,
                "a job's lease was taken over; its result is dropped"
            );
            return Ok(());
        }
        if let Some(values) = ran.values {
            form_submission::Entity::update_many()
                .col_expr(form_submission::Column::Values, Expr::value(values))
                .filter(form_submission::Column::Id.eq(job.submission_id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        tracing::info!(
            job_id = job.id,
            submission_id = job.submission_id,
            attempt = job.attempts,
            "job {state}"
        );
        Ok(())
    }
}

/// A running worker.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Stops claiming jobs and lets the running one finish for up to `grace`; a job still running
    /// then is left to its lease (another instance, or this one restarted, takes it over).
    pub async fn stop(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(grace, &mut task).await.is_err()
        {
            tracing::warn!("a job was still running at shutdown; it resumes after its lease");
            task.abort();
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
