//! Signing in: checking a user name and password, and loading the signed-in user with everything
//! authorization needs.
use super::passwords::{decoy_hash, verify_password};
use super::{AuthenticatedUser, IdentityError, normalize_username, parse_roles};
use entity::{group_member, user, user_role};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// Checks a user name and password. Unknown users, disabled users and wrong passwords all give
/// [`IdentityError::InvalidCredentials`], after the same amount of work.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<AuthenticatedUser, IdentityError> {
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(normalize_username(username)))
        .one(db)
        .await?;
    let hash = found
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
    let password_ok = verify_password(password, &hash).await;
    match found {
        Some(u) if password_ok && !u.disabled => with_roles(db, u).await,
        _ => Err(IdentityError::InvalidCredentials),
    }
}

/// The enabled user with this id, or `None` when there is none (deleted or disabled since sign-in).
pub async fn find_active_user(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<AuthenticatedUser>, IdentityError> {
    // Every signed-in request comes here: the user and their roles in one query (a join).
    let found = user::Entity::find_by_id(user_id)
        .find_with_related(user_role::Entity)
        .all(db)
        .await?;
    match found.into_iter().next() {
        Some((u, roles)) if !u.disabled => {
            Ok(Some(with_groups(db, to_authenticated(u, roles)).await?))
        }
        _ => Ok(None),
    }
}

/// The user with their roles, groups and whether a Security list names them: all that authorization
/// decisions need, loaded once per request.
async fn with_roles(
    db: &impl ConnectionTrait,
    u: user::Model,
) -> Result<AuthenticatedUser, IdentityError> {
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(u.id))
        .all(db)
        .await?;
    with_groups(db, to_authenticated(u, roles)).await
}

/// `user` (with roles) completed with their groups and whether a Security list names them.
async fn with_groups(
    db: &impl ConnectionTrait,
    mut user: AuthenticatedUser,
) -> Result<AuthenticatedUser, IdentityError> {
    user.group_ids = group_member::Entity::find()
        .filter(group_member::Column::UserId.eq(user.id))
        .order_by_asc(group_member::Column::GroupId)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect();
    user.listed_as_connection_administrator =
        crate::policy::listed_as_connection_administrator(db, &user).await?;
    Ok(user)
}

fn to_authenticated(u: user::Model, role_rows: Vec<user_role::Model>) -> AuthenticatedUser {
    let roles = parse_roles(&role_rows);
    AuthenticatedUser {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        roles,
        must_change_password: u.must_change_password,
        group_ids: Vec::new(),
        listed_as_connection_administrator: false,
    }
}
