//! The Security dialog of a data source: its connection administrators and users, and the
//! read-only switch. Only those who may administer the data source see or change it.
use crate::dto::{GranteeView, SecurityView};
use crate::error::AppError;
use leptos::prelude::*;
use wharf_types::Grantee;

#[server(endpoint = "get_data_source_security")]
pub async fn get_data_source_security(id: i32) -> Result<SecurityView, AppError> {
    use super::context::*;
    use domain::policy::Action;
    respond(
        async move {
            require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            let name = domain::data_sources::get(&ctx.db, id)
                .await?
                .summary
                .display_name;
            let settings = domain::security::get(&ctx.db, id).await?;
            Ok(SecurityView {
                data_source_name: name,
                administrators: settings.administrators,
                admins_restricted: settings.admins_restricted,
                users: settings.users,
                users_restricted: settings.users_restricted,
                read_only: settings.read_only,
            })
        }
        .await,
    )
}

/// Replaces both lists and the read-only switch (OK in the dialog).
#[server(endpoint = "save_data_source_security")]
pub async fn save_data_source_security(
    id: i32,
    // An empty list is sent as no field at all: default it rather than refuse it.
    #[server(default)] administrators: Vec<Grantee>,
    #[server(default)] users: Vec<Grantee>,
    #[server(default)] read_only: bool,
) -> Result<(), AppError> {
    use super::context::*;
    use domain::policy::Action;
    respond(
        async move {
            let actor = require_on_data_source(Action::AdministerDataSource, id).await?;
            let ctx = server_context()?;
            domain::security::save(&ctx.db, id, administrators, users, read_only, &actor).await?;
            tracing::info!(
                user_id = actor.id,
                data_source_id = id,
                "data source security saved"
            );
            Ok(())
        }
        .await,
    )
}

/// Users, groups and roles matching `query`, for the Security picker.
#[server(endpoint = "search_grantees")]
pub async fn search_grantees(query: String) -> Result<Vec<GranteeView>, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::DataSources).await?;
            let ctx = server_context()?;
            Ok(domain::security::search_grantees(&ctx.db, &query).await?)
        }
        .await,
    )
}
