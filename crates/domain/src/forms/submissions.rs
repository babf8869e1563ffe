//! Submitting a form and reading its submissions.
use super::FormError;
use super::values::{check_value, is_empty};
use crate::AuthenticatedUser;
use crate::connector::DropboxConnector;
use crate::db::begin_write;
use crate::form_store::{self, from_json, to_json};
use crate::jobs::{self, Jobs};
use crate::paging;
use crate::rules::{self, RuleEnv, RuleForm, RulesError};
use crate::uploads::{self, UploadError};
use crate::vault::Vault;
use entity::{form, form_submission};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use wharf_types::Page;
use wharf_types::forms::{FieldDefinition, FieldKind, FieldValue, FormDefinition};
use wharf_types::rules::{RuleOutcome, TriggerEvent, WritesProgress};

#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: i32,
    pub form_version: i32,
    pub submitted_by: Option<String>,
    pub submitted_at: OffsetDateTime,
    pub values: BTreeMap<String, FieldValue>,
    /// Where its After submit writes stand, when it has any (see [`jobs`]).
    pub writes: Option<WritesProgress>,
}

pub type SubmissionPage = Page<Submission>;

/// What submitting did: the submission's id and, when After submit work was queued as a job, its
/// first state (follow it with [`jobs::progress`]; what its rules say arrives there).
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub id: i32,
    pub writes: Option<WritesProgress>,
}

/// Checks the values against the published form, looks every chosen file up again, runs the Before
/// submit rules (which may refuse, or change values — checked again) and stores the submission.
/// Hidden and disabled fields keep no value; unknown names are refused.
///
/// After submit: when the version has an enabled After submit rule or a File upload field saving
/// into a data source, that work is a job ([`jobs`]) queued in the submission's transaction (so
/// neither is stored without the other) and `jobs` is woken; the answer says it is queued, and the
/// job's changes and messages land in the submission and its progress later. Otherwise nothing runs
/// after submit. An After submit failure never loses the submission.
pub async fn submit(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    vault: &Vault,
    jobs: &Jobs,
    person: &AuthenticatedUser,
    form_id: i32,
    values: BTreeMap<String, FieldValue>,
) -> Result<Submitted, FormError> {
    let form_store::PublishedForm {
        version,
        definition,
        ..
    } = form_store::published(db, form_id).await?;
    let mut problems = BTreeMap::new();
    for name in values.keys() {
        if !definition.fields.iter().any(|f| &f.name == name) {
            problems.insert(name.clone(), "This form has no such field.".to_owned());
        }
    }
    // A hidden or disabled field keeps a value only when a rule of this version may set it (a
    // reference a rule worked out as the person filled in); otherwise nobody could have entered one.
    let set_by_rules: Vec<&str> = definition
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.action.targets())
        .collect();
    let mut stored = BTreeMap::new();
    for field in definition.fields.iter().filter(|f| {
        (f.visible && f.enabled) || set_by_rules.iter().any(|t| t.eq_ignore_ascii_case(&f.name))
    }) {
        if let Some(value) =
            check_field(db, connector, person, field, values.get(&field.name)).await?
        {
            match value {
                Ok(value) => {
                    stored.insert(field.name.clone(), value);
                }
                Err(message) => {
                    problems.insert(field.name.clone(), message);
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(FormError::Values(problems));
    }

    let env = RuleEnv {
        db,
        items: connector,
        vault,
        writer: None,
        ledger: None,
    };
    let form = RuleForm {
        id: form_id,
        version,
        draft: false,
        definition: &definition,
    };
    let before = rules::run(
        env,
        person,
        form,
        &TriggerEvent::BeforeSubmit,
        stored.clone(),
    )
    .await
    .map_err(rules_failure)?;
    if let Some(sentence) = before.refusal {
        return Err(FormError::RefusedByRule(sentence));
    }
    // What the rules changed is checked like what the person typed.
    for (name, checked) in check_rule_changes(db, connector, person, &definition, before).await? {
        match checked {
            Ok(Some(value)) => {
                stored.insert(name, value);
            }
            Ok(None) => {
                stored.remove(&name);
            }
            Err(message) => {
                problems.insert(name, message);
            }
        }
    }
    if !problems.is_empty() {
        return Err(FormError::Values(problems));
    }

    // One transaction: the submission, the uploads it claims and its job go in together or not
    // at all.
    let queued = jobs::runs_after_submit(&definition);
    let txn = begin_write(db).await?;
    let created = form_submission::ActiveModel {
        form_id: Set(form_id),
        form_version: Set(version),
        submitted_by: Set(Some(person.id)),
        submitted_at: Set(OffsetDateTime::now_utc()),
        values: Set(to_json(&stored)?),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if claim_uploads(&txn, person, form_id, created.id, &mut stored).await? {
        let mut active: form_submission::ActiveModel = created.clone().into();
        active.values = Set(to_json(&stored)?);
        active.update(&txn).await?;
    }
    let writes = if queued {
        let total = jobs::planned_writes(&definition, &stored);
        jobs::enqueue_after_submit(&txn, created.id, form_id, total).await?;
        Some(WritesProgress {
            total,
            ..WritesProgress::queued()
        })
    } else {
        None
    };
    txn.commit().await?;
    tracing::info!(
        user_id = person.id,
        form_id,
        submission_id = created.id,
        writes_queued = queued,
        "form submitted"
    );
    if queued {
        jobs.wake();
    }
    Ok(Submitted {
        id: created.id,
        writes,
    })
}

/// A field's value checked: `None` when it has none (and needs none), else the value as stored or
/// the sentence saying what is wrong. A button never holds one; a required field must.
async fn check_field(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    field: &FieldDefinition,
    value: Option<&FieldValue>,
) -> Result<Option<Result<FieldValue, String>>, FormError> {
    Ok(match value.filter(|v| !is_empty(v)) {
        None if field.required && !matches!(field.kind, FieldKind::Button(_)) => {
            Some(Err(format!("{} is required.", field.title)))
        }
        None => None,
        Some(value) => Some(check_value(db, connector, person, field, value.clone()).await?),
    })
}

/// The values rules set on the server, each checked like what a person types: the value to keep,
/// `None` to clear the field, or the sentence saying what is wrong. Hidden and disabled fields count:
/// the server worked these values out itself.
pub(crate) async fn check_rule_changes(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    definition: &FormDefinition,
    outcome: RuleOutcome,
) -> Result<Vec<(String, Result<Option<FieldValue>, String>)>, FormError> {
    let mut checked = Vec::new();
    for (name, value) in changed_values(outcome) {
        let Some(field) = definition.fields.iter().find(|f| f.name == name) else {
            continue;
        };
        let result = match check_field(db, connector, person, field, Some(&value)).await? {
            None => Ok(None),
            Some(Ok(value)) => Ok(Some(value)),
            Some(Err(message)) => Err(message),
        };
        checked.push((name, result));
    }
    Ok(checked)
}

/// The values rules set: single fields, and tables as the rows of their first page.
fn changed_values(outcome: RuleOutcome) -> BTreeMap<String, FieldValue> {
    let mut changes = outcome.changes;
    for (field, page) in outcome.tables {
        changes.insert(field, FieldValue::Table(page.rows));
    }
    changes
}

/// Running rules failed in a way no rule reaction covers (the database, a damaged form).
fn rules_failure(e: RulesError) -> FormError {
    match e {
        RulesError::Database(e) => FormError::Database(e),
        RulesError::Stored(e) => FormError::Stored(e),
        other => FormError::RefusedByRule(other.to_string()),
    }
}

/// Exchanges every File upload field's tokens for the uploads they name, now attached to
/// `submission_id`; whether anything changed. A token that is not this person's unattached upload for
/// this field refuses the submission (the caller's transaction is then rolled back).
async fn claim_uploads(
    txn: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    form_id: i32,
    submission_id: i32,
    stored: &mut BTreeMap<String, FieldValue>,
) -> Result<bool, FormError> {
    let mut changed = false;
    for (field, value) in stored.iter_mut() {
        let FieldValue::UploadTokens(tokens) = value else {
            continue;
        };
        let files = uploads::attach(txn, person, form_id, field, tokens, submission_id)
            .await
            .map_err(|e| match e {
                UploadError::Database(e) => FormError::Database(e),
                UploadError::Stored(e) => FormError::Stored(e),
                other => FormError::Values(BTreeMap::from([(field.clone(), other.to_string())])),
            })?;
        *value = FieldValue::Uploads(files);
        changed = true;
    }
    Ok(changed)
}

/// A form's submissions, newest first, one page (0-based) at a time.
pub async fn submissions(
    db: &impl ConnectionTrait,
    form_id: i32,
    page: u64,
) -> Result<SubmissionPage, FormError> {
    form::Entity::find_by_id(form_id)
        .one(db)
        .await?
        .ok_or(FormError::NotFound)?;
    let query = form_submission::Entity::find().filter(form_submission::Column::FormId.eq(form_id));
    let query = query
        .order_by_desc(form_submission::Column::SubmittedAt)
        .order_by_desc(form_submission::Column::Id);
    paging::fetch_with(db, query, page, |rows| submission_rows(db, rows)).await
}

/// Submissions as the list shows them: who submitted each, by name (one query for the page).
async fn submission_rows(
    db: &impl ConnectionTrait,
    rows: Vec<form_submission::Model>,
) -> Result<Vec<Submission>, FormError> {
    let names =
        crate::identity::display_names(db, rows.iter().filter_map(|r| r.submitted_by)).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut writes = jobs::progress_by_submission(db, &ids).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Submission {
                id: r.id,
                form_version: r.form_version,
                submitted_by: r.submitted_by.and_then(|id| names.get(&id).cloned()),
                submitted_at: r.submitted_at,
                values: from_json(&r.values)?,
                writes: writes.remove(&r.id),
            })
        })
        .collect()
}
