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
    /// Bad input: `fields` holds each message under the form field it belongs to (a submission may
    /// refuse several at once); `message`, when set, belongs to the form as a whole.
    #[error("{}", validation_sentence(fields, message.as_deref()))]
    Validation {
        #[serde(default)]
        fields: BTreeMap<String, String>,
        #[serde(default)]
        message: Option<String>,
    },
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
    /// A byte range of a file that Wharf cannot serve (several ranges, or past the end).
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// Something failed on the server; `reference` is the request id the log names the cause under.
    #[error("{}", internal_sentence(reference.as_deref()))]
    Internal { reference: Option<String> },
    #[error("Wharf could not be reached. Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    /// A refusal of one field's value, shown at that field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::fields(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    /// A refusal of the request as a whole, shown above the form.
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Validation {
            fields: BTreeMap::new(),
            message: Some(message.into()),
        }
    }

    /// Several fields refused at once, each message shown at its field.
    pub fn fields(fields: BTreeMap<String, String>) -> Self {
        AppError::Validation {
            fields,
            message: None,
        }
    }

    /// The message for one form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(name).cloned(),
            _ => None,
        }
    }

    /// What to show above the form: nothing when the only message is shown at its one field, a
    /// summary when several fields need attention, the sentence otherwise.
    pub fn form_message(&self) -> Option<String> {
        match self {
            AppError::Validation {
                fields,
                message: None,
            } if fields.len() == 1 => None,
            other => Some(other.to_string()),
        }
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::PasswordChangeRequired | AppError::Forbidden(_) => 403,
            AppError::Validation { .. } => 422,
            AppError::NotFound(_) => 404,
            AppError::TooManyAttempts(_) => 429,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::RangeNotSatisfiable(_) => 416,
            AppError::Internal { .. } => 500,
            AppError::Transport(_) | AppError::Upstream(_) => 502,
        }
    }
}

/// The form's own message; else the one field's message; else "2 fields need attention." (each
/// message is shown at its own field).
fn validation_sentence(fields: &BTreeMap<String, String>, message: Option<&str>) -> String {
    match (message, fields.len()) {
        (Some(m), _) => m.to_owned(),
        (None, 1) => fields.values().next().cloned().unwrap_or_default(),
        (None, 0) => "Check the form and try again.".to_owned(),
        (None, n) => format!("{n} fields need attention."),
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
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                AppError::invalid(format!("The request was incomplete: {m}"))
            }
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
    fn validation_messages_belong_to_their_fields_or_to_the_form() {
        let one = AppError::validation("username", "Enter your user name.");
        assert_eq!(
            one.for_field("username").as_deref(),
            Some("Enter your user name.")
        );
        assert_eq!(one.for_field("password"), None);
        assert_eq!(one.to_string(), "Enter your user name.");
        assert_eq!(one.form_message(), None, "shown at its field only");

        let several = AppError::fields(BTreeMap::from([
            ("a".to_owned(), "Choose a file.".to_owned()),
            ("b".to_owned(), "Too long.".to_owned()),
        ]));
        assert_eq!(several.for_field("b").as_deref(), Some("Too long."));
        assert_eq!(
            several.form_message().as_deref(),
            Some("2 fields need attention.")
        );

        let whole = AppError::invalid("The last administrator cannot be disabled.");
        assert_eq!(whole.for_field("a"), None);
        assert_eq!(
            whole.form_message().as_deref(),
            Some("The last administrator cannot be disabled.")
        );
        assert_eq!(whole.status_code(), 422);
        assert_eq!(
            AppError::Forbidden("No.".into()).form_message().as_deref(),
            Some("No.")
        );
    }

    #[test]
    fn the_json_names_the_fields_and_reads_back() {
        let e = AppError::validation("path", "Paths may not contain “..”.");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json["Validation"]["fields"]["path"],
            "Paths may not contain “..”."
        );
        assert_eq!(serde_json::from_value::<AppError>(json).unwrap(), e);
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
