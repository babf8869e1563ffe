//! The one error type that crosses the server-function boundary. Every variant carries a sentence a
//! person can act on; causes are logged on the server, never sent to the browser.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthenticated,
    #[error("The user name or password is not correct.")]
    InvalidCredentials,
    #[error("Change your password before you continue.")]
    PasswordChangeRequired,
    #[error("{0}")]
    Forbidden(String),
    /// Bad input: `field` names the form field the message belongs to, when there is one.
    #[error("{message}")]
    Validation {
        field: Option<String>,
        message: String,
    },
    /// Several fields refused at once (a submission): each message belongs under its field.
    #[error("{}", fields_summary(problems))]
    Fields { problems: BTreeMap<String, String> },
    #[error("{0}")]
    NotFound(String),
    /// Dropbox failed or refused; the sentence says what to do.
    #[error("{0}")]
    Upstream(String),
    /// Sign-in is slowed down after repeated failures; the sentence says how long to wait.
    #[error("{0}")]
    TooManyAttempts(String),
    /// The request conflicts with the state of what it names (e.g. a data source that is not
    /// connected to Dropbox yet); the sentence says what has to happen first.
    #[error("{0}")]
    Conflict(String),
    /// The request body is larger than Wharf accepts; the sentence gives the limit.
    #[error("{0}")]
    TooLarge(String),
    /// Something failed on the server; `reference` is the request id the log names the cause under.
    #[error("{}", internal_sentence(reference.as_deref()))]
    Internal { reference: Option<String> },
    #[error("Wharf could not be reached. Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// The message for one form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Validation {
                field: Some(f),
                message,
            } if f == name => Some(message.clone()),
            AppError::Fields { problems } => problems.get(name).cloned(),
            _ => None,
        }
    }

    /// Whether every message of this error is shown at a field (so the form need not repeat it).
    pub fn is_about_one_field(&self) -> bool {
        matches!(self, AppError::Validation { field: Some(_), .. })
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::PasswordChangeRequired | AppError::Forbidden(_) => 403,
            AppError::Validation { .. } | AppError::Fields { .. } => 422,
            AppError::NotFound(_) => 404,
            AppError::TooManyAttempts(_) => 429,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::Internal { .. } => 500,
            AppError::Transport(_) | AppError::Upstream(_) => 502,
        }
    }
}

/// "2 fields need attention." — above the form; each message is shown at its own field.
fn fields_summary(problems: &BTreeMap<String, String>) -> String {
    match problems.len() {
        1 => "1 field needs attention.".to_owned(),
        n => format!("{n} fields need attention."),
    }
}

/// What a person sees when the server failed, with the reference to quote to an administrator.
fn internal_sentence(reference: Option<&str>) -> String {
    let sentence = "Something went wrong on the server. Try again; if it keeps happening, tell your \
                    administrator";
    match reference {
        Some(r) => format!("{sentence} (reference {r})."),
        None => format!("{sentence}."),
    }
}

/// The body limit of server functions (axum's default), in MiB, for the sentence of a refusal.
pub const SERVER_FN_BODY_LIMIT_MB: usize = 2;

/// The refusal of a server-function request whose body is over the limit.
pub fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "The request is too large (at most {SERVER_FN_BODY_LIMIT_MB} MB)."
    ))
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Bad arguments are the caller's mistake, not a network failure.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::Validation {
                field: None,
                message: format!("The request was incomplete: {m}"),
            },
            // The server stopped reading a body over its limit (axum's `LengthLimitError`).
            ServerFnErrorErr::Deserialization(m) if m.contains("length limit exceeded") => {
                too_large()
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_names_its_reference() {
        let e = AppError::Internal {
            reference: Some("0b7c".into()),
        };
        assert!(
            e.to_string()
                .ends_with("tell your administrator (reference 0b7c).")
        );
        assert_eq!(e.status_code(), 500);
        assert!(
            AppError::Internal { reference: None }
                .to_string()
                .ends_with("tell your administrator.")
        );
    }

    #[test]
    fn a_body_over_the_limit_is_too_large_not_a_transport_failure() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(
            "length limit exceeded".into(),
        ));
        assert_eq!(
            e,
            AppError::TooLarge("The request is too large (at most 2 MB).".into())
        );
        assert_eq!(e.status_code(), 413);
        assert_eq!(AppError::Conflict(String::new()).status_code(), 409);
    }
}
