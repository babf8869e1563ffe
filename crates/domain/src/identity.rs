//! Users, passwords and roles: signing in, changing a password, and the first administrator.
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use entity::{group_member, user, user_role};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr, TransactionTrait,
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

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Deliberately the same for an unknown user, a disabled one and a wrong password.
    #[error("The user name or password is not correct.")]
    InvalidCredentials,
    #[error("The current password is not correct.")]
    WrongCurrentPassword,
    #[error("{0}")]
    PasswordRejected(&'static str),
    #[error("A user named `{0}` already exists.")]
    UsernameTaken(String),
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

/// Creates a user and their roles in one transaction.
pub async fn create_user(db: &DatabaseConnection, new: NewUser<'_>) -> Result<i32, IdentityError> {
    check_new_password(new.password)?;
    let username = normalize_username(new.username);
    let password_hash = hash_password(new.password).await?;
    let now = OffsetDateTime::now_utc();
    let txn = db.begin().await?;
    let inserted = user::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(new.display_name.trim().to_owned()),
        email: Set(new
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())),
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
    for role in new.roles {
        user_role::ActiveModel {
            user_id: Set(inserted.id),
            role: Set(role.as_str().to_owned()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(inserted.id)
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

/// Every user, enabled or not, ordered by user name, with their roles in one query.
pub async fn list_users(
    db: &impl ConnectionTrait,
) -> Result<Vec<AuthenticatedUser>, IdentityError> {
    let rows = user::Entity::find()
        .find_with_related(user_role::Entity)
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(u, roles)| to_authenticated(u, roles))
        .collect())
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

fn to_authenticated(u: user::Model, role_rows: Vec<user_role::Model>) -> AuthenticatedUser {
    let mut roles: Vec<Role> = role_rows
        .into_iter()
        .filter_map(|r| match r.role.parse() {
            Ok(role) => Some(role),
            Err(e) => {
                tracing::warn!(user_id = u.id, "ignoring {e}");
                None
            }
        })
        .collect();
    roles.sort();
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
}
