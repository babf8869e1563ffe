//! Apps, accounts, grants, access/refresh tokens and authorization codes.
//!
//! A *grant* is one authorization of an app by an account (one OAuth flow or one control-API issue). It owns
//! at most one refresh token and any number of access tokens; revoking any token revokes the whole grant,
//! as `/2/auth/token/revoke` does on Dropbox.

use crate::config::{AccountSpec, AccountType, AppSpec, IssuedToken};
use crate::util::{now_millis, random_alnum, random_digits, random_id_chars};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// A sandbox account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub account_id: String,
    pub uid: String,
    pub email: String,
    pub given_name: String,
    pub surname: String,
    pub account_type: AccountType,
    pub home_nsid: String,
    pub root_nsid: String,
    /// `(team id, team name, team member id)` for team members.
    pub team: Option<(String, String, String)>,
    pub quota: u64,
    pub disabled: bool,
    /// Where a team member's home folder is mounted in the team space (`/Ann Lee`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_mount: Option<String>,
}

impl Account {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
            .trim()
            .to_string()
    }

    /// Where the member's home folder appears in the team space.
    pub fn home_path(&self) -> String {
        self.home_mount
            .clone()
            .unwrap_or_else(|| format!("/{}", self.display_name()))
    }

    /// Namespaces this account may address.
    pub fn namespaces(&self) -> Vec<String> {
        if self.home_nsid == self.root_nsid {
            vec![self.home_nsid.clone()]
        } else {
            vec![self.home_nsid.clone(), self.root_nsid.clone()]
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    pub app_key: String,
    pub account_id: String,
    pub refresh_token: Option<String>,
    pub revoked: bool,
    /// What the account allowed the app (grants saved before scopes were enforced had every scope).
    #[serde(default = "crate::scopes::all")]
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessToken {
    pub grant_id: String,
    pub expires_at_ms: i64,
    /// Fewer scopes than the grant's, when a refresh asked for fewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthCode {
    pub app_key: String,
    pub account_id: String,
    pub redirect_uri: Option<String>,
    /// `(method, challenge)` when PKCE was used.
    pub pkce: Option<(String, String)>,
    pub offline: bool,
    pub expires_at_ms: i64,
    #[serde(default = "crate::scopes::all")]
    pub scopes: Vec<String>,
}

/// What a valid bearer token resolves to.
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub grant_id: String,
    pub account_id: String,
    pub app_key: String,
    pub scopes: Vec<String>,
}

/// Why a refresh was refused (the OAuth `error` to answer with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshError {
    InvalidGrant,
    /// The refresh asked for a scope the grant does not have.
    InvalidScope,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuthState {
    pub apps: BTreeMap<String, AppSpec>,
    pub accounts: BTreeMap<String, Account>,
    /// team name → (team id, root namespace id)
    pub teams: BTreeMap<String, (String, String)>,
    pub grants: HashMap<String, Grant>,
    pub tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, String>,
    pub codes: HashMap<String, AuthCode>,
}

/// A short, non-secret identifier of a token for logs.
pub fn token_id(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..6])
}

impl AuthState {
    pub fn add_app(&mut self, mut spec: AppSpec) -> AppSpec {
        if spec.key.is_empty() {
            spec.key = random_alnum(15).to_lowercase();
        }
        if spec.secret.is_empty() {
            spec.secret = random_alnum(15).to_lowercase();
        }
        self.apps.insert(spec.key.clone(), spec.clone());
        spec
    }

    /// Creates an account; `new_namespace` is called for each namespace that must be created.
    pub fn add_account(
        &mut self,
        spec: AccountSpec,
        mut new_namespace: impl FnMut() -> String,
    ) -> Account {
        let home = new_namespace();
        let (root, team) = match &spec.team {
            Some(name) => {
                let (team_id, root) = self
                    .teams
                    .entry(name.clone())
                    .or_insert_with(|| (format!("dbtid:{}", random_id_chars(34)), new_namespace()))
                    .clone();
                let member = format!("dbmid:{}", random_id_chars(34));
                (root, Some((team_id, name.clone(), member)))
            }
            None => (home.clone(), None),
        };
        let account = Account {
            account_id: format!("dbid:{}", random_id_chars(35)),
            uid: random_digits(10),
            email: spec.email,
            given_name: spec.given_name,
            surname: spec.surname,
            account_type: spec.account_type,
            home_nsid: home,
            root_nsid: root,
            team,
            quota: spec.quota,
            disabled: false,
            home_mount: None,
        };
        self.accounts
            .insert(account.account_id.clone(), account.clone());
        account
    }

    /// Issues a new grant with `scopes` and one access token (and a refresh token when `offline`).
    pub fn issue(
        &mut self,
        app_key: &str,
        account_id: &str,
        ttl_secs: i64,
        offline: bool,
        scopes: Vec<String>,
    ) -> IssuedToken {
        let grant_id = random_alnum(16);
        let refresh = offline.then(|| random_alnum(64));
        if let Some(r) = &refresh {
            self.refresh_tokens.insert(r.clone(), grant_id.clone());
        }
        self.grants.insert(
            grant_id.clone(),
            Grant {
                app_key: app_key.to_string(),
                account_id: account_id.to_string(),
                refresh_token: refresh.clone(),
                revoked: false,
                scopes: scopes.clone(),
            },
        );
        let access = self.new_access_token(&grant_id, ttl_secs, None);
        let uid = self
            .accounts
            .get(account_id)
            .map(|a| a.uid.clone())
            .unwrap_or_default();
        IssuedToken {
            access_token: access,
            refresh_token: refresh,
            expires_in: ttl_secs,
            account_id: account_id.to_string(),
            uid,
            scope: crate::scopes::join(&scopes),
        }
    }

    fn new_access_token(
        &mut self,
        grant_id: &str,
        ttl_secs: i64,
        scopes: Option<Vec<String>>,
    ) -> String {
        let token = format!("sl.{}", random_id_chars(120));
        self.tokens.insert(
            token.clone(),
            AccessToken {
                grant_id: grant_id.to_string(),
                expires_at_ms: now_millis() + ttl_secs * 1000,
                scopes,
            },
        );
        token
    }

    /// Every scope the account has granted the app in grants still in force (`include_granted_scopes`).
    pub fn granted_scopes(&self, app_key: &str, account_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let grants = self
            .grants
            .values()
            .filter(|g| !g.revoked && g.app_key == app_key && g.account_id == account_id);
        for s in grants.flat_map(|g| g.scopes.iter()) {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }

    /// Resolves a bearer token, or the `auth.AuthError` tag to answer with.
    pub fn check(&self, token: &str) -> Result<TokenInfo, &'static str> {
        let t = self.tokens.get(token).ok_or("invalid_access_token")?;
        let g = self.grants.get(&t.grant_id).ok_or("invalid_access_token")?;
        if g.revoked {
            return Err("invalid_access_token");
        }
        let account = self
            .accounts
            .get(&g.account_id)
            .ok_or("invalid_access_token")?;
        if account.disabled {
            return Err("user_suspended");
        }
        if now_millis() >= t.expires_at_ms {
            return Err("expired_access_token");
        }
        Ok(TokenInfo {
            grant_id: t.grant_id.clone(),
            account_id: g.account_id.clone(),
            app_key: g.app_key.clone(),
            scopes: t.scopes.clone().unwrap_or_else(|| g.scopes.clone()),
        })
    }

    /// Exchanges a refresh token for a new access token of the same grant, with fewer scopes when `scopes`
    /// names a subset of the grant's. Returns the token and its scopes.
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        app_key: &str,
        ttl_secs: i64,
        scopes: Option<Vec<String>>,
    ) -> Result<(String, Vec<String>), RefreshError> {
        let grant_id = self
            .refresh_tokens
            .get(refresh_token)
            .ok_or(RefreshError::InvalidGrant)?
            .clone();
        let g = self
            .grants
            .get(&grant_id)
            .ok_or(RefreshError::InvalidGrant)?;
        if g.revoked || g.app_key != app_key {
            return Err(RefreshError::InvalidGrant);
        }
        if let Some(wanted) = &scopes
            && !crate::scopes::outside(wanted, &g.scopes).is_empty()
        {
            return Err(RefreshError::InvalidScope);
        }
        let granted = scopes.clone().unwrap_or_else(|| g.scopes.clone());
        let token = self.new_access_token(&grant_id, ttl_secs, scopes);
        Ok((token, granted))
    }

    pub fn revoke_grant(&mut self, grant_id: &str) {
        if let Some(g) = self.grants.get_mut(grant_id) {
            g.revoked = true;
        }
    }

    /// Revokes the grant of an access or refresh token; false if the token is unknown.
    pub fn revoke_token(&mut self, token: &str) -> bool {
        let grant = self
            .tokens
            .get(token)
            .map(|t| t.grant_id.clone())
            .or_else(|| self.refresh_tokens.get(token).cloned());
        match grant {
            Some(g) => {
                self.revoke_grant(&g);
                true
            }
            None => false,
        }
    }

    /// Makes an access token expired now; false if unknown.
    pub fn expire_token(&mut self, token: &str) -> bool {
        match self.tokens.get_mut(token) {
            Some(t) => {
                t.expires_at_ms = now_millis() - 1;
                true
            }
            None => false,
        }
    }

    pub fn new_code(&mut self, code: AuthCode) -> String {
        let value = random_id_chars(43);
        self.codes.insert(value.clone(), code);
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_account() -> (AuthState, String) {
        let mut s = AuthState::default();
        s.add_app(AppSpec::new("key", "secret"));
        let mut n = 0;
        let acc = s.add_account(AccountSpec::new("a@example.com"), || {
            n += 1;
            n.to_string()
        });
        (s, acc.account_id)
    }

    #[test]
    fn account_ids_are_forty_characters() {
        let (s, id) = state_with_account();
        assert_eq!(id.len(), 40);
        assert!(s.accounts[&id].team.is_none());
    }

    #[test]
    fn revoking_refresh_token_invalidates_its_access_tokens() {
        let (mut s, id) = state_with_account();
        let t = s.issue("key", &id, 100, true, crate::scopes::all());
        let refresh = t.refresh_token.clone().unwrap();
        let (second, _) = s.refresh(&refresh, "key", 100, None).unwrap();
        assert!(s.revoke_token(&refresh));
        assert_eq!(
            s.check(&t.access_token).unwrap_err(),
            "invalid_access_token"
        );
        assert_eq!(s.check(&second).unwrap_err(), "invalid_access_token");
        assert_eq!(
            s.refresh(&refresh, "key", 100, None).unwrap_err(),
            RefreshError::InvalidGrant
        );
    }

    #[test]
    fn expired_token_reports_expired() {
        let (mut s, id) = state_with_account();
        let t = s.issue("key", &id, 0, false, crate::scopes::all());
        assert_eq!(
            s.check(&t.access_token).unwrap_err(),
            "expired_access_token"
        );
    }

    #[test]
    fn a_refresh_can_narrow_the_scopes_but_not_widen_them() {
        let (mut s, id) = state_with_account();
        let scopes = vec![
            "files.metadata.read".to_string(),
            "files.content.read".into(),
        ];
        let t = s.issue("key", &id, 100, true, scopes.clone());
        assert_eq!(t.scope, "files.metadata.read files.content.read");
        let refresh = t.refresh_token.unwrap();
        let narrow = vec!["files.content.read".to_string()];
        let (token, granted) = s
            .refresh(&refresh, "key", 100, Some(narrow.clone()))
            .unwrap();
        assert_eq!(granted, narrow);
        assert_eq!(s.check(&token).unwrap().scopes, narrow);
        assert_eq!(s.check(&t.access_token).unwrap().scopes, scopes);
        let wide = Some(vec!["files.content.write".to_string()]);
        assert_eq!(
            s.refresh(&refresh, "key", 100, wide).unwrap_err(),
            RefreshError::InvalidScope
        );
    }

    #[test]
    fn team_members_share_a_root_namespace_distinct_from_home() {
        let mut s = AuthState::default();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n.to_string()
        };
        let a = s.add_account(AccountSpec::new("a@x").team_member("T"), &mut next);
        let b = s.add_account(AccountSpec::new("b@x").team_member("T"), &mut next);
        assert_ne!(a.home_nsid, a.root_nsid);
        assert_eq!(a.root_nsid, b.root_nsid);
        assert_ne!(a.home_nsid, b.home_nsid);
    }
}
