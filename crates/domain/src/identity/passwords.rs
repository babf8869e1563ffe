//! The password rules and Argon2: hashing on the blocking pool, verifying, and a person changing their
//! own password.
use super::{IdentityError, invalid};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use entity::user;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use std::sync::OnceLock;
use time::OffsetDateTime;

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a password could not be hashed (never the password itself).
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("Argon2 refused to hash the password: {0}")]
    Argon2(#[source] argon2::password_hash::Error),
    #[error("the hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
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
pub(super) async fn hash_password(password: &str) -> Result<String, IdentityError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IdentityError::Hashing(HashingError::Argon2(e)))
    })
    .await
    .map_err(HashingError::Task)?
}

pub(super) async fn verify_password(password: &str, phc_hash: &str) -> bool {
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
pub(super) fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"decoy password that matches nothing", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A password-rule refusal belongs to the form's `password` field.
pub(super) fn as_password_field(e: IdentityError) -> IdentityError {
    match e {
        IdentityError::PasswordRejected(m) => invalid("password", m),
        other => other,
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
