//! Checking what a person entered, field by field, against the version of the form they filled in.
use super::files::check_files;
use super::{FormError, MAX_FILES_PER_FIELD, MAX_TEXT_CHARS};
use crate::AuthenticatedUser;
use crate::connector::DropboxConnector;
use crate::policy::{self, Action};
use sea_orm::DatabaseConnection;
use std::collections::BTreeMap;
use wharf_types::forms::{FieldDefinition, FieldKind, FieldValue, ListSource};
use wharf_types::rules::{Cell, ColumnKind, Day, TableField, TableRow};

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
        (FieldKind::Text, FieldValue::Text(t)) => match text_problem(&t) {
            Some(problem) => Err(problem),
            None => Ok(FieldValue::Text(t)),
        },
        (FieldKind::Number, FieldValue::Number(n)) if n.is_finite() => Ok(FieldValue::Number(n)),
        (FieldKind::FileUpload(_), FieldValue::UploadTokens(tokens)) => {
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
        (FieldKind::Button(_), _) => {
            Err(format!("{} is a button: it holds no value.", field.title))
        }
        (FieldKind::Table(table), FieldValue::Table(rows)) => check_rows(db, person, table, &rows)
            .await?
            .map(|()| FieldValue::Table(rows)),
        _ => wrong_kind(),
    })
}

/// The most rows a Table field may hold in one submission.
pub const MAX_TABLE_ROWS: usize = 1000;

/// Every cell of a table: in a column of the table, of the column's kind, text within limits, and a
/// file only from a data source the person may use, at a path that stays inside its root. Files are
/// not looked up in Dropbox again (a table may hold a thousand).
async fn check_rows(
    db: &DatabaseConnection,
    person: &AuthenticatedUser,
    table: &TableField,
    rows: &[TableRow],
) -> Result<Result<(), String>, FormError> {
    if rows.len() > MAX_TABLE_ROWS {
        return Ok(Err(format!(
            "A table can hold at most {MAX_TABLE_ROWS} rows."
        )));
    }
    let mut usable: BTreeMap<i32, bool> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let at = |message: String| Ok(Err(format!("Row {}: {message}", i + 1)));
        for (name, cell) in row {
            let Some(column) = table.columns.iter().find(|c| &c.name == name) else {
                return at(format!("the table has no column “{name}”."));
            };
            let fits = match (column.kind, cell) {
                (ColumnKind::Text, Cell::Text(t)) => text_problem(t).map_or(Ok(()), Err),
                (ColumnKind::Number, Cell::Number(n)) if n.is_finite() => Ok(()),
                (ColumnKind::Date, Cell::Date(d)) if Day::parse(d.trim()).is_some() => Ok(()),
                (ColumnKind::File, Cell::File(file)) => {
                    let allowed = match usable.get(&file.data_source_id) {
                        Some(allowed) => *allowed,
                        None => {
                            let security = policy::load_security(db, file.data_source_id).await?;
                            let allowed = security.is_some_and(|s| {
                                policy::decide(Some(person), Action::UseDataSource, Some(&s))
                                    .is_allowed()
                            });
                            usable.insert(file.data_source_id, allowed);
                            allowed
                        }
                    };
                    if !allowed {
                        Err(format!(
                            "“{}” is from a data source you may not use.",
                            file.name
                        ))
                    } else if let Err(e) = crate::confine::resolve("", &file.path) {
                        Err(format!("“{}”: {e}", file.name))
                    } else {
                        text_problem(&file.name).map_or(Ok(()), Err)
                    }
                }
                _ => Err(format!("{} holds a value of the wrong kind.", column.title)),
            };
            if let Err(message) = fits {
                return at(message);
            }
        }
    }
    Ok(Ok(()))
}

/// What is wrong with a text a person may have typed, if anything.
fn text_problem(t: &str) -> Option<String> {
    if t.chars().count() > MAX_TEXT_CHARS {
        Some(format!("At most {MAX_TEXT_CHARS} characters."))
    } else if t
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        Some("The text contains control characters.".into())
    } else {
        None
    }
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
