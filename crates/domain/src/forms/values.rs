//! Checking what a person entered, field by field, against the version of the form they filled in.
use super::files::check_files;
use super::{FormError, MAX_FILES_PER_FIELD, MAX_TEXT_CHARS};
use crate::AuthenticatedUser;
use crate::connector::DropboxConnector;
use sea_orm::DatabaseConnection;
use wharf_types::forms::{FieldDefinition, FieldKind, FieldValue, ListSource};

pub(super) fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Text(t) | FieldValue::Date(t) => t.trim().is_empty(),
        FieldValue::Number(_) => false,
        FieldValue::Options(o) => o.is_empty(),
        FieldValue::Files(f) => f.is_empty(),
        FieldValue::UploadTokens(t) => t.is_empty(),
        FieldValue::Uploads(u) => u.is_empty(),
        FieldValue::Table(rows) => rows.is_empty(),
    }
}

/// The value as it will be stored, `Err(sentence)` when the person must change it, or a
/// `FormError` when the check itself failed (database).
pub(super) async fn check_value(
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
