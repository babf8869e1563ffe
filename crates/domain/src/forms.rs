//! Forms: designers edit a draft and publish it; people fill in the published version and submit.
//! A submission is checked field by field against the version it was filled in, and every chosen
//! Dropbox file is looked up again (inside the data source's root and the field's folder) so what is
//! stored is what is really there, not what the browser said.
use crate::AuthenticatedUser;
use crate::connector::{DropboxConnector, Entry, FilesError};
use crate::policy::{self, Action, Decision};
use crate::search::contains_any;
use crate::uploads::{self, UploadError};
use entity::{form, form_submission, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use wharf_types::forms::{
    DataSourceList, FieldDefinition, FieldKind, FieldValue, FileChoice, FileFacts, FormDefinition,
    ListSource,
};

pub const PAGE_SIZE: u64 = 50;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Files one List field may hold in one submission.
pub const MAX_FILES_PER_FIELD: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("There is no such form; it may have been deleted.")]
    NotFound,
    #[error("This form is not published yet.")]
    NotPublished,
    /// A problem with the title (`field: None`) or one field of the definition (by position).
    #[error("{message}")]
    Definition {
        field: Option<usize>,
        message: String,
    },
    /// The person may not use a data source a List field of the form is bound to.
    #[error("{0}")]
    Denied(String),
    /// The submitted values, by field name, with what is wrong with each.
    #[error("{}", .0.values().next().map(String::as_str).unwrap_or("Check the form."))]
    Values(BTreeMap<String, String>),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// One row of the forms list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormSummary {
    pub id: i32,
    pub title: String,
    pub version: i32,
    pub published_at: Option<OffsetDateTime>,
    /// Whether the draft differs from what is published.
    pub unpublished_changes: bool,
    pub updated_at: OffsetDateTime,
    pub updated_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FormDetail {
    pub summary: FormSummary,
    pub draft: FormDefinition,
    pub published: Option<FormDefinition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormPage {
    pub rows: Vec<FormSummary>,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: i32,
    pub form_version: i32,
    pub submitted_by: Option<String>,
    pub submitted_at: OffsetDateTime,
    pub values: BTreeMap<String, FieldValue>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubmissionPage {
    pub rows: Vec<Submission>,
    pub total: u64,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Custom(format!("cannot store JSON: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|e| DbErr::Custom(format!("stored JSON is unreadable: {e}")))
}

fn summary(f: &form::Model, by: Option<user::Model>) -> FormSummary {
    FormSummary {
        id: f.id,
        title: f.title.clone(),
        version: f.version,
        published_at: f.published_at,
        unpublished_changes: f.published.as_deref() != Some(f.draft.as_str()),
        updated_at: f.updated_at,
        updated_by: by.map(|u| u.display_name),
    }
}

fn clean_title(title: &str) -> Result<String, FormError> {
    let title = title.trim();
    let problem = if title.is_empty() {
        Some("Give the form a title.".to_owned())
    } else if title.chars().count() > MAX_TITLE_CHARS {
        Some(format!(
            "A title can have at most {MAX_TITLE_CHARS} characters."
        ))
    } else if title.chars().any(char::is_control) {
        Some("The title cannot contain control characters.".to_owned())
    } else {
        None
    };
    match problem {
        Some(message) => Err(FormError::Definition {
            field: None,
            message,
        }),
        None => Ok(title.to_owned()),
    }
}

/// The definition's problems, then whether the designer may use every data source it binds: a
/// designer cannot put a data source they may not use into a form.
async fn check_definition(
    db: &impl ConnectionTrait,
    designer: &AuthenticatedUser,
    definition: &FormDefinition,
) -> Result<(), FormError> {
    if let Some(p) = definition.problems().into_iter().next() {
        return Err(FormError::Definition {
            field: p.field,
            message: p.message,
        });
    }
    for (i, f) in definition.fields.iter().enumerate() {
        if let Some(list) = data_source_list(f) {
            let message = match unusable(db, designer, list.data_source_id).await? {
                Some(Unusable::Gone) => {
                    format!("{} Choose another.", Unusable::Gone.sentence())
                }
                Some(denied) => denied.sentence(),
                None => continue,
            };
            return Err(FormError::Definition {
                field: Some(i),
                message,
            });
        }
    }
    Ok(())
}

/// Why a person cannot use a List field's data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    Gone,
    Denied(policy::Denial),
}

impl Unusable {
    pub fn sentence(&self) -> String {
        match self {
            Unusable::Gone => "The data source of this list no longer exists.".to_owned(),
            Unusable::Denied(d) => d.sentence(),
        }
    }
}

/// Whether `person` may use data source `data_source_id` for a List field, and if not, why.
async fn unusable(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    data_source_id: i32,
) -> Result<Option<Unusable>, DbErr> {
    let Some(security) = policy::load_security(db, data_source_id).await? else {
        return Ok(Some(Unusable::Gone));
    };
    Ok(
        match policy::decide(Some(person), Action::UseDataSource, Some(&security)) {
            Decision::Allow => None,
            Decision::Deny(d) => Some(Unusable::Denied(d)),
        },
    )
}

/// For each List field of `definition` bound to a data source `person` may not use: why, by field
/// name — shown in place of the field when the form is opened.
pub async fn refusals(
    db: &impl ConnectionTrait,
    person: &AuthenticatedUser,
    definition: &FormDefinition,
) -> Result<BTreeMap<String, String>, DbErr> {
    let mut refusals = BTreeMap::new();
    for f in &definition.fields {
        if let Some(list) = data_source_list(f)
            && let Some(why) = unusable(db, person, list.data_source_id).await?
        {
            refusals.insert(f.name.clone(), why.sentence());
        }
    }
    Ok(refusals)
}

/// The List settings of a field bound to a data source, if it is one.
pub fn data_source_list(f: &FieldDefinition) -> Option<&DataSourceList> {
    match &f.kind {
        FieldKind::List(list) => match &list.source {
            ListSource::DataSource(ds) => Some(ds),
            ListSource::Manual { .. } => None,
        },
        _ => None,
    }
}

/// Forms whose title contains `search`, by title, one page (0-based) at a time.
pub async fn list(db: &impl ConnectionTrait, search: &str, page: u64) -> Result<FormPage, DbErr> {
    let mut query = form::Entity::find();
    if let Some(matches) = contains_any(search, [Expr::col((form::Entity, form::Column::Title))]) {
        query = query.filter(matches);
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .find_also_related(user::Entity)
        .order_by_asc(form::Column::Title)
        .order_by_asc(form::Column::Id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok(FormPage {
        rows: rows.into_iter().map(|(f, u)| summary(&f, u)).collect(),
        total,
    })
}

/// Published forms, by title, for the people who fill them in.
pub async fn list_published(
    db: &impl ConnectionTrait,
    search: &str,
    page: u64,
) -> Result<FormPage, DbErr> {
    let mut query = form::Entity::find().filter(form::Column::Published.is_not_null());
    if let Some(matches) = contains_any(search, [Expr::col((form::Entity, form::Column::Title))]) {
        query = query.filter(matches);
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(form::Column::Title)
        .order_by_asc(form::Column::Id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok(FormPage {
        rows: rows.iter().map(|f| summary(f, None)).collect(),
        total,
    })
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<FormDetail, FormError> {
    let (f, by) = form::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .ok_or(FormError::NotFound)?;
    Ok(FormDetail {
        draft: from_json(&f.draft)?,
        published: f.published.as_deref().map(from_json).transpose()?,
        summary: summary(&f, by),
    })
}

/// Creates a form with a title and no fields yet.
pub async fn create(
    db: &DatabaseConnection,
    designer: &AuthenticatedUser,
    title: &str,
) -> Result<i32, FormError> {
    let title = clean_title(title)?;
    let now = OffsetDateTime::now_utc();
    let created = form::ActiveModel {
        title: Set(title),
        draft: Set(to_json(&FormDefinition::default())?),
        published: Set(None),
        version: Set(0),
        published_at: Set(None),
        updated_by: Set(Some(designer.id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = designer.id, form_id = created.id, "form created");
    Ok(created.id)
}

/// Saves the title and the draft; what people fill in changes only at the next [`publish`].
pub async fn save_draft(
    db: &DatabaseConnection,
    designer: &AuthenticatedUser,
    id: i32,
    title: &str,
    draft: &FormDefinition,
) -> Result<(), FormError> {
    let title = clean_title(title)?;
    check_definition(db, designer, draft).await?;
    let existing = form::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(FormError::NotFound)?;
    let mut active: form::ActiveModel = existing.into();
    active.title = Set(title);
    active.draft = Set(to_json(draft)?);
    active.updated_by = Set(Some(designer.id));
    active.updated_at = Set(OffsetDateTime::now_utc());
    active.update(db).await?;
    Ok(())
}

/// Makes the draft what people fill in, as the next version.
pub async fn publish(
    db: &DatabaseConnection,
    designer: &AuthenticatedUser,
    id: i32,
) -> Result<i32, FormError> {
    let txn = db.begin().await?;
    let existing = form::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(FormError::NotFound)?;
    let draft: FormDefinition = from_json(&existing.draft)?;
    if draft.fields.is_empty() {
        return Err(FormError::Definition {
            field: None,
            message: "Add at least one field before publishing.".into(),
        });
    }
    // Checked again: a data source may have been deleted or its Security changed since the save.
    check_definition(&txn, designer, &draft).await?;
    let version = existing.version + 1;
    let mut active: form::ActiveModel = existing.clone().into();
    active.published = Set(Some(existing.draft));
    active.version = Set(version);
    active.published_at = Set(Some(OffsetDateTime::now_utc()));
    active.updated_by = Set(Some(designer.id));
    active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(
        user_id = designer.id,
        form_id = id,
        version,
        "form published"
    );
    Ok(version)
}

/// Deletes a form and its submissions.
pub async fn delete(
    db: &DatabaseConnection,
    designer: &AuthenticatedUser,
    id: i32,
) -> Result<(), FormError> {
    let deleted = form::Entity::delete_by_id(id).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(FormError::NotFound);
    }
    tracing::info!(user_id = designer.id, form_id = id, "form deleted");
    Ok(())
}

/// The published version people fill in: (title, version, definition).
pub async fn published(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<(String, i32, FormDefinition), FormError> {
    let f = form::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(FormError::NotFound)?;
    let definition = f.published.as_deref().ok_or(FormError::NotPublished)?;
    Ok((f.title, f.version, from_json(definition)?))
}

/// A List field bound to a data source, from the published form (or, for a designer's preview,
/// the draft): what the picker lists and what a submission may choose from.
pub async fn list_field(
    db: &impl ConnectionTrait,
    form_id: i32,
    field_name: &str,
    draft: bool,
) -> Result<(FieldDefinition, DataSourceList), FormError> {
    let definition = if draft {
        get(db, form_id).await?.draft
    } else {
        published(db, form_id).await?.2
    };
    let field = definition
        .fields
        .into_iter()
        .find(|f| f.name == field_name)
        .ok_or(FormError::NotFound)?;
    let list = data_source_list(&field)
        .cloned()
        .ok_or(FormError::NotFound)?;
    Ok((field, list))
}

/// Checks the values against the published form, looks every chosen file up again, and stores
/// the submission. Hidden and disabled fields keep no value; unknown names are refused.
pub async fn submit(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    form_id: i32,
    values: BTreeMap<String, FieldValue>,
) -> Result<i32, FormError> {
    let (_, version, definition) = published(db, form_id).await?;
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
                other => FormError::Values(BTreeMap::from([(field.clone(), other.to_string())])),
            })?;
        *value = FieldValue::Uploads(files);
        changed = true;
    }
    Ok(changed)
}

fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Text(t) | FieldValue::Date(t) => t.trim().is_empty(),
        FieldValue::Number(_) => false,
        FieldValue::Options(o) => o.is_empty(),
        FieldValue::Files(f) => f.is_empty(),
        FieldValue::UploadTokens(t) => t.is_empty(),
        FieldValue::Uploads(u) => u.is_empty(),
    }
}

/// The value as it will be stored, `Err(sentence)` when the person must change it, or a
/// `FormError` when the check itself failed (database).
async fn check_value(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    field: &FieldDefinition,
    value: FieldValue,
) -> Result<Result<FieldValue, String>, FormError> {
    let wrong_kind = || Err(format!("{} got a value of the wrong kind.", field.title));
    Ok(match (&field.kind, value) {
        (FieldKind::Text, FieldValue::Text(t)) => {
            if t.chars().count() > MAX_TEXT_CHARS {
                Err(format!("At most {MAX_TEXT_CHARS} characters."))
            } else if t
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
            {
                Err("The text contains control characters.".into())
            } else {
                Ok(FieldValue::Text(t))
            }
        }
        (FieldKind::Number, FieldValue::Number(n)) if n.is_finite() => Ok(FieldValue::Number(n)),
        (FieldKind::FileUpload, FieldValue::UploadTokens(tokens)) => {
            if tokens.len() > MAX_FILES_PER_FIELD {
                Err(format!("Upload at most {MAX_FILES_PER_FIELD} files."))
            } else {
                Ok(FieldValue::UploadTokens(tokens))
            }
        }
        (FieldKind::Number, FieldValue::Number(_)) => Err("Enter a number.".into()),
        (FieldKind::Date, FieldValue::Date(d)) => match parse_date(d.trim()) {
            Some(_) => Ok(FieldValue::Date(d.trim().to_owned())),
            None => Err("Enter a date as YYYY-MM-DD.".into()),
        },
        (FieldKind::List(list), FieldValue::Options(chosen)) => match &list.source {
            ListSource::Manual { options } => {
                if chosen.len() > 1 && !list.format.allows_many() {
                    Err("Choose one option.".into())
                } else if let Some(o) = chosen.iter().find(|o| !options.contains(o)) {
                    Err(format!("“{o}” is not one of the options."))
                } else {
                    Ok(FieldValue::Options(chosen))
                }
            }
            ListSource::DataSource(_) => wrong_kind(),
        },
        (FieldKind::List(list), FieldValue::Files(chosen)) => match &list.source {
            ListSource::DataSource(ds) => {
                if chosen.len() > 1 && !list.format.allows_many() {
                    Err("Choose one file.".into())
                } else if chosen.len() > MAX_FILES_PER_FIELD {
                    Err(format!("Choose at most {MAX_FILES_PER_FIELD} files."))
                } else {
                    check_files(db, connector, person, ds, chosen)
                        .await?
                        .map(FieldValue::Files)
                }
            }
            ListSource::Manual { .. } => wrong_kind(),
        },
        _ => wrong_kind(),
    })
}

/// A `YYYY-MM-DD` date that exists (no 2026-02-30).
fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if text.len() != 10 {
        return None;
    }
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// Whether `path` (relative to the root) lies in the field's folder: directly, or anywhere below it
/// when sub-folders are allowed. Dropbox paths compare without case.
pub fn in_field_folder(list: &DataSourceList, path: &str) -> bool {
    let folder = list.folder.trim_matches('/').to_lowercase();
    let path = path.trim_start_matches('/').to_lowercase();
    let rest = if folder.is_empty() {
        Some(path.as_str())
    } else {
        path.strip_prefix(&folder).and_then(|r| r.strip_prefix('/'))
    };
    match rest {
        Some(rest) if !rest.is_empty() => list.include_subfolders || !rest.contains('/'),
        _ => false,
    }
}

async fn check_files(
    db: &DatabaseConnection,
    connector: &DropboxConnector,
    person: &AuthenticatedUser,
    list: &DataSourceList,
    chosen: Vec<FileChoice>,
) -> Result<Result<Vec<FileChoice>, String>, FormError> {
    let security = policy::load_security(db, list.data_source_id).await?;
    if let Decision::Deny(denial) =
        policy::decide(Some(person), Action::UseDataSource, security.as_ref())
    {
        policy::log_denial(
            Some(person),
            Action::UseDataSource,
            Some(list.data_source_id),
            &denial,
        );
        return Err(FormError::Denied(denial.sentence()));
    }
    let mut checked = Vec::with_capacity(chosen.len());
    for choice in chosen {
        if !in_field_folder(list, &choice.path) {
            return Ok(Err(format!(
                "“{}” is not in the folder of this list.",
                choice.name
            )));
        }
        let entry = match connector.entry_at(list.data_source_id, &choice.path).await {
            Ok(entry) => entry,
            Err(e) if e.is_not_found() => {
                return Ok(Err(format!(
                    "“{}” is no longer in Dropbox. Choose again.",
                    choice.name
                )));
            }
            Err(FilesError::Database(e)) => return Err(e.into()),
            Err(e @ FilesError::FileTypeNotAllowed(_)) => {
                return Ok(Err(format!("“{}”: {e}", choice.name)));
            }
            Err(e) => return Ok(Err(e.to_string())),
        };
        if entry.id != choice.id {
            return Ok(Err(format!(
                "“{}” was replaced by another file since you chose it. Choose it again.",
                choice.name
            )));
        }
        if let Some(reason) = list.refusal(&entry.name, entry.is_folder, entry.size) {
            return Ok(Err(format!("“{}”: {reason}", entry.name)));
        }
        let created = if list.value_field == wharf_types::forms::FileParameter::Created {
            let files = [(entry.path.clone(), entry.id.clone())];
            match connector.created_times(list.data_source_id, &files).await {
                Ok(mut times) => times.remove(&entry.id),
                Err(FilesError::Database(e)) => return Err(e.into()),
                Err(e) => return Ok(Err(e.to_string())),
            }
        } else {
            None
        };
        checked.push(choice_of(list, &entry, created.as_deref()));
    }
    Ok(Ok(checked))
}

/// The parameters of an entry, for a List field's display, value and sort.
pub fn facts<'a>(entry: &'a Entry, created: Option<&'a str>) -> FileFacts<'a> {
    FileFacts {
        name: &entry.name,
        path: &entry.path,
        id: &entry.id,
        size: entry.size,
        modified: entry.modified.as_deref(),
        created,
        rev: entry.rev.as_deref(),
        content_hash: entry.content_hash.as_deref(),
    }
}

fn choice_of(list: &DataSourceList, entry: &Entry, created: Option<&str>) -> FileChoice {
    FileChoice {
        data_source_id: list.data_source_id,
        id: entry.id.clone(),
        path: entry.path.clone(),
        rev: entry.rev.clone(),
        name: entry.name.clone(),
        size: entry.size,
        value: list.value_field.value_of(&facts(entry, created)),
    }
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
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(form_submission::Column::SubmittedAt)
        .order_by_desc(form_submission::Column::Id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    let user_ids: Vec<i32> = rows.iter().filter_map(|r| r.submitted_by).collect();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            Ok(Submission {
                id: r.id,
                form_version: r.form_version,
                submitted_by: r.submitted_by.and_then(|id| names.get(&id).cloned()),
                submitted_at: r.submitted_at,
                values: from_json(&r.values)?,
            })
        })
        .collect::<Result<_, DbErr>>()?;
    Ok(SubmissionPage { rows, total })
}
