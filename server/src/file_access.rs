//! What the plain file routes (download, thumbnail, uploads) share: who may use a data source's files, and
//! how a refused or failed file call is answered. One copy, so the routes cannot drift apart.
use app::api::context::ServerContext;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::AuthenticatedUser;
use domain::connector::FilesError;
use domain::policy::{Action, Decision, Denial, decide, load_security, log_denial};

/// Lets the request through when `user` may use data source `id` (signed in, and its Security's
/// Connection users name them); otherwise the response to send: 401/403 with the policy's sentence,
/// or 404 when the data source is gone.
pub async fn authorize_use(
    ctx: &ServerContext,
    user: Option<&AuthenticatedUser>,
    id: i32,
) -> Result<(), Response> {
    let security = load_security(&ctx.db, id).await.map_err(|e| {
        crate::failures::internal_error(format_args!("could not load data source security: {e}"))
    })?;
    if user.is_some() && security.is_none() {
        return Err(plain(
            StatusCode::NOT_FOUND,
            "This data source no longer exists.",
        ));
    }
    if let Decision::Deny(denial) = decide(user, Action::UseDataSource, security.as_ref()) {
        log_denial(user, Action::UseDataSource, Some(id), &denial);
        return Err(refusal(&denial));
    }
    Ok(())
}

/// The signed-in user when the policy lets them do `action` (one that needs no data source);
/// otherwise the denial, logged (answer it with [`refusal`]).
pub fn authorize(
    user: Option<AuthenticatedUser>,
    action: Action,
) -> Result<AuthenticatedUser, Denial> {
    match (decide(user.as_ref(), action, None), user) {
        (Decision::Allow, Some(user)) => Ok(user),
        (Decision::Deny(denial), user) => {
            log_denial(user.as_ref(), action, None, &denial);
            Err(denial)
        }
        (Decision::Allow, None) => Err(Denial::NotSignedIn),
    }
}

/// A denial as the browser gets it: 401 when the caller must sign in, 403 otherwise.
pub fn refusal(denial: &Denial) -> Response {
    let status = if denial.is_unauthenticated() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FORBIDDEN
    };
    plain(status, &denial.sentence())
}

/// A file call that did not work, as the browser gets it: the error's sentence with 404 (missing,
/// or no thumbnail), 400 (refused path or query), 403 (a file the File pattern leaves out), 409
/// (never authorized), 500 (our database) or 502 (Dropbox).
pub fn files_error_response(id: i32, what: &str, e: &FilesError) -> Response {
    let status = match e {
        _ if e.is_not_found() => StatusCode::NOT_FOUND,
        FilesError::NoThumbnail => StatusCode::NOT_FOUND,
        _ if e.is_invalid_input() => StatusCode::BAD_REQUEST,
        FilesError::FileTypeNotAllowed(_) => StatusCode::FORBIDDEN,
        FilesError::NotConnected => StatusCode::CONFLICT,
        FilesError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_GATEWAY,
    };
    if status.is_server_error() {
        tracing::warn!(data_source_id = id, "{what} failed: {e:?}");
    } else {
        tracing::info!(data_source_id = id, "{what} refused: {e}");
    }
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        // The database's own words are for the log, not the browser.
        return crate::failures::internal_error(format_args!("{what} failed: {e}"));
    }
    plain(status, &e.to_string())
}

pub fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.to_owned(),
    )
        .into_response()
}
