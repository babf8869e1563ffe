//! Users, passwords and roles: signing in, changing a password, and the first administrator.
use crate::{audit, search};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use entity::{group, group_member, user, user_role};
use rand::Rng;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use time::OffsetDateTime;
use wharf_types::Role;

/// The user name of the administrator created on first start.
pub const INITIAL_ADMIN_USERNAME: &str = "admin";
/// The file, inside the data directory, that holds the first administrator's password until it is changed.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// One page of Administration > Users.
pub const PAGE_SIZE: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Deliberately the same for an unknown user, a disabled one and a wrong password.
    #[error("The user name or password is not correct.")]
    InvalidCredentials,
    #[error("The current password is not correct.")]
    WrongCurrentPassword,
    #[error("{0}")]
    PasswordRejected(&'static str),
    #[error("A user named “{0}” already exists. Choose another user name.")]
    UsernameTaken(String),
    /// Bad input; `field` names the form field it belongs to.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("There is no such user; they may have been deleted.")]
    NotFound,
    /// The change would leave Wharf without an active administrator.
    #[error("{0}")]
    LastAdministrator(&'static str),
    /// An administrator tried to lock themselves out.
    #[error("{0}")]
    NotYourself(&'static str),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A signed-in, enabled user with their roles, as every authorization decision needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
    /// The groups the user belongs to, for data-source Security lists.
    pub group_ids: Vec<i32>,
    /// Whether some data source's Connection administrators list names the user (directly, through a
    /// group or through a role): such a user may enter Administration > Data sources without the role.
    pub listed_as_connection_administrator: bool,
}

impl AuthenticatedUser {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What it takes to create a user.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub password: &'a str,
    pub roles: &'a [Role],
    pub must_change_password: bool,
}

/// User names are compared case-insensitively: they are stored trimmed and lower-case.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The password rules, in one place for every way a password is set.
pub fn check_new_password(password: &str) -> Result<(), IdentityError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(IdentityError::PasswordRejected(
            "The new password must have at least 10 characters.",
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(IdentityError::PasswordRejected(
            "The new password must have at most 256 characters.",
        ));
    }
    if password.trim().is_empty() {
        return Err(IdentityError::PasswordRejected(
            "The new password must not be only spaces.",
        ));
    }
    Ok(())
}

/// Hashes on the blocking pool: Argon2 is meant to be slow and must not stall the async workers.
async fn hash_password(password: &str) -> Result<String, IdentityError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| IdentityError::Hashing(e.to_string()))?
}

async fn verify_password(password: &str, phc_hash: &str) -> bool {
    let password = password.to_owned();
    let phc_hash = phc_hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc_hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password nobody knows: checked against when the user does not exist, so that an unknown
/// user name takes as long to refuse as a wrong password and the answer time reveals nothing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"decoy password that matches nothing", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

fn invalid(field: &'static str, message: impl Into<String>) -> IdentityError {
    IdentityError::Invalid {
        field,
        message: message.into(),
    }
}

/// The user name as stored (trimmed, lower-case), or why it cannot be one.
fn clean_username(username: &str) -> Result<String, IdentityError> {
    let name = normalize_username(username);
    if name.is_empty() {
        return Err(invalid("username", "Enter a user name."));
    }
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err(invalid(
            "username",
            "A user name can have at most 64 characters.",
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "username",
            "A user name cannot contain spaces or control characters.",
        ));
    }
    Ok(name)
}

/// The name, email and roles as stored: trimmed, the email `None` when blank, the roles sorted once each.
fn clean_profile(
    display_name: &str,
    email: Option<&str>,
    roles: &[Role],
) -> Result<(String, Option<String>, Vec<Role>), IdentityError> {
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(invalid("display_name", "Enter the person’s name."));
    }
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(invalid(
            "display_name",
            "The name can have at most 100 characters.",
        ));
    }
    if display_name.chars().any(char::is_control) {
        return Err(invalid(
            "display_name",
            "The name must not contain control characters.",
        ));
    }
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    if let Some(email) = email
        && !looks_like_email(email)
    {
        return Err(invalid(
            "email",
            "Enter an email address such as name@example.com, or leave it empty.",
        ));
    }
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(invalid("roles", "Choose at least one role."));
    }
    Ok((display_name.to_owned(), email.map(str::to_owned), roles))
}

/// Deliberately loose — one `@`, something before it, a dotted domain after it, no spaces: the address
/// is for people to read, and only a mail server can tell whether it really exists.
fn looks_like_email(email: &str) -> bool {
    email.chars().count() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
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
    let username = clean_username(new.username)?;
    let (display_name, email, roles) = clean_profile(new.display_name, new.email, new.roles)?;
    check_new_password(new.password).map_err(as_password_field)?;
    let password_hash = hash_password(new.password).await?;
    let now = OffsetDateTime::now_utc();
    let txn = db.begin().await?;
    let inserted = user::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(display_name.clone()),
        email: Set(email),
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

/// A password-rule refusal belongs to the form's `password` field.
fn as_password_field(e: IdentityError) -> IdentityError {
    match e {
        IdentityError::PasswordRejected(m) => invalid("password", m),
        other => other,
    }
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
    match user::Entity::find_by_id(user_id).one(db).await? {
        Some(u) if !u.disabled => Ok(Some(with_roles(db, u).await?)),
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
    let mut user = to_authenticated(u, roles);
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

/// Stored role names as roles, sorted; an unknown name (from a newer version, say) is logged and skipped.
fn parse_roles<'a>(role_rows: impl IntoIterator<Item = &'a user_role::Model>) -> Vec<Role> {
    let mut roles: Vec<Role> = role_rows
        .into_iter()
        .filter_map(|r| match r.role.parse() {
            Ok(role) => Some(role),
            Err(e) => {
                tracing::warn!(user_id = r.user_id, "ignoring {e}");
                None
            }
        })
        .collect();
    roles.sort();
    roles
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

/// Replaces a user's password after checking their current one, and lifts a forced change.
pub async fn change_password(
    db: &impl ConnectionTrait,
    user_id: i32,
    current_password: &str,
    new_password: &str,
) -> Result<(), IdentityError> {
    let u = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or(IdentityError::InvalidCredentials)?;
    if !verify_password(current_password, &u.password_hash).await {
        return Err(IdentityError::WrongCurrentPassword);
    }
    check_new_password(new_password)?;
    if new_password == current_password {
        return Err(IdentityError::PasswordRejected(
            "The new password must differ from the current one.",
        ));
    }
    let mut active: user::ActiveModel = u.into();
    active.password_hash = Set(hash_password(new_password).await?);
    active.must_change_password = Set(false);
    active.updated_at = Set(OffsetDateTime::now_utc());
    active.update(db).await?;
    Ok(())
}

/// One user as Administration > Users shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    /// The names of the user's groups, sorted.
    pub groups: Vec<String>,
}

/// A page of the users list and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    pub rows: Vec<UserSummary>,
    pub total: u64,
}

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
    let total = query.clone().count(db).await?;
    let users = query
        .order_by_asc(user::Column::Username)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok(UserPage {
        rows: summaries(db, users).await?,
        total,
    })
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
/// no row locks: any write takes its database-wide write lock, and taking it first (before reading)
/// makes a second writer wait instead of failing on a stale read.
async fn lock_administrators(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE users SET id = id WHERE 1 = 0")
            .await?;
    } else {
        user::Entity::find()
            .filter(user::Column::Id.in_subquery(administrator_ids()))
            .lock_exclusive()
            .all(txn)
            .await?;
    }
    Ok(())
}

fn administrator_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.eq(Role::Administrator.as_str()))
        .to_owned()
}

async fn active_administrators(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
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
    let (display_name, email, roles) =
        clean_profile(changes.display_name, changes.email, changes.roles)?;
    if id == actor.id && changes.disabled {
        return Err(IdentityError::NotYourself(
            "You cannot disable your own account. Ask another administrator to do it.",
        ));
    }
    let txn = db.begin().await?;
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
    let txn = db.begin().await?;
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
    let txn = db.begin().await?;
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

/// What the first start did to make Wharf usable.
#[derive(Debug)]
pub struct InitialAdmin {
    pub username: &'static str,
    pub password: String,
    pub password_file: PathBuf,
}

/// On an empty database, creates the `admin` user with a random password that must be changed at first
/// sign-in, and writes that password to `<data_dir>/initial-admin-password` (mode 0600). Returns `None`
/// when users already exist — also when another instance created the administrator a moment earlier.
pub async fn ensure_initial_admin(
    db: &DatabaseConnection,
    data_dir: &Path,
) -> Result<Option<InitialAdmin>, IdentityError> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = random_password();
    let created = create_user(
        db,
        NewUser {
            username: INITIAL_ADMIN_USERNAME,
            display_name: "Administrator",
            email: None,
            password: &password,
            roles: &[Role::Administrator],
            must_change_password: true,
        },
    )
    .await;
    match created {
        Ok(_) => {}
        Err(IdentityError::UsernameTaken(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let password_file = data_dir.join(INITIAL_PASSWORD_FILE);
    if let Err(e) = crate::files::write_secret_file(&password_file, &password) {
        // Not fatal: the password is also printed once on standard output.
        tracing::error!(file = %password_file.display(), "could not write the initial password file: {e}");
    }
    Ok(Some(InitialAdmin {
        username: INITIAL_ADMIN_USERNAME,
        password,
        password_file,
    }))
}

/// Removes the initial password file once it no longer opens anything.
pub fn forget_initial_password(data_dir: &Path) {
    let file = data_dir.join(INITIAL_PASSWORD_FILE);
    match std::fs::remove_file(&file) {
        Ok(()) => {
            tracing::info!(file = %file.display(), "removed the initial administrator password file")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(file = %file.display(), "could not remove the initial password file: {e}")
        }
    }
}

fn random_password() -> String {
    // No look-alike characters (0/O, 1/l/I): the password is read off a terminal and typed by hand.
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::connect_and_migrate;

    async fn fresh_db() -> DatabaseConnection {
        connect_and_migrate("sqlite::memory:").await.unwrap()
    }

    async fn alice(db: &DatabaseConnection) -> i32 {
        create_user(
            db,
            NewUser {
                username: " Alice ",
                display_name: "Alice Liddell",
                email: Some("alice@example.com"),
                password: "correct horse battery",
                roles: &[Role::User, Role::DesignBusinessProcess],
                must_change_password: false,
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_user_signs_in_case_insensitively_and_gets_their_roles() {
        let db = fresh_db().await;
        alice(&db).await;
        let user = authenticate(&db, "ALICE", "correct horse battery")
            .await
            .unwrap();
        assert_eq!(user.username, "alice");
        assert_eq!(user.roles, vec![Role::DesignBusinessProcess, Role::User]);
    }

    #[tokio::test]
    async fn unknown_users_and_wrong_passwords_are_refused_alike() {
        let db = fresh_db().await;
        alice(&db).await;
        let wrong = authenticate(&db, "alice", "wrong password!")
            .await
            .unwrap_err();
        let unknown = authenticate(&db, "bob", "correct horse battery")
            .await
            .unwrap_err();
        assert_eq!(wrong.to_string(), unknown.to_string());
        assert!(matches!(wrong, IdentityError::InvalidCredentials));
    }

    #[tokio::test]
    async fn duplicate_user_names_are_refused_without_a_partial_user() {
        let db = fresh_db().await;
        alice(&db).await;
        let again = create_user(
            &db,
            NewUser {
                username: "alice",
                display_name: "Another",
                email: None,
                password: "another password",
                roles: &[Role::Administrator],
                must_change_password: false,
            },
        )
        .await;
        assert!(matches!(again, Err(IdentityError::UsernameTaken(_))));
        assert_eq!(user::Entity::find().count(&db).await.unwrap(), 1);
        assert_eq!(user_role::Entity::find().count(&db).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn changing_a_password_needs_the_current_one_and_a_strong_new_one() {
        let db = fresh_db().await;
        let id = alice(&db).await;
        assert!(matches!(
            change_password(&db, id, "not it at all", "a brand new password").await,
            Err(IdentityError::WrongCurrentPassword)
        ));
        assert!(matches!(
            change_password(&db, id, "correct horse battery", "short").await,
            Err(IdentityError::PasswordRejected(_))
        ));
        assert!(matches!(
            change_password(&db, id, "correct horse battery", "correct horse battery").await,
            Err(IdentityError::PasswordRejected(_))
        ));
        change_password(&db, id, "correct horse battery", "a brand new password")
            .await
            .unwrap();
        assert!(
            authenticate(&db, "alice", "correct horse battery")
                .await
                .is_err()
        );
        assert!(
            authenticate(&db, "alice", "a brand new password")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_first_start_creates_one_administrator_who_must_change_the_password() {
        let db = fresh_db().await;
        let dir = tempfile::tempdir().unwrap();
        let admin = ensure_initial_admin(&db, dir.path())
            .await
            .unwrap()
            .expect("created");
        assert_eq!(admin.password.len(), 20);
        let on_disk = std::fs::read_to_string(dir.path().join(INITIAL_PASSWORD_FILE)).unwrap();
        assert_eq!(on_disk.trim(), admin.password);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&admin.password_file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let user = authenticate(&db, "admin", &admin.password).await.unwrap();
        assert!(user.must_change_password);
        assert_eq!(user.roles, vec![Role::Administrator]);
        // a second start finds users and creates nothing
        assert!(
            ensure_initial_admin(&db, dir.path())
                .await
                .unwrap()
                .is_none()
        );
        forget_initial_password(dir.path());
        assert!(!dir.path().join(INITIAL_PASSWORD_FILE).exists());
    }

    #[tokio::test]
    async fn disabled_users_cannot_sign_in_and_are_not_found_active() {
        let db = fresh_db().await;
        let id = alice(&db).await;
        let mut active: user::ActiveModel = user::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap()
            .into();
        active.disabled = Set(true);
        active.update(&db).await.unwrap();
        assert!(
            authenticate(&db, "alice", "correct horse battery")
                .await
                .is_err()
        );
        assert!(find_active_user(&db, id).await.unwrap().is_none());
    }

    /// An administrator acting in tests; audit rows need no real user behind them.
    fn someone() -> AuthenticatedUser {
        AuthenticatedUser {
            id: 0,
            username: "root".into(),
            display_name: "Root".into(),
            email: None,
            roles: vec![Role::Administrator],
            must_change_password: false,
            group_ids: Vec::new(),
            listed_as_connection_administrator: false,
        }
    }

    async fn add(db: &DatabaseConnection, name: &str, roles: &[Role]) -> i32 {
        add_user(
            db,
            &someone(),
            NewUser {
                username: name,
                display_name: name,
                email: None,
                password: "a long enough password",
                roles,
                must_change_password: false,
            },
        )
        .await
        .unwrap()
    }

    fn changes(roles: &[Role], disabled: bool) -> UserChanges<'_> {
        UserChanges {
            display_name: "Changed Name",
            email: None,
            roles,
            disabled,
        }
    }

    fn field_of(e: &IdentityError) -> Option<&'static str> {
        match e {
            IdentityError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    #[tokio::test]
    async fn bad_input_names_its_field_and_creates_nothing() {
        let db = fresh_db().await;
        add(&db, "alice", &[Role::User]).await;
        let base = NewUser {
            username: "bob",
            display_name: "Bob",
            email: Some("bob@example.com"),
            password: "a long enough password",
            roles: &[Role::User],
            must_change_password: true,
        };
        let cases = [
            (
                NewUser {
                    username: "  ",
                    ..base.clone()
                },
                "username",
            ),
            (
                NewUser {
                    username: "bo b",
                    ..base.clone()
                },
                "username",
            ),
            (
                NewUser {
                    display_name: " ",
                    ..base.clone()
                },
                "display_name",
            ),
            (
                NewUser {
                    email: Some("bob@"),
                    ..base.clone()
                },
                "email",
            ),
            (
                NewUser {
                    email: Some("bob example.com"),
                    ..base.clone()
                },
                "email",
            ),
            (
                NewUser {
                    roles: &[],
                    ..base.clone()
                },
                "roles",
            ),
            (
                NewUser {
                    password: "short",
                    ..base.clone()
                },
                "password",
            ),
        ];
        for (new, field) in cases {
            let e = add_user(&db, &someone(), new).await.unwrap_err();
            assert_eq!(field_of(&e), Some(field), "{e}");
            assert!(e.to_string().ends_with('.'), "{e}");
        }
        let taken = add_user(
            &db,
            &someone(),
            NewUser {
                username: " ALICE ",
                ..base.clone()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(taken, IdentityError::UsernameTaken(ref n) if n == "alice"));
        assert_eq!(user::Entity::find().count(&db).await.unwrap(), 1);
        // a blank email is no email
        let id = add_user(
            &db,
            &someone(),
            NewUser {
                email: Some("  "),
                ..base
            },
        )
        .await
        .unwrap();
        let bob = get_user(&db, id).await.unwrap();
        assert_eq!(bob.email, None);
        assert!(bob.must_change_password);
    }

    #[tokio::test]
    async fn the_last_active_administrator_cannot_be_demoted_disabled_or_deleted() {
        let db = fresh_db().await;
        let ann = add(&db, "ann", &[Role::Administrator]).await;
        let ben = add(&db, "ben", &[Role::Administrator, Role::User]).await;
        // two administrators: one of them may go
        update_user(&db, &someone(), ben, changes(&[Role::Administrator], true))
            .await
            .unwrap();

        // ben is disabled, so ann is the last active one, however it is tried
        let demote = update_user(&db, &someone(), ann, changes(&[Role::User], false)).await;
        assert!(matches!(demote, Err(IdentityError::LastAdministrator(_))));
        let disable =
            update_user(&db, &someone(), ann, changes(&[Role::Administrator], true)).await;
        assert!(matches!(disable, Err(IdentityError::LastAdministrator(_))));
        let delete = delete_user(&db, &someone(), ann).await;
        assert!(matches!(delete, Err(IdentityError::LastAdministrator(_))));

        // refused means nothing changed, not even the name sent with it
        let after = get_user(&db, ann).await.unwrap();
        assert_eq!(after.roles, vec![Role::Administrator]);
        assert!(!after.disabled);
        assert_eq!(after.display_name, "ann");

        // enabling ben again makes ann free to change
        update_user(&db, &someone(), ben, changes(&[Role::Administrator], false))
            .await
            .unwrap();
        update_user(&db, &someone(), ann, changes(&[Role::User], false))
            .await
            .unwrap();
        assert_eq!(get_user(&db, ann).await.unwrap().roles, vec![Role::User]);
    }

    #[tokio::test]
    async fn administrators_cannot_disable_or_delete_themselves() {
        let db = fresh_db().await;
        let ann = add(&db, "ann", &[Role::Administrator]).await;
        add(&db, "ben", &[Role::Administrator]).await;
        let me = find_active_user(&db, ann).await.unwrap().unwrap();

        let disable = update_user(&db, &me, ann, changes(&[Role::Administrator], true)).await;
        assert!(matches!(disable, Err(IdentityError::NotYourself(_))));
        let delete = delete_user(&db, &me, ann).await;
        assert!(matches!(delete, Err(IdentityError::NotYourself(_))));
        // renaming oneself is fine
        update_user(&db, &me, ann, changes(&[Role::Administrator], false))
            .await
            .unwrap();
    }

    /// Two administrators disable each other at the same moment, on a file database with several
    /// connections: one wins, the other is refused, and an active administrator remains.
    #[tokio::test]
    async fn concurrent_changes_never_remove_the_last_administrator() {
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let db = connect_and_migrate(&format!(
                "sqlite://{}/wharf.db?mode=rwc",
                dir.path().display()
            ))
            .await
            .unwrap();
            let ann = add(&db, "ann", &[Role::Administrator]).await;
            let ben = add(&db, "ben", &[Role::Administrator]).await;
            let as_ann = find_active_user(&db, ann).await.unwrap().unwrap();
            let as_ben = find_active_user(&db, ben).await.unwrap().unwrap();

            let (a, b) = tokio::join!(
                update_user(&db, &as_ben, ann, changes(&[Role::Administrator], true)),
                update_user(&db, &as_ann, ben, changes(&[Role::User], false)),
            );

            assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
            assert!(
                [&a, &b]
                    .iter()
                    .any(|r| matches!(r, Err(IdentityError::LastAdministrator(_))))
            );
            assert_eq!(active_administrators(&db).await.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn a_password_set_by_an_administrator_must_be_changed_at_next_sign_in() {
        let db = fresh_db().await;
        let id = alice(&db).await;
        let short = set_password_by_admin(&db, &someone(), id, "short").await;
        assert_eq!(field_of(&short.unwrap_err()), Some("password"));

        set_password_by_admin(&db, &someone(), id, "temporary password 1")
            .await
            .unwrap();

        assert!(
            authenticate(&db, "alice", "correct horse battery")
                .await
                .is_err()
        );
        let alice = authenticate(&db, "alice", "temporary password 1")
            .await
            .unwrap();
        assert!(alice.must_change_password);
        let events = entity::audit_event::Entity::find().all(&db).await.unwrap();
        let reset = events
            .iter()
            .find(|e| e.action == "user_password_reset")
            .unwrap();
        assert_eq!(reset.data_source_id, None);
        assert!(!reset.detail.contains("temporary password 1"));
    }

    #[tokio::test]
    async fn the_users_list_searches_pages_and_names_groups() {
        let db = fresh_db().await;
        for i in 0..PAGE_SIZE + 2 {
            add(&db, &format!("user{i:03}"), &[Role::User]).await;
        }
        let carol = add(&db, "carol", &[Role::DesignBusinessProcess, Role::User]).await;
        let finance = crate::groups::create(&db, &someone(), "Finance", "")
            .await
            .unwrap();
        crate::groups::set_members(&db, &someone(), finance, &[carol])
            .await
            .unwrap();

        let first = list_users(&db, "", 0).await.unwrap();
        assert_eq!(first.total, PAGE_SIZE + 3);
        assert_eq!(first.rows.len() as u64, PAGE_SIZE);
        let second = list_users(&db, "", 1).await.unwrap();
        assert_eq!(second.rows.len(), 3);

        let found = list_users(&db, "CAR", 0).await.unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.rows[0].groups, vec!["Finance".to_owned()]);
        assert_eq!(
            found.rows[0].roles,
            vec![Role::DesignBusinessProcess, Role::User]
        );
        // wildcards are matched literally
        assert_eq!(list_users(&db, "%", 0).await.unwrap().total, 0);
    }

    #[tokio::test]
    async fn deleting_a_user_removes_their_roles_and_memberships_and_is_recorded() {
        let db = fresh_db().await;
        let id = add(&db, "dan", &[Role::User]).await;
        let ops = crate::groups::create(&db, &someone(), "Ops", "")
            .await
            .unwrap();
        crate::groups::set_members(&db, &someone(), ops, &[id])
            .await
            .unwrap();

        delete_user(&db, &someone(), id).await.unwrap();

        assert!(matches!(
            get_user(&db, id).await,
            Err(IdentityError::NotFound)
        ));
        assert_eq!(user_role::Entity::find().count(&db).await.unwrap(), 0);
        assert_eq!(group_member::Entity::find().count(&db).await.unwrap(), 0);
        let actions: Vec<String> = entity::audit_event::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(actions.contains(&"user_created".to_owned()));
        assert!(actions.contains(&"user_deleted".to_owned()));
        assert!(matches!(
            delete_user(&db, &someone(), id).await,
            Err(IdentityError::NotFound)
        ));
    }
}
