//! Tokens and the seam through which the caller persists them (Wharf encrypts them at rest).

use async_trait::async_trait;
use std::fmt;
use std::sync::Mutex;
use time::OffsetDateTime;

/// A secret string whose `Debug` and `Display` never show its value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for sending it to Dropbox or encrypting it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

/// What Dropbox granted a data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    /// Present for offline access; Dropbox keeps it across refreshes.
    pub refresh_token: Option<Secret>,
    /// When the access token stops working; `None` for legacy long-lived tokens.
    pub expires_at: Option<OffsetDateTime>,
    pub account_id: Option<String>,
    /// Space-separated scopes, when Dropbox reports them.
    pub scope: Option<String>,
}

impl TokenSet {
    /// Whether the access token expires within `margin` from now.
    pub fn expires_within(&self, margin: std::time::Duration) -> bool {
        match self.expires_at {
            None => false,
            Some(at) => at - OffsetDateTime::now_utc() <= margin,
        }
    }
}

/// Why the token store failed (a database or decryption problem on the caller's side).
#[derive(Debug, thiserror::Error)]
#[error("token store: {0}")]
pub struct TokenStoreError(pub String);

impl TokenStoreError {
    pub fn new(msg: impl fmt::Display) -> Self {
        Self(msg.to_string())
    }
}

/// Where one data source's tokens live. The client loads them once, saves them after every refresh,
/// and reports when Dropbox refused the refresh token so the caller can ask the user to reconnect.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn load(&self) -> Result<TokenSet, TokenStoreError>;
    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError>;
    /// Dropbox refused the refresh token (revoked or invalid): the data source must be re-authorized.
    async fn reauthorization_required(&self, _reason: &str) -> Result<(), TokenStoreError> {
        Ok(())
    }
}

/// A `TokenStore` in memory: for tests, the benchmark and the sandbox.
pub struct MemoryTokenStore {
    tokens: Mutex<TokenSet>,
    saves: Mutex<u32>,
    reauth: Mutex<Option<String>>,
}

impl MemoryTokenStore {
    pub fn new(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(tokens),
            saves: Mutex::new(0),
            reauth: Mutex::new(None),
        }
    }

    pub fn tokens(&self) -> TokenSet {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many times `save` was called.
    pub fn saves(&self) -> u32 {
        *self.saves.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reason passed to `reauthorization_required`, if it was called.
    pub fn reauthorization_reason(&self) -> Option<String> {
        self.reauth
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<TokenSet, TokenStoreError> {
        Ok(self.tokens())
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = tokens.clone();
        *self.saves.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Ok(())
    }

    async fn reauthorization_required(&self, reason: &str) -> Result<(), TokenStoreError> {
        *self.reauth.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let t = TokenSet {
            access_token: Secret::new("sl.very-secret"),
            refresh_token: Some(Secret::new("refresh-secret")),
            expires_at: None,
            account_id: Some("dbid:x".into()),
            scope: None,
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("refresh-secret"));
        assert!(shown.contains("dbid:x"));
    }
}
