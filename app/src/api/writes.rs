//! A submission's writes (files saved to data sources, After submit rules), which run as a job after
//! the submission is stored: where they stand, for the person who submitted and the form's designers,
//! and Retry for designers once a submission needs attention.
use crate::error::AppError;
use leptos::prelude::*;
use wharf_types::rules::WritesProgress;

/// Where submission `submission_id`'s writes stand: for the person who submitted it and the form's
/// designers (anyone else: 404, as if it did not exist).
#[server(endpoint = "submission_writes")]
pub async fn submission_writes(submission_id: i32) -> Result<WritesProgress, AppError> {
    use super::context::*;
    respond(
        async move {
            let person = require_area(wharf_types::Area::Forms).await?;
            let ctx = server_context()?;
            Ok(domain::jobs::progress_for(&ctx.db, &person, submission_id).await?)
        }
        .await,
    )
}

/// Queues the failed writes of a submission that needs attention again (designers only); writes
/// that were done stay done.
#[server(endpoint = "retry_submission_writes")]
pub async fn retry_submission_writes(submission_id: i32) -> Result<WritesProgress, AppError> {
    use super::context::*;
    respond(
        async move {
            let designer = crate::api::forms::require_designer().await?;
            let ctx = server_context()?;
            let jobs = use_context::<domain::jobs::Jobs>()
                .ok_or_else(|| internal("the job queue is not provided"))?;
            let progress = domain::jobs::retry(&ctx.db, &jobs, submission_id).await?;
            tracing::info!(
                user_id = designer.id,
                submission_id,
                "a designer retried a submission's writes"
            );
            Ok(progress)
        }
        .await,
    )
}
