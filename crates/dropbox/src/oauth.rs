//! OAuth 2 for Dropbox: authorization code with PKCE (S256), offline access, refresh, revoke.
//! `oauth2` builds and parses the token requests; a small closure sends them over our reqwest client.

use crate::endpoints::DropboxEndpoints;
use crate::error::DropboxError;
use crate::retry::RetryPolicy;
use crate::token::{Secret, TokenSet};
use crate::transport::{Conn, Transport};
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

/// A Dropbox app as registered in the App Console.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    pub app_key: String,
    /// Optional with PKCE; when set it is sent with HTTP Basic auth.
    pub app_secret: Option<Secret>,
    /// Exact redirect URI registered for the app (Wharf: `{public_url}/oauth/dropbox/callback`).
    pub redirect_uri: String,
}

/// Fields Dropbox adds to its token responses.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DropboxTokenFields {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub uid: Option<String>,
}

impl ExtraTokenFields for DropboxTokenFields {}

type TokenResp = StandardTokenResponse<DropboxTokenFields, BasicTokenType>;
type Oauth2Client = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why the token endpoint could not be used; status errors are kept so they can be retried.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OAuthHttpError {
    #[error("token endpoint unreachable: {0}")]
    Reqwest(#[from] reqwest::Error),
    #[error("token endpoint answered HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("building the token response: {0}")]
    Http(#[from] http::Error),
}

/// Talks to Dropbox's OAuth endpoints for one app.
#[derive(Clone)]
pub struct OAuthClient {
    client: Arc<Oauth2Client>,
    transport: Arc<Transport>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", self.client.client_id())
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    pub(crate) fn new(
        app: &OAuthApp,
        endpoints: &DropboxEndpoints,
        transport: Arc<Transport>,
        retry: RetryPolicy,
    ) -> Result<Self, DropboxError> {
        let bad = |what: &str, e: url::ParseError| DropboxError::BadRequest(format!("{what}: {e}"));
        let mut client = oauth2::Client::new(ClientId::new(app.app_key.clone()))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorize.clone()))
            .set_token_uri(TokenUrl::from_url(endpoints.token.clone()))
            .set_redirect_uri(
                RedirectUrl::new(app.redirect_uri.clone()).map_err(|e| bad("redirect_uri", e))?,
            );
        if let Some(secret) = &app.app_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
        }
        Ok(Self {
            client: Arc::new(client),
            transport,
            retry,
        })
    }

    /// Where to send the user's browser, and the PKCE verifier to keep (server-side) for the exchange.
    pub fn authorize_url(&self, state: &str) -> (Url, Secret) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_string();
        let (url, _) = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .set_pkce_challenge(challenge)
            .add_extra_param("token_access_type", "offline")
            .url();
        (url, Secret::new(verifier.secret().clone()))
    }

    /// Exchanges the code from the redirect for tokens. A code Dropbox does not accept (wrong PKCE
    /// verifier, used before, expired) is `AuthorizationFailed`.
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenSet, DropboxError> {
        let http = self.http_fn();
        let resp = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.expose().to_string()))
            .request_async(&http)
            .await
            .map_err(|e| token_error(e, DropboxError::AuthorizationFailed))?;
        Ok(token_set(&resp, None))
    }

    /// Gets a new access token. Dropbox sends no new refresh token, so the old one is kept.
    /// 429, 5xx and connection failures are retried; a refusal is `ReauthorizationRequired`.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, DropboxError> {
        let http = self.http_fn();
        let rt = RefreshToken::new(refresh_token.expose().to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .exchange_refresh_token(&rt)
                .request_async(&http)
                .await;
            match result {
                Ok(resp) => return Ok(token_set(&resp, Some(refresh_token))),
                Err(RequestTokenError::Request(e)) => {
                    let wait = match &e {
                        OAuthHttpError::Status { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    match self.retry.next_delay(attempt, wait) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => {
                            return Err(DropboxError::Transient {
                                attempts: attempt,
                                detail: e.to_string(),
                            });
                        }
                    }
                }
                Err(e) => return Err(token_error(e, DropboxError::ReauthorizationRequired)),
            }
        }
    }

    /// Revokes the access token and, with it, the whole grant (its refresh token too).
    pub async fn revoke(&self, access_token: &Secret) -> Result<(), DropboxError> {
        let conn = Conn::new(
            self.transport.clone(),
            Some(Arc::new(access_token.expose().to_string())),
            None,
        );
        match dropbox_sdk::auth::token_revoke(&conn).await {
            Ok(()) => Ok(()),
            // Already invalid: there is nothing left to revoke.
            Err(dropbox_sdk::Error::Authentication(_)) => Ok(()),
            Err(e) => Err(crate::call::map_sdk_error(e)),
        }
    }

    /// The async HTTP function `oauth2` calls, over the hub's reqwest client.
    fn http_fn(
        &self,
    ) -> impl Fn(
        oauth2::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, OAuthHttpError>> + Send>,
    > {
        let client = self.transport.http.clone();
        move |req: oauth2::HttpRequest| {
            let client = client.clone();
            Box::pin(async move {
                let (parts, body) = req.into_parts();
                let resp = client
                    .request(parts.method, parts.uri.to_string())
                    .headers(parts.headers)
                    .body(body)
                    .send()
                    .await?;
                let status = resp.status();
                if status.as_u16() == 429 || status.is_server_error() {
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    return Err(OAuthHttpError::Status {
                        status: status.as_u16(),
                        retry_after,
                    });
                }
                let mut builder = http::Response::builder().status(status);
                for (k, v) in resp.headers() {
                    builder = builder.header(k, v);
                }
                let bytes = resp.bytes().await?;
                Ok(builder.body(bytes.to_vec())?)
            })
        }
    }
}

fn token_set(resp: &TokenResp, old_refresh: Option<&Secret>) -> TokenSet {
    let expires_at = resp.expires_in().map(|d| OffsetDateTime::now_utc() + d);
    TokenSet {
        access_token: Secret::new(resp.access_token().secret().clone()),
        refresh_token: resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().clone()))
            .or_else(|| old_refresh.cloned()),
        expires_at,
        account_id: resp.extra_fields().account_id.clone(),
        scope: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
    }
}

/// Maps a token-endpoint failure; `refused` names what an `invalid_grant` (the code or the refresh
/// token was not accepted) means for the request at hand.
fn token_error(
    e: RequestTokenError<OAuthHttpError, BasicErrorResponse>,
    refused: fn(String) -> DropboxError,
) -> DropboxError {
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            BasicErrorResponseType::InvalidGrant => refused(format!(
                "invalid_grant: {}",
                r.error_description().map(String::as_str).unwrap_or("")
            )),
            other => DropboxError::BadRequest(format!(
                "token endpoint: {other}: {}",
                r.error_description().map(String::as_str).unwrap_or("")
            )),
        },
        RequestTokenError::Request(e) => DropboxError::Transient {
            attempts: 1,
            detail: e.to_string(),
        },
        RequestTokenError::Parse(e, _) => DropboxError::Unexpected(format!("token response: {e}")),
        RequestTokenError::Other(e) => DropboxError::Unexpected(format!("token response: {e}")),
    }
}
