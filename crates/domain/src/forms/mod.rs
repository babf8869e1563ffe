//! Forms: designers edit a draft and publish it ([`design`]); people fill in the published version
//! and submit ([`submissions`]). A submission is checked field by field against the version it was
//! filled in ([`values`]), and every chosen Dropbox file is looked up again, inside the data source's
//! root and the field's folder ([`files`]), so what is stored is what is really there, not what the
//! browser said. Everything is re-exported here, so `forms::submit` and the like keep their paths.
mod design;
mod files;
mod submissions;
mod values;

pub use crate::form_store::{
    JsonError, MAX_FILES_PER_FIELD, PublishedForm, StoreError, Version, VersionedForm,
};
pub use design::{
    Unusable, create, data_source_list, delete, list_field, publish, refusals, save_draft,
};
pub use files::{facts, in_field_folder};
pub(crate) use submissions::check_rule_changes;
pub use submissions::{Submission, SubmissionPage, Submitted, submissions, submit};
pub use values::MAX_TABLE_ROWS;

use crate::form_store::from_json;
use crate::paging;
use crate::search::contains_any;
use entity::{form, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use wharf_types::Page;
use wharf_types::forms::FormDefinition;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("There is no such form; it may have been deleted.")]
    NotFound,
    #[error("This form is not published yet.")]
    NotPublished,
    /// A problem with the title (`field` and `rule` `None`), one field or one rule of the definition
    /// (by position).
    #[error("{message}")]
    Definition {
        field: Option<usize>,
        /// A problem of a rule (by position) rather than of a field.
        rule: Option<usize>,
        message: String,
    },
    /// The person may not use a data source a List field of the form is bound to.
    #[error("{0}")]
    Denied(String),
    /// A Before submit rule refused the submission, with its sentence.
    #[error("{0}")]
    RefusedByRule(String),
    /// The submitted values, by field name, with what is wrong with each.
    #[error("{}", .0.values().next().map(String::as_str).unwrap_or("Check the form."))]
    Values(BTreeMap<String, String>),
    /// A form or submission could not be stored as JSON or read back.
    #[error(transparent)]
    Stored(#[from] JsonError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl From<StoreError> for FormError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FormError::NotFound,
            StoreError::NotPublished => FormError::NotPublished,
            StoreError::Json(e) => FormError::Stored(e),
            StoreError::Database(e) => FormError::Database(e),
        }
    }
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

pub type FormPage = Page<FormSummary>;

/// Form `id`'s draft or published version, with its title and version number.
pub async fn load(
    db: &impl ConnectionTrait,
    id: i32,
    version: Version,
) -> Result<VersionedForm, FormError> {
    Ok(crate::form_store::load(db, id, version).await?)
}

/// The published version people fill in.
pub async fn published(db: &impl ConnectionTrait, id: i32) -> Result<PublishedForm, FormError> {
    load(db, id, Version::Published).await
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

/// Forms whose title contains `search`, by title, one page (0-based) at a time.
pub async fn list(db: &impl ConnectionTrait, search: &str, page: u64) -> Result<FormPage, DbErr> {
    let mut query = form::Entity::find();
    if let Some(matches) = contains_any(search, [Expr::col((form::Entity, form::Column::Title))]) {
        query = query.filter(matches);
    }
    let query = query
        .find_also_related(user::Entity)
        .order_by_asc(form::Column::Title)
        .order_by_asc(form::Column::Id);
    Ok(paging::fetch(db, query, page)
        .await?
        .map(|(f, u)| summary(&f, u)))
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
    let query = query
        .order_by_asc(form::Column::Title)
        .order_by_asc(form::Column::Id);
    Ok(paging::fetch(db, query, page)
        .await?
        .map(|f| summary(&f, None)))
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
