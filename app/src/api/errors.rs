//! Every domain error as the browser gets it, decided once: server functions and plain routes both
//! use `?`, so one kind of error answers one status and one JSON body wherever it happens. Causes
//! (the database, Dropbox's own words) go to the log under the request's id, never to the browser.
use super::context::internal;
use crate::error::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::connector::{ConnectorError, FilesError};
use domain::data_sources::DataSourceError;
use domain::forms::FormError;
use domain::groups::GroupError;
use domain::identity::IdentityError;
use domain::jobs::JobError;
use domain::oauth_states::StateError;
use domain::policy::Denial;
use domain::rules::RulesError;
use domain::security::SecurityError;
use domain::uploads::UploadError;

/// The same body a failing server function answers (`FromServerFnError`'s JSON encoding), with the
/// status of [`AppError::status_code`]. The error rides along in the response's extensions, so the
/// server's failure layer can answer a browser navigating (a download link) with a page instead,
/// and fill in the reference of an internal failure.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response.extensions_mut().insert(self);
        response
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        internal(e)
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        internal(e)
    }
}

/// A policy refusal: 401 when the caller must sign in (or change their password first: 403), 403
/// with the policy's sentence otherwise.
impl From<&Denial> for AppError {
    fn from(denial: &Denial) -> Self {
        match denial {
            Denial::NotSignedIn => AppError::Unauthenticated,
            Denial::PasswordChangeRequired => AppError::PasswordChangeRequired,
            other => AppError::Forbidden(other.sentence()),
        }
    }
}

impl From<IdentityError> for AppError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::NotFound => AppError::NotFound(e.to_string()),
            IdentityError::InvalidCredentials => AppError::InvalidCredentials,
            IdentityError::WrongCurrentPassword => {
                AppError::validation("current_password", e.to_string())
            }
            IdentityError::UsernameTaken(_) => AppError::validation("username", e.to_string()),
            IdentityError::Invalid { field, message } => AppError::validation(field, message),
            IdentityError::PasswordRejected(m) => AppError::validation("password", m),
            IdentityError::LastAdministrator(m) | IdentityError::NotYourself(m) => {
                AppError::invalid(m)
            }
            other @ (IdentityError::Hashing(_) | IdentityError::Database(_)) => internal(other),
        }
    }
}

impl From<GroupError> for AppError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::NotFound => AppError::NotFound(e.to_string()),
            GroupError::NameTaken(_) => AppError::validation("name", e.to_string()),
            GroupError::Invalid { field, message } => AppError::validation(field, message),
            GroupError::Database(e) => internal(e),
        }
    }
}

impl From<DataSourceError> for AppError {
    fn from(e: DataSourceError) -> Self {
        match e {
            DataSourceError::NotFound => AppError::NotFound(e.to_string()),
            DataSourceError::NameTaken(_) => AppError::validation("display_name", e.to_string()),
            DataSourceError::Invalid { field, message } => AppError::validation(field, message),
            DataSourceError::Database(e) => internal(e),
        }
    }
}

impl From<SecurityError> for AppError {
    fn from(e: SecurityError) -> Self {
        match e {
            SecurityError::NotFound => AppError::NotFound(e.to_string()),
            SecurityError::Invalid(message) => AppError::invalid(message),
            SecurityError::Database(e) => internal(e),
        }
    }
}

/// A submission's writes: unknown (or not the caller's to see) 404, nothing to retry 409.
impl From<JobError> for AppError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound | JobError::NoWrites => AppError::NotFound(e.to_string()),
            JobError::NotRetryable(_) => AppError::Conflict(e.to_string()),
            other @ (JobError::Stored(_) | JobError::Database(_)) => internal(other),
        }
    }
}

impl From<FormError> for AppError {
    fn from(e: FormError) -> Self {
        match e {
            FormError::NotFound | FormError::NotPublished => AppError::NotFound(e.to_string()),
            // `field-3` names the fourth field of the designer, `rule-0` its first rule; `title` the
            // form's title.
            FormError::Definition {
                field,
                rule,
                message,
            } => {
                let key = match (field, rule) {
                    (Some(i), _) => format!("field-{i}"),
                    (None, Some(i)) => format!("rule-{i}"),
                    (None, None) => "title".to_owned(),
                };
                AppError::validation(&key, message)
            }
            // Every problem goes back, each to be shown at its field.
            FormError::Values(problems) => AppError::fields(problems),
            FormError::Denied(sentence) => AppError::Forbidden(sentence),
            FormError::RefusedByRule(sentence) => AppError::invalid(sentence),
            FormError::Database(e) => internal(e),
            FormError::Stored(e) => internal(e),
        }
    }
}

impl From<FilesError> for AppError {
    fn from(e: FilesError) -> Self {
        match e {
            FilesError::NotFound | FilesError::NoThumbnail => AppError::NotFound(e.to_string()),
            FilesError::Dropbox(_) if e.is_not_found() => AppError::NotFound(e.to_string()),
            FilesError::NotConnected => {
                tracing::info!("refused: the data source is not connected to Dropbox yet");
                AppError::Conflict(e.to_string())
            }
            FilesError::FileTypeNotAllowed(_) => AppError::Forbidden(e.to_string()),
            FilesError::Path(refused) => AppError::validation("path", refused.to_string()),
            FilesError::EmptyQuery | FilesError::QueryTooLong => {
                AppError::validation("query", e.to_string())
            }
            FilesError::StaleCursor => AppError::invalid(e.to_string()),
            FilesError::Dropbox(ref d) => {
                tracing::warn!("Dropbox call failed: {d:?}");
                AppError::Upstream(e.to_string())
            }
            FilesError::Database(e) => internal(e),
        }
    }
}

impl From<RulesError> for AppError {
    fn from(e: RulesError) -> Self {
        match e {
            RulesError::FormNotFound | RulesError::NotPublished => {
                AppError::NotFound(e.to_string())
            }
            RulesError::SubmitOnly | RulesError::StaleToken => AppError::invalid(e.to_string()),
            RulesError::Refused(sentence) => AppError::Forbidden(sentence),
            RulesError::Files(e) => e.into(),
            RulesError::RetryLater(r) => AppError::Upstream(r.message),
            RulesError::Stored(e) => internal(e),
            RulesError::Database(e) => internal(e),
        }
    }
}

impl From<StateError> for AppError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::Database(e) => internal(e),
            // A reused, expired or foreign authorization link: start again.
            other => AppError::invalid(other.to_string()),
        }
    }
}

impl From<ConnectorError> for AppError {
    fn from(e: ConnectorError) -> Self {
        match e {
            ConnectorError::NotFound => AppError::NotFound(e.to_string()),
            ConnectorError::NotConfigured => AppError::Conflict(e.to_string()),
            ConnectorError::State(e) => e.into(),
            ConnectorError::Dropbox(ref d) => {
                tracing::warn!("Dropbox call failed: {d:?}");
                AppError::Upstream(e.to_string())
            }
            ConnectorError::Database(e) => internal(e),
        }
    }
}

impl From<UploadError> for AppError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::FormNotFound
            | UploadError::FormNotPublished
            | UploadError::NotFound
            | UploadError::Missing => AppError::NotFound(e.to_string()),
            UploadError::NoSuchField
            | UploadError::BadName(_)
            | UploadError::UnknownToken
            | UploadError::AlreadyAttached
            | UploadError::TooManyFiles
            | UploadError::Interrupted => AppError::invalid(e.to_string()),
            UploadError::TooLarge { .. }
            | UploadError::TooManyPending { .. }
            | UploadError::NoRoom => AppError::TooLarge(e.to_string()),
            UploadError::Storage(_) | UploadError::Database(_) | UploadError::Stored(_) => {
                internal(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One kind of refusal, one status, whichever domain error carries it.
    #[test]
    fn each_kind_of_error_has_one_status() {
        let path = domain::confine::resolve("/", "../secret").unwrap_err();
        assert_eq!(AppError::from(FilesError::Path(path)).status_code(), 422);
        assert_eq!(AppError::from(FilesError::NotFound).status_code(), 404);
        assert_eq!(AppError::from(FilesError::NoThumbnail).status_code(), 404);
        assert_eq!(AppError::from(FilesError::NotConnected).status_code(), 409);
        assert_eq!(
            AppError::from(FilesError::FileTypeNotAllowed("*.pdf".into())).status_code(),
            403
        );
        assert_eq!(
            AppError::from(UploadError::TooLarge { max: 1 }).status_code(),
            413
        );
        assert_eq!(AppError::from(UploadError::NoSuchField).status_code(), 422);
        // A full disk is told to the person, not hidden behind "something went wrong".
        let full = AppError::from(UploadError::NoRoom);
        assert_eq!(full.status_code(), 413);
        assert!(full.to_string().contains("no room"), "{full}");
        assert_eq!(AppError::from(&Denial::NotSignedIn).status_code(), 401);
        let refused = AppError::from(IdentityError::LastAdministrator("Keep one."));
        assert_eq!(refused.form_message().as_deref(), Some("Keep one."));
    }

    /// The cause of an internal failure stays in the log.
    #[test]
    fn a_database_failure_keeps_its_words_to_itself() {
        let e = AppError::from(GroupError::Database(sea_orm::DbErr::Custom(
            "table groups is locked".into(),
        )));
        assert!(matches!(e, AppError::Internal { .. }));
        assert!(!serde_json::to_string(&e).unwrap().contains("locked"));
    }
}
