//! Re-checking the Dropbox files a person chose: each looked up again by path, inside the field's
//! folder, still the same file, of a type and size the field allows.
use super::FormError;
use crate::AuthenticatedUser;
use crate::connector::{DropboxConnector, Entry, FilesError};
use crate::policy::{self, Action, Decision};
use sea_orm::DatabaseConnection;
use wharf_types::forms::{DataSourceList, FileChoice, FileFacts};

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

pub(super) async fn check_files(
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
