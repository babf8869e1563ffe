//! Administration > Users: list, add, edit, reset a password, delete. Every function first checks
//! that the caller may enter Users; the rules (last administrator, validation) live in
//! `domain::identity`.
use crate::dto::{UserList, UserRow};
use crate::error::AppError;
use leptos::prelude::*;
use wharf_types::Role;

#[cfg(feature = "ssr")]
mod convert {
    use crate::error::AppError;

    /// Both password fields must agree before anything is hashed.
    pub fn confirm(password: &str, confirm_password: &str) -> Result<(), AppError> {
        if password == confirm_password {
            Ok(())
        } else {
            Err(AppError::validation(
                "confirm_password",
                "The two passwords do not match.",
            ))
        }
    }
}

/// Users whose user name, name or email contains `search`, one page (0-based) at a time.
#[server(endpoint = "list_users")]
pub async fn list_users(
    #[server(default)] search: String,
    page: Option<u64>,
) -> Result<UserList, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Users).await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            Ok(domain::identity::list_users(&ctx.db, &search, page).await?)
        }
        .await,
    )
}

#[server(endpoint = "get_user")]
pub async fn get_user(id: i32) -> Result<UserRow, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Users).await?;
            let ctx = server_context()?;
            Ok(domain::identity::get_user(&ctx.db, id).await?)
        }
        .await,
    )
}

/// Adds a user who must choose their own password at first sign-in; answers their id.
#[server(endpoint = "create_user")]
pub async fn create_user(
    username: String,
    display_name: String,
    #[server(default)] email: String,
    password: String,
    confirm_password: String,
    #[server(default)] roles: Vec<Role>,
) -> Result<i32, AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Users).await?;
            convert::confirm(&password, &confirm_password)?;
            let ctx = server_context()?;
            let id = domain::identity::add_user(
                &ctx.db,
                &actor,
                domain::identity::NewUser {
                    username: &username,
                    display_name: &display_name,
                    email: Some(&email),
                    password: &password,
                    roles: &roles,
                    must_change_password: true,
                },
            )
            .await?;
            tracing::info!(user_id = actor.id, created = id, "user created");
            Ok(id)
        }
        .await,
    )
}

/// Saves name, email, roles and the Disabled switch. Disabling ends the person's sessions at once.
#[server(endpoint = "update_user")]
pub async fn update_user(
    id: i32,
    display_name: String,
    #[server(default)] email: String,
    #[server(default)] roles: Vec<Role>,
    #[server(default)] disabled: bool,
) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Users).await?;
            let ctx = server_context()?;
            domain::identity::update_user(
                &ctx.db,
                &actor,
                id,
                domain::identity::UserChanges {
                    display_name: &display_name,
                    email: Some(&email),
                    roles: &roles,
                    disabled,
                },
            )
            .await?;
            tracing::info!(user_id = actor.id, updated = id, disabled, "user updated");
            Ok(())
        }
        .await,
    )
}

/// Reset password: the person must replace it with their own at their next sign-in.
#[server(endpoint = "set_user_password")]
pub async fn set_user_password(
    id: i32,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Users).await?;
            convert::confirm(&password, &confirm_password)?;
            let ctx = server_context()?;
            domain::identity::set_password_by_admin(&ctx.db, &actor, id, &password).await?;
            tracing::info!(
                user_id = actor.id,
                target = id,
                "password reset by an administrator"
            );
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "delete_user")]
pub async fn delete_user(id: i32) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Users).await?;
            let ctx = server_context()?;
            domain::identity::delete_user(&ctx.db, &actor, id).await?;
            tracing::info!(user_id = actor.id, deleted = id, "user deleted");
            Ok(())
        }
        .await,
    )
}
