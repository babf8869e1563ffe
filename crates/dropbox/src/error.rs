//! One error type for everything Wharf asks of Dropbox, mapped from Dropbox's error unions to the cases
//! Wharf acts on, each with a sentence a person can act on.

use dropbox_sdk::files;
use std::time::Duration;

/// What went wrong talking to Dropbox.
#[derive(Debug, thiserror::Error)]
pub enum DropboxError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("insufficient space")]
    InsufficientSpace,
    #[error("malformed path: {0}")]
    MalformedPath(String),
    #[error("not permitted: {0}")]
    NotPermitted(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("too many write operations")]
    TooManyWrites,
    /// Dropbox keeps rate-limiting, or asked for a longer pause than the retry policy allows.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// The refresh token was refused (revoked, invalid) or missing: the user must reconnect.
    #[error("reauthorization required: {0}")]
    ReauthorizationRequired(String),
    /// Dropbox refused to exchange an authorization code (wrong PKCE verifier, a code used twice or
    /// expired): the authorization has to be started again.
    #[error("authorization failed: {0}")]
    AuthorizationFailed(String),
    /// Server errors, timeouts or broken connections that persisted through every retry.
    #[error("transient failure after {attempts} attempt(s): {detail}")]
    Transient { attempts: u32, detail: String },
    /// A listing or longpoll cursor is no longer valid; list again from the start.
    #[error("cursor reset")]
    CursorReset,
    #[error("content hash mismatch: expected {expected}, got {actual}")]
    ContentHashMismatch { expected: String, actual: String },
    #[error("upload session: {0}")]
    UploadSession(String),
    /// Dropbox called the request malformed (HTTP 400) or the caller passed something invalid.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    TokenStore(#[from] crate::token::TokenStoreError),
    /// Reading the caller's upload stream failed.
    #[error("reading upload content: {0}")]
    Source(std::io::Error),
    #[error("unexpected response from Dropbox: {0}")]
    Unexpected(String),
}

impl DropboxError {
    /// A sentence for the person using Wharf.
    pub fn user_message(&self) -> String {
        match self {
            Self::NotFound(_) => "The file or folder was not found in Dropbox. It may have been moved or deleted.".into(),
            Self::Conflict(_) => "Something with that name already exists in Dropbox. Choose another name or location.".into(),
            Self::InsufficientSpace => "The Dropbox account is out of space. Free some space or upgrade the account, then try again.".into(),
            Self::MalformedPath(_) => "That Dropbox path is not valid. Check the name for unsupported characters.".into(),
            Self::NotPermitted(_) => "The Dropbox account is not allowed to do this. Check its sharing permissions.".into(),
            Self::Unsupported(_) => "Dropbox cannot do this with this kind of item.".into(),
            Self::TooManyWrites => "Dropbox is busy with other changes in this folder. Try again in a moment.".into(),
            Self::RateLimited { retry_after } => format!(
                "Dropbox asked us to slow down. Try again in {} seconds.",
                retry_after.as_secs().max(1)
            ),
            Self::ReauthorizationRequired(_) => "Wharf's access to this Dropbox account has ended. Reconnect the data source to continue.".into(),
            Self::AuthorizationFailed(_) => "Dropbox did not accept the authorization. Start it again.".into(),
            Self::Transient { .. } => "Dropbox could not be reached reliably. Try again in a few minutes.".into(),
            Self::CursorReset => "The Dropbox folder listing has to be refreshed. Reload it to continue.".into(),
            Self::ContentHashMismatch { .. } => "The file was corrupted in transfer and was not accepted. Try the transfer again.".into(),
            Self::UploadSession(_) => "The upload was interrupted and could not be resumed. Start the upload again.".into(),
            Self::BadRequest(_) => "Dropbox rejected the request. If this keeps happening, contact your administrator.".into(),
            Self::TokenStore(_) => "Wharf could not read or save this data source's credentials. Contact your administrator.".into(),
            Self::Source(_) => "The file being uploaded could not be read. Try the upload again.".into(),
            Self::Unexpected(_) => "Dropbox answered in an unexpected way. Try again; if it persists, contact your administrator.".into(),
        }
    }

    /// Worth trying again later without changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Transient { .. } | Self::RateLimited { .. } | Self::TooManyWrites
        )
    }
}

/// A route's error union, mapped to `DropboxError`.
pub(crate) trait RouteError: std::error::Error + Send + Sync + 'static {
    fn into_error(self) -> DropboxError;
}

impl RouteError for dropbox_sdk::NoError {
    fn into_error(self) -> DropboxError {
        match self {}
    }
}

pub(crate) fn lookup(e: files::LookupError) -> DropboxError {
    use files::LookupError as L;
    match e {
        L::MalformedPath(p) => DropboxError::MalformedPath(p.unwrap_or_default()),
        L::NotFound => DropboxError::NotFound("path/not_found".into()),
        L::NotFile => DropboxError::Unsupported("path/not_file".into()),
        L::NotFolder => DropboxError::Unsupported("path/not_folder".into()),
        L::RestrictedContent => DropboxError::NotPermitted("path/restricted_content".into()),
        L::UnsupportedContentType => {
            DropboxError::Unsupported("path/unsupported_content_type".into())
        }
        L::Locked => DropboxError::Conflict("path/locked".into()),
        other => DropboxError::Unexpected(format!("lookup error {other}")),
    }
}

pub(crate) fn write(e: files::WriteError) -> DropboxError {
    use files::WriteError as W;
    match e {
        W::MalformedPath(p) => DropboxError::MalformedPath(p.unwrap_or_default()),
        W::Conflict(c) => DropboxError::Conflict(format!("path/conflict/{c}")),
        W::NoWritePermission => DropboxError::NotPermitted("no_write_permission".into()),
        W::InsufficientSpace
        | W::TeamFolderInsufficientSpace
        | W::MemberFolderInsufficientSpace => DropboxError::InsufficientSpace,
        W::DisallowedName => DropboxError::MalformedPath("disallowed_name".into()),
        W::TeamFolder | W::AccessRestricted | W::OperationSuppressed => {
            DropboxError::NotPermitted(format!("{e:?}"))
        }
        W::TooManyWriteOperations => DropboxError::TooManyWrites,
        W::UploadTrafficLimitReached => DropboxError::RateLimited {
            retry_after: Duration::from_secs(3600),
        },
        other => DropboxError::Unexpected(format!("write error {other}")),
    }
}

macro_rules! route_error {
    ($ty:ty, |$e:ident| $body:expr) => {
        impl RouteError for $ty {
            fn into_error(self) -> DropboxError {
                let $e = self;
                $body
            }
        }
    };
}

fn other(e: impl std::fmt::Display) -> DropboxError {
    DropboxError::Unexpected(e.to_string())
}

route_error!(files::GetMetadataError, |e| match e {
    files::GetMetadataError::Path(l) => lookup(l),
});
route_error!(files::ListFolderError, |e| match e {
    files::ListFolderError::Path(l) => lookup(l),
    e => other(e),
});
route_error!(files::ListFolderContinueError, |e| match e {
    files::ListFolderContinueError::Path(l) => lookup(l),
    files::ListFolderContinueError::Reset => DropboxError::CursorReset,
    e => other(e),
});
route_error!(files::ListFolderLongpollError, |e| match e {
    files::ListFolderLongpollError::Reset => DropboxError::CursorReset,
    e => other(e),
});
route_error!(files::DownloadError, |e| match e {
    files::DownloadError::Path(l) => lookup(l),
    files::DownloadError::UnsupportedFile => DropboxError::Unsupported("unsupported_file".into()),
    e => other(e),
});
route_error!(files::UploadError, |e| match e {
    files::UploadError::Path(f) => write(f.reason),
    files::UploadError::PayloadTooLarge => DropboxError::BadRequest("payload_too_large".into()),
    files::UploadError::ContentHashMismatch => hash_rejected(),
    e => other(e),
});
route_error!(files::UploadSessionStartError, |e| match e {
    files::UploadSessionStartError::ContentHashMismatch => hash_rejected(),
    e => DropboxError::UploadSession(e.to_string()),
});
route_error!(files::UploadSessionAppendError, |e| match e {
    files::UploadSessionAppendError::ContentHashMismatch => hash_rejected(),
    e => DropboxError::UploadSession(e.to_string()),
});
route_error!(files::UploadSessionFinishError, |e| match e {
    files::UploadSessionFinishError::Path(w) => write(w),
    files::UploadSessionFinishError::TooManyWriteOperations => DropboxError::TooManyWrites,
    files::UploadSessionFinishError::ContentHashMismatch => hash_rejected(),
    e => DropboxError::UploadSession(e.to_string()),
});
route_error!(files::CreateFolderError, |e| match e {
    files::CreateFolderError::Path(w) => write(w),
});
route_error!(files::DeleteError, |e| match e {
    files::DeleteError::PathLookup(l) => lookup(l),
    files::DeleteError::PathWrite(w) => write(w),
    files::DeleteError::TooManyWriteOperations => DropboxError::TooManyWrites,
    e => other(e),
});
route_error!(files::RelocationError, |e| match e {
    files::RelocationError::FromLookup(l) => lookup(l),
    files::RelocationError::FromWrite(w) | files::RelocationError::To(w) => write(w),
    files::RelocationError::InsufficientQuota
    | files::RelocationError::TeamFolderInsufficientQuota
    | files::RelocationError::MemberFolderInsufficientQuota => DropboxError::InsufficientSpace,
    files::RelocationError::CantMoveFolderIntoItself
    | files::RelocationError::DuplicatedOrNestedPaths => DropboxError::Conflict(e.to_string()),
    e => DropboxError::NotPermitted(e.to_string()),
});
route_error!(files::SearchError, |e| match e {
    files::SearchError::Path(l) => lookup(l),
    files::SearchError::InvalidArgument(m) => DropboxError::BadRequest(m.unwrap_or_default()),
    e => other(e),
});
route_error!(files::GetTemporaryLinkError, |e| match e {
    files::GetTemporaryLinkError::Path(l) => lookup(l),
    e => DropboxError::Unsupported(e.to_string()),
});
route_error!(files::ListRevisionsError, |e| match e {
    files::ListRevisionsError::Path(l) => lookup(l),
    e => other(e),
});
route_error!(files::RestoreError, |e| match e {
    files::RestoreError::PathLookup(l) => lookup(l),
    files::RestoreError::PathWrite(w) => write(w),
    files::RestoreError::InvalidRevision => DropboxError::NotFound("invalid_revision".into()),
    e => other(e),
});
route_error!(files::ThumbnailV2Error, |e| match e {
    files::ThumbnailV2Error::Path(l) => lookup(l),
    files::ThumbnailV2Error::NotFound => DropboxError::NotFound("not_found".into()),
    files::ThumbnailV2Error::AccessDenied => DropboxError::NotPermitted("access_denied".into()),
    e => DropboxError::Unsupported(e.to_string()),
});

fn hash_rejected() -> DropboxError {
    DropboxError::ContentHashMismatch {
        expected: "the hash Wharf computed".into(),
        actual: "what Dropbox received".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_sentence_ending_in_a_full_stop() {
        let all = [
            DropboxError::NotFound("x".into()),
            DropboxError::InsufficientSpace,
            DropboxError::RateLimited {
                retry_after: Duration::from_secs(3),
            },
            DropboxError::ReauthorizationRequired("revoked".into()),
            DropboxError::AuthorizationFailed("invalid_grant".into()),
            DropboxError::Transient {
                attempts: 3,
                detail: "503".into(),
            },
        ];
        for e in all {
            let m = e.user_message();
            assert!(m.ends_with('.'), "{m}");
        }
    }

    #[test]
    fn write_conflicts_and_quota_map_to_what_wharf_acts_on() {
        let c = write(files::WriteError::Conflict(files::WriteConflictError::File));
        assert!(matches!(c, DropboxError::Conflict(_)));
        assert!(matches!(
            write(files::WriteError::InsufficientSpace),
            DropboxError::InsufficientSpace
        ));
    }
}
