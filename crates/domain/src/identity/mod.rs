//! Users, passwords and roles, one concern per module: [`names`] (user names, display names, email,
//! parsed once), [`passwords`] (the rules and Argon2), [`sign_in`], [`users`] (Administration >
//! Users) and [`bootstrap`] (the first administrator). Everything is re-exported here, so
//! `identity::create_user` and the like keep their paths.
mod bootstrap;
mod names;
mod passwords;
mod sign_in;
mod users;

pub use bootstrap::{
    INITIAL_ADMIN_USERNAME, INITIAL_PASSWORD_FILE, InitialAdmin, ensure_initial_admin,
    forget_initial_password,
};
pub use names::{
    DisplayName, Email, MAX_DISPLAY_NAME_CHARS, MAX_USERNAME_CHARS, NameError, UserName,
    normalize_username,
};
pub use passwords::{
    HashingError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, change_password, check_new_password,
};
pub use sign_in::{authenticate, find_active_user};
pub use users::{
    UserChanges, UserPage, UserSummary, add_user, create_user, delete_user, display_names,
    get_user, list_users, set_password_by_admin, update_user,
};

use entity::user_role;
use sea_orm::DbErr;
use wharf_types::Role;

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
    UsernameTaken(UserName),
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
    Hashing(#[from] HashingError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A name that cannot be used is refused at its form field, with the sentence saying why.
impl From<NameError> for IdentityError {
    fn from(e: NameError) -> Self {
        invalid(e.field(), e.to_string())
    }
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
    /// Only asked of users whose roles do not open that area already (for them it would decide
    /// nothing, and it is one query less on each of their requests): false for the others.
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

fn invalid(field: &'static str, message: impl Into<String>) -> IdentityError {
    IdentityError::Invalid {
        field,
        message: message.into(),
    }
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

#[cfg(test)]
mod tests;
