//! Administration > Users.
use crate::dto::UserRow;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Users).await?;
            let ctx = server_context()?;
            let users = domain::identity::list_users(&ctx.db)
                .await
                .map_err(internal)?;
            Ok(users
                .into_iter()
                .map(|u| UserRow {
                    username: u.username,
                    display_name: u.display_name,
                    email: u.email,
                    roles: u.roles,
                })
                .collect())
        }
        .await,
    )
}
