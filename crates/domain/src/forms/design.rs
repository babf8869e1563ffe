//! Designing a form: its title and draft, checked the same way the designer's screen checks them, and
//! Publish, which makes the draft what people fill in.
use super::{FormError, MAX_TITLE_CHARS};
use crate::AuthenticatedUser;
use crate::db::begin_write;
use crate::form_store::{self, Version, from_json, to_json};
use crate::policy::{self, Action, Decision};
use entity::{form, form_version};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QuerySelect,
};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use wharf_types::forms::{DataSourceList, FieldDefinition, FieldKind, FormDefinition, ListSource};

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
            rule: None,
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
            rule: p.rule,
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
                rule: None,
                message,
            });
        }
    }
    // Find items runs with the rights of the person filling in; a designer still cannot put a data
    // source they may not use into a rule.
    for (i, rule) in definition.rules.iter().enumerate() {
        if let Some(id) = rule.action.data_source_id()
            && let Some(why) = unusable(db, designer, id).await?
        {
            let message = match why {
                Unusable::Gone => {
                    "The data source of this rule no longer exists. Choose another.".to_owned()
                }
                denied => denied.sentence(),
            };
            return Err(FormError::Definition {
                field: None,
                rule: Some(i),
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
    let txn = begin_write(db).await?;
    // Locked, so that a second Publish of the same form waits for this one instead of reading the
    // same version number: the row on PostgreSQL; on SQLite `begin_write` holds the write lock.
    let existing = form::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(FormError::NotFound)?;
    let draft: FormDefinition = from_json(&existing.draft)?;
    if draft.fields.is_empty() {
        return Err(FormError::Definition {
            field: None,
            rule: None,
            message: "Add at least one field before publishing.".into(),
        });
    }
    // Checked again: a data source may have been deleted or its Security changed since the save.
    check_definition(&txn, designer, &draft).await?;
    let version = existing.version + 1;
    let now = OffsetDateTime::now_utc();
    // Kept, so submissions filled in on this version run its rules after the next Publish too.
    form_version::ActiveModel {
        form_id: Set(id),
        version: Set(version),
        definition: Set(existing.draft.clone()),
        published_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let mut active: form::ActiveModel = existing.clone().into();
    active.published = Set(Some(existing.draft));
    active.version = Set(version);
    active.published_at = Set(Some(now));
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

/// A List field bound to a data source, from the published form (or, for a designer's preview,
/// the draft): what the picker lists and what a submission may choose from.
pub async fn list_field(
    db: &impl ConnectionTrait,
    form_id: i32,
    field_name: &str,
    version: Version,
) -> Result<DataSourceList, FormError> {
    let form = form_store::load(db, form_id, version).await?;
    form.definition
        .fields
        .iter()
        .find(|f| f.name == field_name)
        .and_then(data_source_list)
        .cloned()
        .ok_or(FormError::NotFound)
}
