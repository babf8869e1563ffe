//! Signing in and out, the current user, and changing one's password.
use crate::dto::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in user, or `None` for an anonymous caller.
#[server(endpoint = "get_current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use super::context::*;
    respond(request_user().await.map(|u| u.map(CurrentUser::from)))
}

/// Signs in and answers the same-site path to continue to (`next`, or `/`).
#[server(endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String, next: String) -> Result<String, AppError> {
    use super::context::*;
    use domain::identity::{self, IdentityError};
    use domain::sign_in_throttle::{self, ThrottleKey};
    respond(
        async move {
            if username.trim().is_empty() {
                return Err(AppError::validation("username", "Enter your user name."));
            }
            if password.is_empty() {
                return Err(AppError::validation("password", "Enter your password."));
            }
            let ctx = server_context()?;
            let account = identity::normalize_username(&username);
            let mut keys = vec![ThrottleKey::Account(account.clone())];
            if let Some(addr) = client_address().await {
                keys.push(ThrottleKey::Address(addr));
            }
            let now = time::OffsetDateTime::now_utc();
            // Checked before the password, and alike for names that exist and names that do not.
            if let Err(throttled) = sign_in_throttle::check(&ctx.db, &keys, now).await? {
                tracing::warn!(username = %account, "sign-in refused: throttled");
                return Err(AppError::TooManyAttempts(throttled.to_string()));
            }
            let user = match identity::authenticate(&ctx.db, &username, &password).await {
                Ok(user) => user,
                Err(IdentityError::InvalidCredentials) => {
                    tracing::info!(username = %account, "sign-in refused");
                    sign_in_throttle::record_failure(&ctx.db, &keys, now).await?;
                    return Err(AppError::InvalidCredentials);
                }
                Err(other) => return Err(other.into()),
            };
            sign_in_throttle::record_success(&ctx.db, &account).await?;
            let session = session().await?;
            // A fresh session id at sign-in: an id planted before sign-in is worth nothing after it.
            session.cycle_id().await?;
            session.insert(SESSION_USER_KEY, user.id).await?;
            tracing::info!(user_id = user.id, "signed in");
            Ok(if wharf_types::is_same_site_path(&next) {
                next
            } else {
                "/".to_owned()
            })
        }
        .await,
    )
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::context::*;
    respond(
        async move {
            let session = session().await?;
            if let Some(user) = request_user().await? {
                tracing::info!(user_id = user.id, "signed out");
            }
            Ok(session.flush().await?)
        }
        .await,
    )
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use super::context::*;
    use domain::identity::{self, IdentityError};
    respond(
        async move {
            // A forced change is exactly what this function is for, so it does not use require_user().
            let user = request_user().await?.ok_or(AppError::Unauthenticated)?;
            if current_password.is_empty() {
                return Err(AppError::validation(
                    "current_password",
                    "Enter your current password.",
                ));
            }
            if new_password != confirm_password {
                return Err(AppError::validation(
                    "confirm_password",
                    "The two new passwords do not match.",
                ));
            }
            let ctx = server_context()?;
            identity::change_password(&ctx.db, user.id, &current_password, &new_password)
                .await
                .map_err(|e| match e {
                    // This form names the field `new_password`; a user gone since: signed out.
                    IdentityError::PasswordRejected(m) => AppError::validation("new_password", m),
                    IdentityError::InvalidCredentials => AppError::Unauthenticated,
                    other => other.into(),
                })?;
            if user.must_change_password && user.username == identity::INITIAL_ADMIN_USERNAME {
                identity::forget_initial_password(&ctx.data_dir);
            }
            session().await?.cycle_id().await?;
            tracing::info!(user_id = user.id, "password changed");
            Ok(())
        }
        .await,
    )
}
