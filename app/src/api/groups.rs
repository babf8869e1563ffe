//! Administration > Groups: list, edit (name, description, members) and delete. Every function first
//! checks that the caller may enter Groups.
use crate::dto::{GroupList, GroupView, MemberView};
use crate::error::AppError;
use leptos::prelude::*;

/// Groups whose name or description contains `search`, one page (0-based) at a time.
#[server(endpoint = "list_groups")]
pub async fn list_groups(
    #[server(default)] search: String,
    page: Option<u64>,
) -> Result<GroupList, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Groups).await?;
            let ctx = server_context()?;
            let page = page.unwrap_or(0);
            Ok(domain::groups::list(&ctx.db, &search, page).await?)
        }
        .await,
    )
}

#[server(endpoint = "get_group")]
pub async fn get_group(id: i32) -> Result<GroupView, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Groups).await?;
            let ctx = server_context()?;
            let g = domain::groups::get(&ctx.db, id).await?;
            Ok(GroupView {
                id: g.id,
                name: g.name,
                description: g.description,
                members: g.members,
            })
        }
        .await,
    )
}

/// The member picker's suggestions: users whose user name, name or email contains `search` (the first
/// page of them). Asked from the group page, so it needs Groups rather than Users.
#[server(endpoint = "find_group_candidates")]
pub async fn find_group_candidates(
    #[server(default)] search: String,
) -> Result<Vec<MemberView>, AppError> {
    use super::context::*;
    respond(
        async move {
            require_area(wharf_types::Area::Groups).await?;
            let ctx = server_context()?;
            let found = domain::identity::list_users(&ctx.db, &search, 0).await?;
            Ok(found
                .rows
                .into_iter()
                .map(|u| MemberView {
                    id: u.id,
                    username: u.username,
                    display_name: u.display_name,
                    disabled: u.disabled,
                })
                .collect())
        }
        .await,
    )
}

/// Creates (`id` absent) or updates a group and sets its members, all or nothing; answers its id.
#[server(endpoint = "save_group")]
pub async fn save_group(
    id: Option<i32>,
    name: String,
    #[server(default)] description: String,
    #[server(default)] member_ids: Vec<i32>,
) -> Result<i32, AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Groups).await?;
            let ctx = server_context()?;
            let id =
                domain::groups::save(&ctx.db, &actor, id, &name, &description, &member_ids).await?;
            tracing::info!(user_id = actor.id, group_id = id, "group saved");
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "delete_group")]
pub async fn delete_group(id: i32) -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let actor = require_area(wharf_types::Area::Groups).await?;
            let ctx = server_context()?;
            domain::groups::delete(&ctx.db, &actor, id).await?;
            tracing::info!(user_id = actor.id, group_id = id, "group deleted");
            Ok(())
        }
        .await,
    )
}
