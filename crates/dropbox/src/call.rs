//! The call executor every operation goes through: a valid token, the path root, the SDK route, then —
//! depending on the failure — one refresh after a 401, or bounded retries with backoff.

use crate::client::DropboxClient;
use crate::error::{DropboxError, RouteError};
use crate::transport::{Conn, ServerStatus, TransportError};
use std::future::Future;
use std::time::Duration;

/// Whether a request may be sent again after Dropbox might already have acted on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads and other requests whose repetition changes nothing: retry 5xx, timeouts, resets.
    Safe,
    /// Writes: retry only what Dropbox certainly did not process (429, never-sent connections).
    Unsafe,
}

/// What to do about one failed attempt.
pub(crate) enum Failure {
    Unauthorized,
    /// Worth another attempt, after `wait` if Dropbox said so.
    Retryable {
        wait: Option<Duration>,
        error: DropboxError,
    },
    Fatal(DropboxError),
}

fn transport_failure<E>(e: &dropbox_sdk::Error<E>) -> Option<bool> {
    // Some(not_sent) for connection-level failures; body read errors count as "maybe sent".
    let dropbox_sdk::Error::HttpClient(inner) = e else {
        return None;
    };
    if inner.is::<ServerStatus>() {
        return None;
    }
    Some(
        inner
            .downcast_ref::<TransportError>()
            .map(|t| t.not_sent)
            .unwrap_or(false),
    )
}

pub(crate) fn classify<E: RouteError>(e: dropbox_sdk::Error<E>, retry: Retry) -> Failure {
    if let dropbox_sdk::Error::HttpClient(inner) = &e
        && let Some(s) = inner.downcast_ref::<ServerStatus>()
    {
        let error = DropboxError::Transient {
            attempts: 1,
            detail: s.to_string(),
        };
        return if retry == Retry::Safe {
            Failure::Retryable {
                wait: s.retry_after,
                error,
            }
        } else {
            Failure::Fatal(error)
        };
    }
    if let Some(not_sent) = transport_failure(&e) {
        let error = DropboxError::Transient {
            attempts: 1,
            detail: e.to_string(),
        };
        return if not_sent || retry == Retry::Safe {
            Failure::Retryable { wait: None, error }
        } else {
            Failure::Fatal(error)
        };
    }
    match e {
        dropbox_sdk::Error::Authentication(_) => Failure::Unauthorized,
        dropbox_sdk::Error::RateLimited {
            retry_after_seconds,
            ..
        } => {
            let wait = Duration::from_secs(u64::from(retry_after_seconds));
            Failure::Retryable {
                wait: Some(wait),
                error: DropboxError::RateLimited { retry_after: wait },
            }
        }
        dropbox_sdk::Error::ServerError(body) => {
            let error = DropboxError::Transient {
                attempts: 1,
                detail: format!("server error: {}", truncate(&body)),
            };
            if retry == Retry::Safe {
                Failure::Retryable { wait: None, error }
            } else {
                Failure::Fatal(error)
            }
        }
        e => match map_sdk_error(e) {
            // Dropbox did not perform the write; backing off is what it asks for.
            DropboxError::TooManyWrites => Failure::Retryable {
                wait: None,
                error: DropboxError::TooManyWrites,
            },
            other => Failure::Fatal(other),
        },
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Maps any SDK error without retry considerations.
pub(crate) fn map_sdk_error<E: RouteError>(e: dropbox_sdk::Error<E>) -> DropboxError {
    use dropbox_sdk::Error as E;
    match e {
        E::Api(api) => api.into_error(),
        E::HttpClient(inner) => DropboxError::Transient {
            attempts: 1,
            detail: inner.to_string(),
        },
        E::Json(j) => DropboxError::Unexpected(format!("JSON: {j}")),
        E::UnexpectedResponse(m) => DropboxError::Unexpected(m),
        E::BadRequest(m) => DropboxError::BadRequest(truncate(&m)),
        E::Authentication(a) => DropboxError::ReauthorizationRequired(format!("Dropbox: {a}")),
        E::RateLimited {
            retry_after_seconds,
            ..
        } => DropboxError::RateLimited {
            retry_after: Duration::from_secs(u64::from(retry_after_seconds)),
        },
        E::AccessDenied(a) => DropboxError::NotPermitted(a.to_string()),
        E::ServerError(m) => DropboxError::Transient {
            attempts: 1,
            detail: truncate(&m),
        },
        // 422: the team space (path root) is not available to this account.
        E::UnexpectedHttpError {
            code: 422,
            response,
        } => DropboxError::NotPermitted(format!("path root: {}", truncate(&response))),
        E::UnexpectedHttpError { code, response } => {
            DropboxError::Unexpected(format!("HTTP {code}: {}", truncate(&response)))
        }
    }
}

/// The give-up error after `attempts` tries.
fn gave_up(error: DropboxError, attempts: u32) -> DropboxError {
    match error {
        DropboxError::Transient { detail, .. } => DropboxError::Transient { attempts, detail },
        other => other,
    }
}

impl DropboxClient {
    /// Runs `route` with auth and retries, under the client's path root.
    pub(crate) async fn run<T, E, F, Fut>(&self, retry: Retry, route: F) -> Result<T, DropboxError>
    where
        F: FnMut(Conn) -> Fut,
        Fut: Future<Output = Result<T, dropbox_sdk::Error<E>>>,
        E: RouteError,
    {
        let root = self.path_root().await?;
        self.run_in(root, retry, route).await
    }

    /// Runs `route` with an explicit path root (none for account calls).
    pub(crate) async fn run_in<T, E, F, Fut>(
        &self,
        path_root: Option<String>,
        retry: Retry,
        mut route: F,
    ) -> Result<T, DropboxError>
    where
        F: FnMut(Conn) -> Fut,
        Fut: Future<Output = Result<T, dropbox_sdk::Error<E>>>,
        E: RouteError,
    {
        let mut token = self.tokens.current().await?;
        let mut attempts = 0u32;
        let mut refreshed = false;
        loop {
            attempts += 1;
            let conn = Conn::new(
                self.hub.transport.clone(),
                Some(token.clone()),
                path_root.clone(),
            );
            match route(conn).await {
                Ok(v) => return Ok(v),
                Err(e) => match classify(e, retry) {
                    Failure::Unauthorized if !refreshed => {
                        refreshed = true;
                        attempts -= 1; // the refresh retry is not a fault retry
                        token = self.tokens.after_unauthorized(&token).await?;
                    }
                    Failure::Unauthorized => {
                        return Err(DropboxError::ReauthorizationRequired(
                            "Dropbox refused a freshly refreshed token".into(),
                        ));
                    }
                    Failure::Retryable { wait, error } => {
                        match self.hub.retry.next_delay(attempts, wait) {
                            Some(d) => {
                                tracing::debug!("dropbox: retrying in {d:?} after {error}");
                                tokio::time::sleep(d).await;
                                // The token may have been refreshed meanwhile by another caller.
                                token = self.tokens.current().await?;
                            }
                            None => return Err(gave_up(error, attempts)),
                        }
                    }
                    Failure::Fatal(e) => return Err(e),
                },
            }
        }
    }
}
