//! Administration > Users: adding, listing, editing, resetting a password and deleting, never leaving
//! Wharf without an active administrator.
use super::names::{DisplayName, Email, UserName};
use super::passwords::{as_password_field, check_new_password, hash_password};
use super::{AuthenticatedUser, IdentityError, NewUser, parse_roles};
use crate::db::begin_write;
use crate::{audit, paging, search};
use entity::{group, group_member, user, user_role};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};
use time::OffsetDateTime;
use wharf_types::{Page, Role};

/// What a user is to others, as stored: a parsed name and email, and the roles sorted once each.
struct Profile {
    display_name: DisplayName,
    email: Option<Email>,
    roles: Vec<Role>,
}

impl Profile {
    fn parse(
        display_name: &str,
        email: Option<&str>,
        roles: &[Role],
    ) -> Result<Self, IdentityError> {
        let display_name = DisplayName::parse(display_name)?;
        let email = Email::parse_optional(email)?;
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(super::invalid("roles", "Choose at least one role."));
        }
        Ok(Profile {
            display_name,
            email,
            roles,
        })
    }
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Creates a user and their roles in one transaction (the first administrator, tests). People are
/// added through [`add_user`], which records who did it.
pub async fn create_user(db: &DatabaseConnection, new: NewUser<'_>) -> Result<i32, IdentityError> {
    insert_user(db, new, None).await
}

/// Administration > Users > Add user: checked, created and recorded in the audit trail at once.
pub async fn add_user(
    db: &DatabaseConnection,
    actor: &AuthenticatedUser,
    new: NewUser<'_>,
) -> Result<i32, IdentityError> {
    insert_user(db, new, Some(actor)).await
}

async fn insert_user(
    db: &DatabaseConnection,
    new: NewUser<'_>,
    actor: Option<&AuthenticatedUser>,
) -> Result<i32, IdentityError> {
    let username = UserName::parse(new.username)?;
    let Profile {
        display_name,
        email,
        roles,
    } = Profile::parse(new.display_name, new.email, new.roles)?;
    check_new_password(new.password).map_err(as_password_field)?;
    let password_hash = hash_password(new.password).await?;
    let now = OffsetDateTime::now_utc();
    let txn = begin_write(db).await?;
    let inserted = user::ActiveModel {
        username: Set(username.as_str().to_owned()),
        display_name: Set(display_name.as_str().to_owned()),
        email: Set(email.map(Email::into_inner)),
        password_hash: Set(password_hash),
        must_change_password: Set(new.must_change_password),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            IdentityError::UsernameTaken(username.clone())
        }
        _ => IdentityError::Database(e),
    })?;
    insert_roles(&txn, inserted.id, &roles).await?;
    if let Some(actor) = actor {
        audit::record_admin(
            &txn,
            actor,
            "user_created",
            format!(
                "Created user “{username}” ({display_name}) with roles {}",
                role_list(&roles)
            ),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(inserted.id)
}

async fn insert_roles(
    db: &impl ConnectionTrait,
    user_id: i32,
    roles: &[Role],
) -> Result<(), DbErr> {
    for role in roles {
        user_role::ActiveModel {
            user_id: Set(user_id),
            role: Set(role.as_str().to_owned()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

pub use wharf_types::UserSummary;

/// A page of the users list and how many match in all.
pub type UserPage = Page<UserSummary>;

/// What an administrator changes on the edit page. The user name stays: it is how the person signs in.
#[derive(Clone, Debug)]
pub struct UserChanges<'a> {
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub roles: &'a [Role],
    pub disabled: bool,
}

/// Users whose user name, name or email contains `search` (case-insensitive), by user name, one page
/// (0-based) at a time.
pub async fn list_users(
    db: &impl ConnectionTrait,
    search: &str,
    page: u64,
) -> Result<UserPage, IdentityError> {
    let mut query = user::Entity::find();
    if let Some(matching) = search::contains_any(
        search,
        [
            Expr::col((user::Entity, user::Column::Username)),
            Expr::col((user::Entity, user::Column::DisplayName)),
            Expr::col((user::Entity, user::Column::Email)),
        ],
    ) {
        query = query.filter(matching);
    }
    let query = query.order_by_asc(user::Column::Username);
    Ok(paging::fetch_with(db, query, page, |users| summaries(db, users)).await?)
}

/// The display names of users `ids` (one query), for lists that name who did something; a user
/// deleted since is simply absent.
pub async fn display_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn get_user(db: &impl ConnectionTrait, id: i32) -> Result<UserSummary, IdentityError> {
    let u = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(IdentityError::NotFound)?;
    Ok(summaries(db, vec![u]).await?.remove(0))
}

/// Roles and group names for a page of users: two queries, whatever the page size.
async fn summaries(
    db: &impl ConnectionTrait,
    users: Vec<user::Model>,
) -> Result<Vec<UserSummary>, DbErr> {
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let role_rows = user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(ids.clone()))
        .all(db)
        .await?;
    let memberships = group_member::Entity::find()
        .filter(group_member::Column::UserId.is_in(ids))
        .find_also_related(group::Entity)
        .all(db)
        .await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let mut groups: Vec<String> = memberships
                .iter()
                .filter(|(m, _)| m.user_id == u.id)
                .filter_map(|(_, g)| g.as_ref().map(|g| g.name.clone()))
                .collect();
            groups.sort_by_key(|name| name.to_lowercase());
            UserSummary {
                roles: parse_roles(role_rows.iter().filter(|r| r.user_id == u.id)),
                groups,
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                email: u.email,
                disabled: u.disabled,
                must_change_password: u.must_change_password,
            }
        })
        .collect())
}

/// Makes concurrent changes to administrators queue behind each other, so that the last-administrator
/// check of one sees what the other committed. PostgreSQL: lock every administrator's row. SQLite has
/// no row locks (the clause is left out there): the transaction's `begin_write` already holds the
/// database-wide write lock, so a second writer waits at its start instead of reading stale rows.
async fn lock_administrators(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    user::Entity::find()
        .filter(user::Column::Id.in_subquery(administrator_ids()))
        .lock_exclusive()
        .all(txn)
        .await?;
    Ok(())
}

fn administrator_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.eq(Role::Administrator.as_str()))
        .to_owned()
}

pub(super) async fn active_administrators(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::Id.in_subquery(administrator_ids()))
        .count(db)
        .await
}

/// The user, locked against concurrent administrator changes, and whether they are an active
/// administrator now.
async fn load_for_change(
    txn: &DatabaseTransaction,
    id: i32,
) -> Result<(user::Model, Vec<Role>), IdentityError> {
    lock_administrators(txn).await?;
    let current = user::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .all(txn)
        .await?;
    Ok((current, parse_roles(&roles)))
}

fn is_active_administrator(u: &user::Model, roles: &[Role]) -> bool {
    !u.disabled && roles.contains(&Role::Administrator)
}

/// Saves the edit page: name, email, roles and the Disabled switch, in one transaction that refuses to
/// leave Wharf without an active administrator. A disabled user's sessions end at their next request
/// (the request guard reloads the user every time).
pub async fn update_user(
    db: &DatabaseConnection,
    actor: &AuthenticatedUser,
    id: i32,
    changes: UserChanges<'_>,
) -> Result<(), IdentityError> {
    let Profile {
        display_name,
        email,
        roles,
    } = Profile::parse(changes.display_name, changes.email, changes.roles)?;
    let display_name = display_name.into_inner();
    let email = email.map(Email::into_inner);
    if id == actor.id && changes.disabled {
        return Err(IdentityError::NotYourself(
            "You cannot disable your own account. Ask another administrator to do it.",
        ));
    }
    let txn = begin_write(db).await?;
    let (current, old_roles) = load_for_change(&txn, id).await?;
    let was_active_admin = is_active_administrator(&current, &old_roles);
    let username = current.username.clone();
    let profile_changed = current.display_name != display_name || current.email != email;
    let disabled_changed = current.disabled != changes.disabled;

    let mut active: user::ActiveModel = current.into();
    active.display_name = Set(display_name.clone());
    active.email = Set(email);
    active.disabled = Set(changes.disabled);
    active.updated_at = Set(OffsetDateTime::now_utc());
    active.update(&txn).await?;
    if old_roles != roles {
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        insert_roles(&txn, id, &roles).await?;
    }
    // Checked after the change, inside the transaction: returning here rolls it back.
    if was_active_admin && active_administrators(&txn).await? == 0 {
        return Err(IdentityError::LastAdministrator(if changes.disabled {
            "This is the last active administrator: it cannot be disabled. Make another user an administrator first."
        } else {
            "This is the last active administrator: the Administrator role cannot be removed. Make another user an administrator first."
        }));
    }

    if profile_changed {
        audit::record_admin(
            &txn,
            actor,
            "user_updated",
            format!("Changed the name or email of “{username}” (now {display_name})"),
        )
        .await?;
    }
    if old_roles != roles {
        audit::record_admin(
            &txn,
            actor,
            "user_roles_changed",
            format!(
                "Roles of “{username}”: {} (were: {})",
                role_list(&roles),
                if old_roles.is_empty() {
                    "none".to_owned()
                } else {
                    role_list(&old_roles)
                }
            ),
        )
        .await?;
    }
    if disabled_changed {
        let (action, verb) = if changes.disabled {
            ("user_disabled", "Disabled")
        } else {
            ("user_enabled", "Enabled")
        };
        audit::record_admin(&txn, actor, action, format!("{verb} “{username}”")).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a user (their roles, memberships and grants go with them), never the last active
/// administrator and never oneself.
pub async fn delete_user(
    db: &DatabaseConnection,
    actor: &AuthenticatedUser,
    id: i32,
) -> Result<(), IdentityError> {
    if id == actor.id {
        return Err(IdentityError::NotYourself(
            "You cannot delete your own account. Ask another administrator to do it.",
        ));
    }
    let txn = begin_write(db).await?;
    let (current, roles) = load_for_change(&txn, id).await?;
    user::Entity::delete_by_id(id).exec(&txn).await?;
    if is_active_administrator(&current, &roles) && active_administrators(&txn).await? == 0 {
        return Err(IdentityError::LastAdministrator(
            "This is the last active administrator: it cannot be deleted. Make another user an administrator first.",
        ));
    }
    audit::record_admin(
        &txn,
        actor,
        "user_deleted",
        format!(
            "Deleted user “{}” ({})",
            current.username, current.display_name
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Reset password: sets a password the administrator passes on, which the person must replace with
/// their own at their next sign-in.
pub async fn set_password_by_admin(
    db: &DatabaseConnection,
    actor: &AuthenticatedUser,
    id: i32,
    password: &str,
) -> Result<(), IdentityError> {
    check_new_password(password).map_err(as_password_field)?;
    let password_hash = hash_password(password).await?;
    let txn = begin_write(db).await?;
    let current = user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(IdentityError::NotFound)?;
    let username = current.username.clone();
    let mut active: user::ActiveModel = current.into();
    active.password_hash = Set(password_hash);
    active.must_change_password = Set(true);
    active.updated_at = Set(OffsetDateTime::now_utc());
    active.update(&txn).await?;
    audit::record_admin(
        &txn,
        actor,
        "user_password_reset",
        format!("Set a new password for “{username}”, to be changed at their next sign-in"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
