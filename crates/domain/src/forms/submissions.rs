//! Submitting a form and reading its submissions.
use super::FormError;
use super::values::{check_value, is_empty};
use crate::AuthenticatedUser;
use crate::connector::DropboxConnector;
use crate::form_store::{self, from_json, to_json};
use crate::paging;
use crate::uploads::{self, UploadError};
use entity::{form, form_submission, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use wharf_types::Page;
use wharf_types::forms::FieldValue;

#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: i32,
    pub form_version: i32,
    pub submitted_by: Option<String>,
    pub submitted_at: OffsetDateTime,
    pub values: BTreeMap<String, FieldValue>,
}

pub type SubmissionPage = Page<Submission>;

/// Checks the values against the published form, looks every chosen file up again, and stores
/// the submission. Hidden and disabled fields keep no value; unknown names are refused.
pub async fn submit(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    form_id: i32,
    values: BTreeMap<String, FieldValue>,
) -> Result<i32, FormError> {
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
    let mut stored = BTreeMap::new();
    for field in definition.fields.iter().filter(|f| f.visible && f.enabled) {
        let given = values.get(&field.name).filter(|v| !is_empty(v));
        let checked = match given {
            None if field.required => Err(format!("{} is required.", field.title)),
            None => continue,
            Some(value) => check_value(db, connector, person, field, value.clone()).await?,
        };
        match checked {
            Ok(value) => {
                stored.insert(field.name.clone(), value);
            }
            Err(message) => {
                problems.insert(field.name.clone(), message);
            }
        }
    }
    if !problems.is_empty() {
        return Err(FormError::Values(problems));
    }
    // One transaction: the submission and the uploads it claims go in together or not at all.
    let txn = db.begin().await?;
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
    txn.commit().await?;
    tracing::info!(
        user_id = person.id,
        form_id,
        submission_id = created.id,
        "form submitted"
    );
    Ok(created.id)
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
    let user_ids: Vec<i32> = rows.iter().filter_map(|r| r.submitted_by).collect();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    rows.into_iter()
        .map(|r| {
            Ok(Submission {
                id: r.id,
                form_version: r.form_version,
                submitted_by: r.submitted_by.and_then(|id| names.get(&id).cloned()),
                submitted_at: r.submitted_at,
                values: from_json(&r.values)?,
            })
        })
        .collect()
}
