//! Administration > Data sources: list, create, edit and delete. Every function first checks that
//! the caller may manage data sources.
use crate::dto::{DataSourceList, DataSourceView, DeleteResult, TestResult};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use domain::policy::Action;
use leptos::prelude::*;
use wharf_types::{DataSourceKind, DropboxSpace, SearchScope};

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use crate::dto::{AuditLine, DataSourceRow};
    use domain::data_sources::DataSourceSummary;
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub fn rfc3339(t: OffsetDateTime) -> String {
        t.format(&Rfc3339).unwrap_or_default()
    }

    pub fn row(s: DataSourceSummary) -> DataSourceRow {
        DataSourceRow {
            id: s.id,
            kind: s.kind,
            display_name: s.display_name,
            status: s.status,
            modified_at: rfc3339(s.modified_at),
            modified_by: s.modified_by,
        }
    }

    pub fn audit(e: domain::audit::AuditEntry) -> AuditLine {
        AuditLine {
            actor_name: e.actor_name,
            action: e.action,
            detail: e.detail,
            at: rfc3339(e.at),
        }
    }

    pub fn connection(c: domain::connector::ConnectionFacts) -> crate::dto::ConnectionView {
        crate::dto::ConnectionView {
            account_name: c.account_name,
            account_email: c.account_email,
            account_type: c.account_type,
            team_space: c.has_team_space,
            used_bytes: c.used_bytes,
            allocated_bytes: c.allocated_bytes,
            token_expires_at: c.expires_at.map(rfc3339),
            last_refresh_at: c.last_refresh_at.map(rfc3339),
            authorized_at: rfc3339(c.authorized_at),
        }
    }
}

/// Data sources whose name or type contains `search`, one page (0-based) at a time.
#[server(endpoint = "list_data_sources")]
pub async fn list_data_sources(
    search: String,
    page: Option<u64>,
) -> Result<DataSourceList, AppError> {
    use super::context::*;
    respond(
        async move {
            let user = require_area(wharf_types::Area::DataSources).await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            let visible = domain::policy::administrable(&user);
            let found = domain::data_sources::list(&ctx.db, visible, &search, page).await?;
            Ok(found.map(convert::row))
        }
        .await,
    )
}

#[server(endpoint = "get_data_source")]
pub async fn get_data_source(id: i32) -> Result<DataSourceView, AppError> {
    use super::context::*;
    respond(
        async move {
            require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            let detail = domain::data_sources::get(&ctx.db, id).await?;
            let audit = domain::audit::recent(&ctx.db, id, 20).await?;
            let connection = ctx.connector.connection(id).await?.map(convert::connection);
            Ok(DataSourceView {
                connection,
                provider: ctx.dropbox_label.to_owned(),
                row: convert::row(detail.summary),
                settings: detail.settings,
                status_message: detail.status_message,
                last_test_at: detail.last_test_at.map(convert::rfc3339),
                audit: audit.into_iter().map(convert::audit).collect(),
            })
        }
        .await,
    )
}

/// Creates (`id` absent) or updates a data source; answers its id. Incomplete details may be saved.
#[server(endpoint = "save_data_source")]
#[allow(clippy::too_many_arguments)]
pub async fn save_data_source(
    id: Option<i32>,
    kind: DataSourceKind,
    display_name: String,
    root_folder: String,
    file_pattern: String,
    search_scope: SearchScope,
    space: DropboxSpace,
) -> Result<i32, AppError> {
    use super::context::*;
    use domain::data_sources;
    respond(
        async move {
            let actor = match id {
                Some(id) => require_on_data_source(Action::AdministerDataSource, id).await?,
                None => authorize(request_user().await?, Action::CreateDataSource, None)?,
            };
            let ctx = server_context()?;
            let settings = wharf_types::ConnectorSettings {
                display_name,
                dropbox: wharf_types::DropboxSettings {
                    root_folder,
                    file_pattern,
                    search_scope,
                    space,
                },
            };
            let id = match id {
                Some(id) => {
                    data_sources::update(&ctx.db, id, settings, &actor).await?;
                    // The status depends on the settings (root folder, space): a connected data source
                    // is tested again, so "ready" never outlives the settings it was earned with.
                    if ctx.connector.connection(id).await?.is_some() {
                        ctx.connector.test_connection(id, Some(&actor)).await?;
                    }
                    id
                }
                None => data_sources::create(&ctx.db, kind, settings, &actor).await?,
            };
            tracing::info!(user_id = actor.id, data_source_id = id, "data source saved");
            Ok(id)
        }
        .await,
    )
}

/// Deletes a data source, revoking its Dropbox grant first. When Dropbox cannot be reached the data
/// source is deleted all the same, and the answer says so.
#[server(endpoint = "delete_data_source")]
pub async fn delete_data_source(id: i32) -> Result<DeleteResult, AppError> {
    use super::context::*;
    use domain::connector::RevokeOutcome;
    respond(
        async move {
            let actor = require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            domain::data_sources::get(&ctx.db, id).await?;
            let revoked = ctx.connector.revoke_for_delete(id).await?;
            domain::data_sources::delete(&ctx.db, id, &actor).await?;
            tracing::info!(user_id = actor.id, data_source_id = id, ?revoked, "data source deleted");
            Ok(DeleteResult {
                warning: match revoked {
                    RevokeOutcome::Failed(reason) => Some(format!(
                        "Data source deleted, but Dropbox could not be told to revoke its access ({reason}) \
                         Remove Wharf from the account's connected apps in Dropbox."
                    )),
                    RevokeOutcome::Revoked | RevokeOutcome::NotConnected => None,
                },
            })
        }
        .await,
    )
}

/// Starts Authorize: answers the Dropbox page to send the browser to. The one-time state and the PKCE
/// verifier stay on the server.
#[server(endpoint = "authorize_data_source")]
pub async fn authorize_data_source(id: i32) -> Result<String, AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            Ok(ctx.connector.begin_authorization(id, &actor).await?)
        }
        .await,
    )
}

/// Test connection: the account, its quota and one entry of the root folder.
#[server(endpoint = "test_data_source")]
pub async fn test_data_source(id: i32) -> Result<TestResult, AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            let report = ctx.connector.test_connection(id, Some(&actor)).await?;
            Ok(TestResult {
                ok: report.ok,
                message: report.message,
            })
        }
        .await,
    )
}
