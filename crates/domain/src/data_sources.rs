//! Data sources: creating, naming, configuring, listing and deleting them. Every change is one
//! transaction together with its audit event.
use crate::connector::FilePattern;
use crate::db::begin_write;
use crate::search::contains_any;
use crate::{AuthenticatedUser, audit};
use entity::{data_source, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};
use time::OffsetDateTime;
use wharf_types::{
    ConnectorSettings, DataSourceKind, DataSourceStatus, DropboxSettings, normalize_folder_path,
};

pub const MAX_NAME_CHARS: usize = 100;
use crate::paging;
use wharf_types::Page;

#[derive(Debug, thiserror::Error)]
pub enum DataSourceError {
    #[error("There is no such data source; it may have been deleted.")]
    NotFound,
    #[error("A data source named “{0}” already exists. Choose another name.")]
    NameTaken(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl DataSourceError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DataSourceError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// One row of the data sources list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSourceSummary {
    pub id: i32,
    pub kind: String,
    pub display_name: Option<String>,
    pub status: DataSourceStatus,
    pub modified_at: OffsetDateTime,
    pub modified_by: Option<String>,
}

/// A data source as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSourceDetail {
    pub summary: DataSourceSummary,
    pub settings: DropboxSettings,
    pub status_message: Option<String>,
    pub last_test_at: Option<OffsetDateTime>,
}

/// A page of the list and how many match in all.
pub type DataSourcePage = Page<DataSourceSummary>;

/// The display name as stored: trimmed, `None` when blank.
pub fn clean_name(name: &str) -> Result<Option<String>, DataSourceError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(DataSourceError::invalid(
            "display_name",
            "The display name can have at most 100 characters.",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DataSourceError::invalid(
            "display_name",
            "The display name must not contain control characters.",
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Settings as stored: every path canonical, every pattern checked.
pub fn clean_settings(settings: DropboxSettings) -> Result<DropboxSettings, DataSourceError> {
    let root_folder = normalize_folder_path(&settings.root_folder)
        .map_err(|m| DataSourceError::invalid("root_folder", m))?;
    // The same parser the connector applies, so a pattern saved is a pattern that works.
    let pattern = FilePattern::parse(&settings.file_pattern)
        .map_err(|m| DataSourceError::invalid("file_pattern", m))?;
    Ok(DropboxSettings {
        root_folder,
        file_pattern: pattern.as_str().to_owned(),
        ..settings
    })
}

fn status_of(model: &data_source::Model) -> DataSourceStatus {
    status_named(&model.status)
}

/// A stored status; one this version does not know reads as incomplete.
fn status_named(status: &str) -> DataSourceStatus {
    status.parse().unwrap_or(DataSourceStatus::Incomplete)
}

fn name_taken(e: DbErr, name: &Option<String>) -> DataSourceError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            DataSourceError::NameTaken(name.clone().unwrap_or_default())
        }
        _ => DataSourceError::Database(e),
    }
}

pub async fn create(
    db: &DatabaseConnection,
    kind: DataSourceKind,
    saved: ConnectorSettings,
    actor: &AuthenticatedUser,
) -> Result<i32, DataSourceError> {
    let name = clean_name(&saved.display_name)?;
    let settings = clean_settings(saved.dropbox)?;
    let now = OffsetDateTime::now_utc();
    let txn = begin_write(db).await?;
    let created = data_source::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        name_key: Set(name.as_ref().map(|n| n.to_lowercase())),
        display_name: Set(name.clone()),
        settings: Set(serde_json::to_string(&settings).unwrap_or_default()),
        status: Set(DataSourceStatus::Incomplete.as_str().to_owned()),
        status_message: Set(None),
        last_test_at: Set(None),
        last_test_ok: Set(None),
        created_at: Set(now),
        modified_at: Set(now),
        modified_by: Set(Some(actor.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| name_taken(e, &name))?;
    audit::record(
        &txn,
        created.id,
        Some(actor),
        "created",
        format!("Created a {} data source", kind.label()),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Saves the name and settings. Saving incomplete details is allowed; what changed is audited.
pub async fn update(
    db: &DatabaseConnection,
    id: i32,
    saved: ConnectorSettings,
    actor: &AuthenticatedUser,
) -> Result<(), DataSourceError> {
    let name = clean_name(&saved.display_name)?;
    let settings = clean_settings(saved.dropbox)?;
    let txn = begin_write(db).await?;
    let current = data_source::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DataSourceError::NotFound)?;
    let old_settings = settings_of(&current);
    let mut changes = Vec::new();
    if current.display_name != name {
        changes.push(format!("name → “{}”", name.clone().unwrap_or_default()));
    }
    if old_settings.root_folder != settings.root_folder {
        changes.push(format!(
            "root folder → “{}”",
            if settings.root_folder.is_empty() {
                "/"
            } else {
                &settings.root_folder
            }
        ));
    }
    if old_settings.file_pattern != settings.file_pattern {
        changes.push(format!("file pattern → “{}”", settings.file_pattern));
    }
    if old_settings.search_scope != settings.search_scope {
        changes.push(format!("search scope → {:?}", settings.search_scope));
    }
    if old_settings.space != settings.space {
        changes.push(format!("space → {:?}", settings.space));
    }
    let mut active: data_source::ActiveModel = current.into();
    active.name_key = Set(name.as_ref().map(|n| n.to_lowercase()));
    active.display_name = Set(name.clone());
    active.settings = Set(serde_json::to_string(&settings).unwrap_or_default());
    active.modified_at = Set(OffsetDateTime::now_utc());
    active.modified_by = Set(Some(actor.id));
    active
        .update(&txn)
        .await
        .map_err(|e| name_taken(e, &name))?;
    if !changes.is_empty() {
        audit::record(
            &txn,
            id,
            Some(actor),
            "settings_changed",
            changes.join("; "),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Status follows from what it depends on: a name, an authorization and the last test's result.
pub fn status_for(named: bool, authorized: bool, last_test_ok: Option<bool>) -> DataSourceStatus {
    match (named && authorized, last_test_ok) {
        (false, _) | (true, None) => DataSourceStatus::Incomplete,
        (true, Some(false)) => DataSourceStatus::TestFailed,
        (true, Some(true)) => DataSourceStatus::Ready,
    }
}

/// Stores the status that follows from the data source's current name, authorization and last test.
pub async fn recompute_status(
    db: &impl ConnectionTrait,
    ds: data_source::Model,
) -> Result<DataSourceStatus, DbErr> {
    let authorized = entity::dropbox_credential::Entity::find_by_id(ds.id)
        .one(db)
        .await?
        .is_some();
    let status = status_for(ds.display_name.is_some(), authorized, ds.last_test_ok);
    if status.as_str() != ds.status {
        let mut active: data_source::ActiveModel = ds.into();
        active.status = Set(status.as_str().to_owned());
        active.update(db).await?;
    }
    Ok(status)
}

pub async fn delete(
    db: &DatabaseConnection,
    id: i32,
    actor: &AuthenticatedUser,
) -> Result<(), DataSourceError> {
    let txn = begin_write(db).await?;
    let current = data_source::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DataSourceError::NotFound)?;
    data_source::Entity::delete_by_id(id).exec(&txn).await?;
    let name = current
        .display_name
        .unwrap_or_else(|| "(unnamed)".to_owned());
    audit::record(
        &txn,
        id,
        Some(actor),
        "deleted",
        format!("Deleted “{name}”"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<DataSourceDetail, DataSourceError> {
    let (model, modifier) = data_source::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .ok_or(DataSourceError::NotFound)?;
    let settings = settings_of(&model);
    Ok(DataSourceDetail {
        status_message: model.status_message.clone(),
        last_test_at: model.last_test_at,
        settings,
        summary: summary(model, modifier),
    })
}

/// A data source's stored settings; unreadable ones (never written by Wharf) read as the defaults.
pub fn settings_of(ds: &data_source::Model) -> DropboxSettings {
    serde_json::from_str(&ds.settings).unwrap_or_default()
}

fn summary(ds: data_source::Model, modifier: Option<user::Model>) -> DataSourceSummary {
    DataSourceSummary {
        id: ds.id,
        status: status_of(&ds),
        kind: ds.kind,
        display_name: ds.display_name,
        modified_at: ds.modified_at,
        modified_by: modifier.map(|u| u.display_name),
    }
}

/// Narrows a listing filter to data sources that are ready to use (named, authorized, last test
/// passed): what Home offers people, so nobody opens one that can only answer "not connected".
pub fn only_ready(visible: Condition) -> Condition {
    Condition::all()
        .add(visible)
        .add(data_source::Column::Status.eq(DataSourceStatus::Ready.as_str()))
}

/// Data sources that match `visible` (the caller's policy filter, e.g. [`crate::policy::administrable`])
/// and whose name or type contains `search` (case-insensitive), by name, one page at a time.
pub async fn list(
    db: &impl ConnectionTrait,
    visible: Condition,
    search: &str,
    page: u64,
) -> Result<DataSourcePage, DbErr> {
    let mut query = data_source::Entity::find().filter(visible);
    if let Some(matches) = contains_any(
        search,
        [
            Expr::col((data_source::Entity, data_source::Column::DisplayName)),
            Expr::col((data_source::Entity, data_source::Column::Kind)),
        ],
    ) {
        query = query.filter(matches);
    }
    let query = query
        .select_only()
        .columns([
            data_source::Column::Id,
            data_source::Column::Kind,
            data_source::Column::DisplayName,
            data_source::Column::Status,
            data_source::Column::ModifiedAt,
        ])
        .column_as(
            Expr::col((user::Entity, user::Column::DisplayName)),
            "modified_by",
        )
        .left_join(user::Entity)
        .order_by_asc(data_source::Column::NameKey)
        .order_by_asc(data_source::Column::Id)
        .into_model::<ListedRow>();
    Ok(paging::fetch(db, query, page)
        .await?
        .map(|row| DataSourceSummary {
            id: row.id,
            status: status_named(&row.status),
            kind: row.kind,
            display_name: row.display_name,
            modified_at: row.modified_at,
            modified_by: row.modified_by,
        }))
}

/// A row of the list: only the columns it shows (the list is read on every load of the data
/// sources page, and decoding whole data source and user rows was a tenth of that page's work).
#[derive(FromQueryResult)]
struct ListedRow {
    id: i32,
    kind: String,
    display_name: Option<String>,
    status: String,
    modified_at: OffsetDateTime,
    /// The display name of who changed it last.
    modified_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{NewUser, create_user};
    use crate::testing::{dropbox_source, memory_db, new_user, signed_in};
    use wharf_types::PAGE_SIZE;
    use wharf_types::{Role, SearchScope};

    async fn setup() -> (DatabaseConnection, AuthenticatedUser) {
        let db = memory_db().await;
        let dana = NewUser {
            display_name: "Dana",
            ..new_user("dana", &[Role::ManageDataSources])
        };
        let id = create_user(&db, dana).await.unwrap();
        let actor = signed_in(&db, id).await;
        (db, actor)
    }

    #[tokio::test]
    async fn a_new_data_source_is_incomplete_and_audited() {
        let (db, dana) = setup().await;
        let id = dropbox_source(&db, "  Sales files ", &dana).await.unwrap();
        let detail = get(&db, id).await.unwrap();
        assert_eq!(detail.summary.display_name.as_deref(), Some("Sales files"));
        assert_eq!(detail.summary.status, DataSourceStatus::Incomplete);
        assert_eq!(detail.summary.modified_by.as_deref(), Some("Dana"));
        let trail = audit::recent(&db, id, 20).await.unwrap();
        assert_eq!(trail[0].action, "created");
    }

    #[tokio::test]
    async fn names_are_unique_regardless_of_case_and_blank_names_may_repeat() {
        let (db, dana) = setup().await;
        dropbox_source(&db, "Sales", &dana).await.unwrap();
        assert!(matches!(
            dropbox_source(&db, "SALES", &dana).await,
            Err(DataSourceError::NameTaken(_))
        ));
        dropbox_source(&db, "", &dana).await.unwrap();
        dropbox_source(&db, "   ", &dana).await.unwrap();
        assert_eq!(list(&db, Condition::all(), "", 0).await.unwrap().total, 3);
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let (db, dana) = setup().await;
        let id = dropbox_source(&db, "Sales", &dana).await.unwrap();
        let long = "x".repeat(101);
        assert!(matches!(
            update(
                &db,
                id,
                ConnectorSettings::new(&long, DropboxSettings::default()),
                &dana
            )
            .await,
            Err(DataSourceError::Invalid {
                field: "display_name",
                ..
            })
        ));
        let escape = DropboxSettings {
            root_folder: "/a/../..".into(),
            ..Default::default()
        };
        assert!(matches!(
            update(&db, id, ConnectorSettings::new("Renamed", escape), &dana).await,
            Err(DataSourceError::Invalid {
                field: "root_folder",
                ..
            })
        ));
        let detail = get(&db, id).await.unwrap();
        assert_eq!(detail.summary.display_name.as_deref(), Some("Sales"));
        assert_eq!(audit::recent(&db, id, 20).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn saving_settings_stores_them_canonical_and_audits_what_changed() {
        let (db, dana) = setup().await;
        let id = dropbox_source(&db, "Sales", &dana).await.unwrap();
        let settings = DropboxSettings {
            root_folder: "Projects//2026/".into(),
            file_pattern: "*.pdf ; *.docx".into(),
            search_scope: SearchScope::TopFolderOnly,
            ..Default::default()
        };
        update(&db, id, ConnectorSettings::new("Sales", settings), &dana)
            .await
            .unwrap();
        let detail = get(&db, id).await.unwrap();
        assert_eq!(detail.settings.root_folder, "/Projects/2026");
        assert_eq!(detail.settings.file_pattern, "*.pdf;*.docx");
        let trail = audit::recent(&db, id, 20).await.unwrap();
        assert_eq!(trail[0].action, "settings_changed");
        assert!(
            trail[0].detail.contains("/Projects/2026"),
            "{}",
            trail[0].detail
        );
    }

    #[tokio::test]
    async fn the_list_searches_name_and_type_and_pages() {
        let (db, dana) = setup().await;
        for name in ["Alpha", "Beta", "100%_real"] {
            dropbox_source(&db, name, &dana).await.unwrap();
        }
        let alpha = list(&db, Condition::all(), "alp", 0).await.unwrap();
        assert_eq!(alpha.total, 1);
        // A row shows what the data source's own page shows: name, type, status, who and when.
        let shown = &alpha.rows[0];
        assert_eq!(shown, &get(&db, shown.id).await.unwrap().summary);
        assert_eq!(shown.modified_by.as_deref(), Some("Dana"));
        assert_eq!(
            list(&db, Condition::all(), "DROPBOX", 0)
                .await
                .unwrap()
                .total,
            3
        );
        assert_eq!(
            list(&db, Condition::all(), "%_", 0).await.unwrap().total,
            1,
            "wildcards are searched literally"
        );
        for i in 0..PAGE_SIZE {
            dropbox_source(&db, &format!("ds {i:03}"), &dana)
                .await
                .unwrap();
        }
        let second = list(&db, Condition::all(), "", 1).await.unwrap();
        assert_eq!(second.total, PAGE_SIZE + 3);
        assert_eq!(second.rows.len(), 3);
    }

    #[tokio::test]
    async fn deleting_removes_the_data_source_but_keeps_its_trail() {
        let (db, dana) = setup().await;
        let id = dropbox_source(&db, "Sales", &dana).await.unwrap();
        delete(&db, id, &dana).await.unwrap();
        assert!(matches!(get(&db, id).await, Err(DataSourceError::NotFound)));
        assert!(matches!(
            delete(&db, id, &dana).await,
            Err(DataSourceError::NotFound)
        ));
        let trail = audit::recent(&db, id, 20).await.unwrap();
        assert_eq!(trail[0].action, "deleted");
    }
}
