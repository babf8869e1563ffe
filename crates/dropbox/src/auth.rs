//! Access tokens per data source: loaded once from the caller's `TokenStore`, refreshed before they expire
//! and after a 401, with one refresh in flight per data source — everyone else waits on the slot's lock and
//! reuses the result. The refresh runs in a task of its own that holds the lock, so a caller dropped
//! mid-refresh (a cancelled request) neither aborts it nor makes the next waiter start another.

use crate::error::DropboxError;
use crate::oauth::OAuthClient;
use crate::token::{Secret, TokenSet, TokenStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
struct SlotState {
    tokens: Option<TokenSet>,
    /// The refresh token Dropbox refused, and why: fail fast until the store holds a different one.
    refused: Option<(Secret, String)>,
}

/// The shared state of one data source (key).
#[derive(Default)]
pub(crate) struct Slot {
    state: Arc<tokio::sync::Mutex<SlotState>>,
}

/// Slots by key; weak so a data source nobody uses any more is forgotten.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Mutex<HashMap<String, Weak<Slot>>>,
}

impl Registry {
    pub fn slot(&self, key: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slots.get(key).and_then(Weak::upgrade) {
            return s;
        }
        slots.retain(|_, w| w.strong_count() > 0);
        let s = Arc::new(Slot::default());
        slots.insert(key.to_string(), Arc::downgrade(&s));
        s
    }

    /// Drops cached tokens so the next call reloads them (after re-authorization, for instance).
    pub async fn invalidate(&self, key: &str) {
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.get(key).and_then(Weak::upgrade)
        };
        if let Some(slot) = slot {
            *slot.state.lock().await = SlotState::default();
        }
    }
}

/// Hands out valid access tokens for one data source.
#[derive(Clone)]
pub(crate) struct TokenManager {
    pub slot: Arc<Slot>,
    pub store: Arc<dyn TokenStore>,
    pub oauth: Option<OAuthClient>,
    pub margin: Duration,
}

impl TokenManager {
    /// A token valid for at least the refresh margin (refreshing first if needed).
    pub async fn current(&self) -> Result<Arc<String>, DropboxError> {
        let mut st = self.lock().await;
        let tokens = self.loaded(&mut st).await?;
        if tokens.expires_within(self.margin) {
            st = self.refresh(st).await?;
        }
        Self::access(&st)
    }

    /// Called after Dropbox answered 401 to `failed`: refresh unless someone already did.
    pub async fn after_unauthorized(&self, failed: &str) -> Result<Arc<String>, DropboxError> {
        let mut st = self.lock().await;
        let tokens = self.loaded(&mut st).await?;
        if tokens.access_token.expose() == failed {
            // The store may hold newer tokens (re-authorized elsewhere) before we spend a refresh.
            let stored = self.store.load().await?;
            if stored.access_token.expose() != failed {
                st.tokens = Some(stored);
            } else {
                st = self.refresh(st).await?;
            }
        }
        Self::access(&st)
    }

    async fn lock(&self) -> OwnedMutexGuard<SlotState> {
        self.slot.state.clone().lock_owned().await
    }

    /// Refreshes in a spawned task that takes the lock along: if this caller is dropped, the task
    /// still finishes (and saves) the refresh, and the callers queued on the lock then find its tokens.
    async fn refresh(
        &self,
        mut st: OwnedMutexGuard<SlotState>,
    ) -> Result<OwnedMutexGuard<SlotState>, DropboxError> {
        let me = self.clone();
        tokio::spawn(async move { me.refresh_locked(&mut st).await.map(|()| st) })
            .await
            .map_err(|e| DropboxError::Unexpected(format!("token refresh task: {e}")))?
    }

    fn access(st: &SlotState) -> Result<Arc<String>, DropboxError> {
        st.tokens
            .as_ref()
            .map(|t| Arc::new(t.access_token.expose().to_string()))
            .ok_or_else(|| DropboxError::Unexpected("tokens vanished".into()))
    }

    async fn loaded(&self, st: &mut SlotState) -> Result<TokenSet, DropboxError> {
        if let Some(t) = &st.tokens {
            return Ok(t.clone());
        }
        let t = self.store.load().await?;
        st.tokens = Some(t.clone());
        Ok(t)
    }

    async fn refresh_locked(&self, st: &mut SlotState) -> Result<(), DropboxError> {
        let Some(tokens) = st.tokens.clone() else {
            return Err(DropboxError::Unexpected("no tokens loaded".into()));
        };
        let Some(refresh) = tokens.refresh_token.clone() else {
            return self
                .refused(
                    st,
                    None,
                    "the access token expired and there is no refresh token",
                )
                .await;
        };
        if let Some((bad, why)) = &st.refused
            && *bad == refresh
        {
            // Refused before: only a re-authorization (new tokens in the store) helps.
            let stored = self.store.load().await?;
            if stored.refresh_token.as_ref() != Some(&refresh) {
                st.tokens = Some(stored);
                st.refused = None;
                return Ok(());
            }
            return Err(DropboxError::ReauthorizationRequired(why.clone()));
        }
        let Some(oauth) = &self.oauth else {
            return self
                .refused(st, None, "no Dropbox app is configured to refresh tokens")
                .await;
        };
        match oauth.refresh(&refresh).await {
            Ok(mut new) => {
                // Dropbox omits these on refresh; keep what we knew.
                new.account_id = new.account_id.or(tokens.account_id);
                new.scope = new.scope.or(tokens.scope);
                self.store.save(&new).await?;
                tracing::debug!("dropbox: refreshed access token");
                st.tokens = Some(new);
                st.refused = None;
                Ok(())
            }
            Err(DropboxError::ReauthorizationRequired(why)) => {
                self.refused(st, Some(refresh), &why).await
            }
            Err(e) => Err(e),
        }
    }

    async fn refused(
        &self,
        st: &mut SlotState,
        refresh: Option<Secret>,
        why: &str,
    ) -> Result<(), DropboxError> {
        tracing::warn!("dropbox: reauthorization required: {why}");
        if let Some(r) = refresh {
            st.refused = Some((r, why.to_string()));
        }
        self.store.reauthorization_required(why).await?;
        Err(DropboxError::ReauthorizationRequired(why.to_string()))
    }
}
