//! Asynchronous batch jobs (`delete_batch`, `copy_batch_v2`, `move_batch_v2`, `upload_session/finish_batch`):
//! launched with an `async_job_id`, polled through the route's `check`. A job belongs to the account that
//! launched it and to its route family; polled by anyone else, or through another family's `check`, its id
//! is `invalid_async_job_id`. Jobs live in memory.

use super::{Sandbox, lock};
use crate::util::random_id_chars;
use serde_json::Value;

/// Which launch route a job came from (and so which `check` route may poll it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Delete,
    Copy,
    Move,
    FinishUpload,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub account_id: String,
    pub kind: JobKind,
    /// The result struct once the job completed.
    pub result: Option<Value>,
}

impl Sandbox {
    /// Registers a job in progress and returns its `async_job_id`.
    pub(crate) fn start_job(&self, account_id: &str, kind: JobKind) -> String {
        let id = format!("dbjid:{}", random_id_chars(60));
        lock(&self.jobs).insert(
            id.clone(),
            Job {
                account_id: account_id.to_string(),
                kind,
                result: None,
            },
        );
        id
    }

    pub(crate) fn complete_job(&self, id: &str, result: Value) {
        if let Some(job) = lock(&self.jobs).get_mut(id) {
            job.result = Some(result);
        }
    }

    /// The job `id` as `account_id` polling through `kind`'s check sees it: `None` when it is not theirs.
    pub(crate) fn job(&self, id: &str, account_id: &str, kind: JobKind) -> Option<Job> {
        lock(&self.jobs)
            .get(id)
            .filter(|j| j.account_id == account_id && j.kind == kind)
            .cloned()
    }
}
