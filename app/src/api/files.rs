//! Using a data source: which ones a user may use, and their files. Every call asks the policy for
//! this data source (Connection users, read-only) and stays inside its root folder.
use crate::dto::{FileEntry, FolderPageView, UsableDataSourceList};
use crate::error::AppError;
use leptos::prelude::*;

/// Data sources the caller may use, by name, one page (0-based) at a time; with `ready_only` only
/// those ready to use (Home), otherwise each with its status (the designer shows why one cannot be
/// bound yet).
#[server(endpoint = "list_usable_data_sources")]
pub async fn list_usable_data_sources(
    search: String,
    page: Option<u64>,
    ready_only: Option<bool>,
) -> Result<UsableDataSourceList, AppError> {
    use super::context::*;
    respond(
        async move {
            let user = require_area(wharf_types::Area::Home).await?;
            let ctx = server_context()?;
            let mut visible = domain::policy::usable(&user);
            if ready_only.unwrap_or(false) {
                visible = domain::data_sources::only_ready(visible);
            }
            let page = page.unwrap_or(0);
            let found = domain::data_sources::list(&ctx.db, visible, &search, page).await?;
            Ok(found.map(|r| crate::dto::UsableDataSource {
                id: r.id,
                display_name: r.display_name,
                kind: r.kind,
                status: r.status,
            }))
        }
        .await,
    )
}

/// One page of `folder` (relative to the data source's root): the first, or the one after `next`.
#[server(endpoint = "browse_folder")]
pub async fn browse_folder(
    id: i32,
    folder: String,
    next: Option<String>,
) -> Result<FolderPageView, AppError> {
    use super::context::*;
    use domain::policy::{Action, decide};
    respond(
        async move {
            let (user, security) =
                require_on_data_source_with_security(Action::UseDataSource, id).await?;
            let ctx = server_context()?;
            let page = ctx
                .connector
                .list_page(id, &folder, next.as_deref())
                .await?;
            Ok(FolderPageView {
                data_source_name: page.data_source_name,
                folder: page.folder,
                entries: page.entries,
                next: page.next,
                writable: decide(Some(&user), Action::WriteFiles, Some(&security)).is_allowed(),
            })
        }
        .await,
    )
}

/// Creates a folder named `name` in `parent`.
#[server(endpoint = "create_folder")]
pub async fn create_folder(id: i32, parent: String, name: String) -> Result<FileEntry, AppError> {
    use super::context::*;
    use domain::policy::Action;
    respond(
        async move {
            if name.trim().is_empty() {
                return Err(AppError::validation("name", "Enter a folder name."));
            }
            let user = require_on_data_source(Action::WriteFiles, id).await?;
            let ctx = server_context()?;
            let created = ctx.connector.create_folder(id, &parent, &name).await?;
            tracing::info!(user_id = user.id, data_source_id = id, "folder created");
            Ok(created)
        }
        .await,
    )
}

/// Deletes a file or folder.
#[server(endpoint = "delete_entry")]
pub async fn delete_entry(id: i32, path: String) -> Result<(), AppError> {
    use super::context::*;
    use domain::policy::Action;
    respond(
        async move {
            let user = require_on_data_source(Action::WriteFiles, id).await?;
            let ctx = server_context()?;
            ctx.connector.delete_entry(id, &path).await?;
            tracing::info!(
                user_id = user.id,
                data_source_id = id,
                "file or folder deleted"
            );
            Ok(())
        }
        .await,
    )
}
