//! The after-submit job: a submission's File upload fields saved into data sources, then its After
//! submit rules, with the submitter's rights, on the form's published version. What the rules
//! change is checked as a person's input is and stored in the submission; what they say is kept in
//! the job's progress.
use super::Progress;
use crate::connector::{DropboxConnector, DropboxWriter};
use crate::form_store::{self, StoreError, from_json, to_json};
use crate::forms::{FormError, check_rule_changes};
use crate::rules::{self, RetryLater, RuleEnv, RuleForm, RulesError};
use crate::vault::Vault;
use entity::{form_submission, job, job_write};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use wharf_types::forms::{FieldKind, FieldValue, FormDefinition, SaveLocation};
use wharf_types::rules::{Trigger, TriggerEvent};

/// What a job needs of the server.
#[derive(Clone)]
pub(crate) struct JobContext {
    pub db: DatabaseConnection,
    pub connector: DropboxConnector,
    pub vault: Vault,
    pub data_dir: PathBuf,
}

/// How an attempt ended.
pub(crate) enum Ending {
    Done,
    /// A failure a later attempt may get past.
    Retry {
        message: String,
        retry_after: Option<Duration>,
    },
    NeedsAttention(String),
}

/// An attempt's ending, with what to record: the job's progress and the submission's new values.
pub(crate) struct Ran {
    pub ending: Ending,
    pub progress: Option<Progress>,
    /// JSON of the submission's values, when the job changed them.
    pub values: Option<String>,
}

impl Ran {
    fn ended(ending: Ending) -> Ran {
        Ran {
            ending,
            progress: None,
            values: None,
        }
    }

    fn needs_attention(sentence: impl Into<String>) -> Ran {
        Ran::ended(Ending::NeedsAttention(sentence.into()))
    }
}

/// Whether submitting `definition` leaves work for a job: an enabled After submit rule, or a File
/// upload field saving into a data source.
pub fn runs_after_submit(definition: &FormDefinition) -> bool {
    definition
        .rules
        .iter()
        .any(|r| r.enabled && r.trigger == Trigger::AfterSubmit)
        || definition
            .fields
            .iter()
            .any(|f| saves_to_data_source(&f.kind))
}

fn saves_to_data_source(kind: &FieldKind) -> bool {
    matches!(kind, FieldKind::FileUpload(u) if matches!(u.save_to, SaveLocation::DataSource(_)))
}

/// The writes a submission's job plans: each file to save into a data source, plus each enabled
/// After submit write rule (conditions may leave some out, so it is an estimate until it runs).
pub fn planned_writes(definition: &FormDefinition, values: &BTreeMap<String, FieldValue>) -> u32 {
    let files: usize = definition
        .fields
        .iter()
        .filter(|f| saves_to_data_source(&f.kind))
        .map(|f| match values.get(&f.name) {
            Some(FieldValue::Uploads(files)) => files.len(),
            Some(FieldValue::UploadTokens(tokens)) => tokens.len(),
            _ => 0,
        })
        .sum();
    let rules = definition
        .rules
        .iter()
        .filter(|r| r.enabled && r.trigger == Trigger::AfterSubmit && r.action.writes())
        .count();
    u32::try_from(files + rules).unwrap_or(u32::MAX)
}

/// One attempt at `job`. `Err` only for the database (the worker tries again later).
pub(crate) async fn run(cx: &JobContext, job: &job::Model, owner: &str) -> Result<Ran, DbErr> {
    let db = &cx.db;
    let Some(submission) = form_submission::Entity::find_by_id(job.submission_id)
        .one(db)
        .await?
    else {
        return Ok(Ran::needs_attention("The submission was deleted."));
    };
    // The version the submission was filled in on (its fields and rules), unless a designer's
    // Retry chose the form as published then.
    let wanted = job.run_version.unwrap_or(submission.form_version);
    let published = match form_store::published_version(db, submission.form_id, wanted).await {
        Ok(Some(kept)) => Ok(kept),
        // Published before every version was kept: the latest is all there is.
        Ok(None) => form_store::published(db, submission.form_id).await,
        Err(e) => Err(e),
    };
    let published = match published {
        Ok(published) => published,
        Err(StoreError::Database(e)) => return Err(e),
        Err(e) => return Ok(Ran::needs_attention(e.to_string())),
    };
    let mut progress = Progress::default();
    if published.version != submission.form_version {
        tracing::info!(
            job_id = job.id,
            submitted_on = submission.form_version,
            running = published.version,
            "this submission's writes run another version of the form than it was filled in on"
        );
        progress.ran_version = Some(published.version);
    }
    let person = match submission.submitted_by {
        Some(id) => crate::identity::find_active_user(db, id)
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?,
        None => None,
    };
    let Some(person) = person else {
        return Ok(Ran::needs_attention(
            "The person who submitted this form is disabled or deleted, and its writes run with \
             their rights. Enable their account, then retry.",
        ));
    };
    let mut values: BTreeMap<String, FieldValue> = match from_json(&submission.values) {
        Ok(values) => values,
        Err(e) => return Ok(Ran::needs_attention(e.to_string())),
    };
    progress.total = planned_writes(&published.definition, &values);
    super::queue::record_progress(db, job.id, owner, &progress).await?;

    let writer = DropboxWriter::new(&cx.connector, &cx.data_dir);
    let ledger = super::JobLedger::new(db, job.id);
    let env = RuleEnv {
        db,
        items: &cx.connector,
        vault: &cx.vault,
        writer: Some(&writer),
        ledger: Some(&ledger),
    };
    let form = RuleForm {
        id: submission.form_id,
        version: published.version,
        draft: false,
        definition: &published.definition,
    };
    let before = values.clone();
    if let Err(e) = rules::save_uploads(env, &person, form, &mut values).await {
        return stopped(e);
    }
    let outcome = match rules::run(
        env,
        &person,
        form,
        &TriggerEvent::AfterSubmit,
        values.clone(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => return stopped(e),
    };
    progress.messages = outcome.messages.clone();
    match check_rule_changes(db, &cx.connector, &person, &published.definition, outcome).await {
        Ok(checked) => {
            for (name, checked) in checked {
                match checked {
                    Ok(Some(value)) => {
                        values.insert(name, value);
                    }
                    Ok(None) => {
                        values.remove(&name);
                    }
                    Err(message) => tracing::warn!(
                        job_id = job.id,
                        submission_id = submission.id,
                        field = name,
                        "an After submit rule set a value that is not kept: {message}"
                    ),
                }
            }
        }
        Err(FormError::Database(e)) => return Err(e),
        Err(e) => tracing::error!(
            job_id = job.id,
            submission_id = submission.id,
            "After submit values not checked: {e}"
        ),
    }
    let values = if values != before {
        Some(to_json(&values).map_err(|e| DbErr::Custom(e.to_string()))?)
    } else {
        None
    };
    // A write rule that failed (its On error applied) leaves its row failed: a person must look.
    let failed = job_write::Entity::find()
        .filter(job_write::Column::JobId.eq(job.id))
        .filter(job_write::Column::State.eq(super::write_state::FAILED))
        .one(db)
        .await?;
    let ending = match failed {
        Some(w) if w.message.trim().is_empty() => {
            Ending::NeedsAttention(format!("“{}” failed.", w.label))
        }
        Some(w) => Ending::NeedsAttention(w.message),
        None => Ending::Done,
    };
    Ok(Ran {
        ending,
        progress: Some(progress),
        values,
    })
}

/// A run that stopped on an error no rule reaction covers.
fn stopped(e: RulesError) -> Result<Ran, DbErr> {
    match e {
        RulesError::RetryLater(RetryLater {
            message,
            retry_after,
        }) => Ok(Ran::ended(Ending::Retry {
            message,
            retry_after,
        })),
        // The database may come back: tried again later, as a failure that may pass.
        RulesError::Database(e) => Err(e),
        other => Ok(Ran::needs_attention(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_types::forms::UploadedFile;

    fn definition(value: serde_json::Value) -> FormDefinition {
        serde_json::from_value(value).unwrap()
    }

    fn text_field(name: &str) -> serde_json::Value {
        serde_json::json!({
            "title": name, "name": name, "help": "", "required": false,
            "enabled": true, "visible": true, "kind": "Text",
        })
    }

    fn rule(
        id: &str,
        enabled: bool,
        trigger: &str,
        action: serde_json::Value,
    ) -> serde_json::Value {
        serde_json::json!({
            "id": id, "name": id, "enabled": enabled, "trigger": trigger,
            "conditions": { "combine": "And", "groups": [] }, "action": action,
        })
    }

    #[test]
    fn only_enabled_after_submit_rules_and_uploads_to_a_data_source_make_a_job() {
        let message = serde_json::json!({ "ShowMessage": { "text": "Hi", "level": "Info" } });
        let none = definition(serde_json::json!({ "fields": [text_field("a")], "rules": [
            rule("r1", true, "BeforeSubmit", message.clone()),
            rule("r2", false, "AfterSubmit", message.clone()),
        ] }));
        assert!(!runs_after_submit(&none));
        let rule_job = definition(serde_json::json!({ "fields": [text_field("a")], "rules": [
            rule("r1", true, "AfterSubmit", message),
        ] }));
        assert!(runs_after_submit(&rule_job));
        let mut upload = text_field("scan");
        upload["kind"] = serde_json::json!({ "FileUpload": { "save_to": "Wharf" } });
        assert!(!runs_after_submit(&definition(
            serde_json::json!({ "fields": [upload.clone()] })
        )));
        upload["kind"] = serde_json::json!({ "FileUpload": { "save_to": { "DataSource": {
            "data_source_id": 1, "folder": "", "name": "Original", "on_conflict": "Fail",
        } } } });
        let saving = definition(serde_json::json!({ "fields": [upload] }));
        assert!(runs_after_submit(&saving));

        // Each file to save is one planned write.
        let file = |id| UploadedFile {
            id,
            name: format!("{id}.pdf"),
            size: 1,
            saved: None,
        };
        let values = BTreeMap::from([(
            "scan".to_owned(),
            FieldValue::Uploads(vec![file(1), file(2)]),
        )]);
        assert_eq!(planned_writes(&saving, &values), 2);
        assert_eq!(planned_writes(&saving, &BTreeMap::new()), 0);
    }
}
