//! The first start: on an empty database, an `admin` user with a random password that must be changed.
use super::{IdentityError, NewUser, create_user};
use entity::user;
use rand::Rng;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use std::path::{Path, PathBuf};
use wharf_types::Role;

/// The user name of the administrator created on first start.
pub const INITIAL_ADMIN_USERNAME: &str = "admin";
/// The file, inside the data directory, that holds the first administrator's password until it is changed.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

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
