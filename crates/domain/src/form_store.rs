//! How a form's definitions and a submission's values are kept: JSON in the `forms` and
//! `form_submissions` rows. Both `forms` and `uploads` read a form's versions through here, so neither
//! needs the other for it.
use entity::{form, form_version};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use wharf_types::forms::FormDefinition;

/// Files one List or File upload field may hold in one submission.
pub const MAX_FILES_PER_FIELD: usize = 100;

/// Which definition of a form: the draft its designers edit, or the published one people fill in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Draft,
    Published,
}

/// One definition of a form with its title and version number (for the draft: the version last
/// published, 0 before the first Publish).
#[derive(Clone, Debug, PartialEq)]
pub struct VersionedForm {
    pub title: String,
    pub version: i32,
    pub definition: FormDefinition,
}

/// The published version people fill in.
pub type PublishedForm = VersionedForm;

/// Stored JSON that could not be written or read back (a bug or a damaged row, never the person's input).
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("cannot store a form's JSON: {0}")]
    Write(#[source] serde_json::Error),
    #[error("a form's stored JSON is unreadable: {0}")]
    Read(#[source] serde_json::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("There is no such form; it may have been deleted.")]
    NotFound,
    #[error("This form is not published yet.")]
    NotPublished,
    #[error(transparent)]
    Json(#[from] JsonError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, JsonError> {
    serde_json::to_string(value).map_err(JsonError::Write)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    serde_json::from_str(text).map_err(JsonError::Read)
}

/// Form `id`'s `version`: the draft always exists, the published one only after the first Publish.
pub async fn load(
    db: &impl ConnectionTrait,
    id: i32,
    version: Version,
) -> Result<VersionedForm, StoreError> {
    let f = form::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let definition = match version {
        Version::Draft => f.draft.as_str(),
        Version::Published => f.published.as_deref().ok_or(StoreError::NotPublished)?,
    };
    Ok(VersionedForm {
        definition: from_json(definition)?,
        title: f.title,
        version: f.version,
    })
}

/// The published version people fill in.
pub async fn published(db: &impl ConnectionTrait, id: i32) -> Result<PublishedForm, StoreError> {
    load(db, id, Version::Published).await
}

/// Form `id` as version `version` was published (what a submission filled in on it runs);
/// `None` for a version published before every version was kept (migration 13 kept the latest).
pub async fn published_version(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
) -> Result<Option<PublishedForm>, StoreError> {
    let f = form::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let Some(kept) = form_version::Entity::find_by_id((id, version))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(VersionedForm {
        definition: from_json(&kept.definition)?,
        title: f.title,
        version,
    }))
}
