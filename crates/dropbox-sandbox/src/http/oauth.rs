//! OAuth 2: the `/oauth2/authorize` page a person can click through (sign in as a sandbox account, see the
//! scopes asked for, Allow / Cancel) and `/oauth2/token` (authorization_code with PKCE or client secret,
//! refresh_token, optionally narrowed to fewer scopes). Dropbox still serves both under `/1/` too.

use super::html::{esc, page};
use crate::scopes;
use crate::state::Sandbox;
use crate::state::auth::{AuthCode, RefreshError};
use crate::util::now_millis;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Request parameters, first occurrence of a key winning (duplicates are tolerated).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(parts: &[&[u8]]) -> Self {
        Params(
            parts
                .iter()
                .flat_map(|p| form_urlencoded::parse(p).into_owned().collect::<Vec<_>>())
                .collect(),
        )
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, v)| key == k && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

fn error_page(msg: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Error",
        &format!("<p>{}</p>", esc(msg)),
    )
}

/// Validated authorize request.
struct AuthorizeRequest {
    app_name: String,
    client_id: String,
    redirect_uri: Option<String>,
    state: Option<String>,
    pkce: Option<(String, String)>,
    offline: bool,
    /// The scopes asked for (the app's, when none were named).
    scopes: Vec<String>,
    /// `include_granted_scopes=user`: add what the account already allowed the app.
    include_granted: bool,
}

fn validate(sb: &Sandbox, p: &Params) -> Result<AuthorizeRequest, String> {
    let client_id = p.get("client_id").ok_or("Missing client_id.")?;
    let app = sb
        .read()
        .auth
        .apps
        .get(client_id)
        .cloned()
        .ok_or_else(|| format!("Invalid client_id: \"{client_id}\"."))?;
    match p.get("response_type") {
        Some("code") => {}
        Some(other) => {
            return Err(format!(
                "Unsupported response_type: \"{other}\". Use \"code\"."
            ));
        }
        None => return Err("Missing response_type.".into()),
    }
    let redirect_uri = p.get("redirect_uri").map(String::from);
    if let Some(uri) = &redirect_uri
        && !app.redirect_uris.iter().any(|r| r == uri)
    {
        return Err(format!(
            "Invalid redirect_uri: \"{uri}\". It must exactly match one of the redirect URIs registered for the app."
        ));
    }
    let pkce = match p.get("code_challenge") {
        None => None,
        Some(ch) => {
            if !(43..=128).contains(&ch.len()) {
                return Err("Invalid code_challenge: it must be 43 to 128 characters long.".into());
            }
            let method = p.get("code_challenge_method").unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return Err(format!("Invalid code_challenge_method: \"{method}\"."));
            }
            Some((method.to_string(), ch.to_string()))
        }
    };
    let offline = match p.get("token_access_type") {
        None | Some("online") | Some("legacy") => false,
        Some("offline") => true,
        Some(other) => return Err(format!("Invalid token_access_type: \"{other}\".")),
    };
    let scopes = match p.get("scope") {
        None => app.scopes.clone(),
        Some(raw) => scopes::parse(raw),
    };
    let foreign = scopes::outside(&scopes, &app.scopes);
    if !foreign.is_empty() {
        return Err(format!(
            "Invalid scope: \"{}\". The app does not have this permission.",
            foreign.join(" ")
        ));
    }
    let include_granted = match p.get("include_granted_scopes") {
        None => false,
        Some("user") if p.get("scope").is_some() => true,
        Some("user") => return Err("include_granted_scopes needs scope.".into()),
        Some(other) => {
            return Err(format!(
                "Invalid include_granted_scopes: \"{other}\". Use \"user\"."
            ));
        }
    };
    Ok(AuthorizeRequest {
        app_name: app.name,
        client_id: client_id.to_string(),
        redirect_uri,
        state: p.get("state").map(String::from),
        pkce,
        offline,
        scopes,
        include_granted,
    })
}

const FORWARDED: [&str; 9] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "token_access_type",
    "scope",
    "include_granted_scopes",
];

pub async fn authorize_page(State(sb): State<Arc<Sandbox>>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let p = Params::parse(&[q.as_bytes()]);
    let req = match validate(&sb, &p) {
        Ok(r) => r,
        Err(msg) => return error_page(&msg),
    };
    let hidden: String = FORWARDED
        .iter()
        .filter_map(|k| {
            p.get(k)
                .map(|v| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
        })
        .collect();
    let accounts: String = sb
        .read()
        .auth
        .accounts
        .values()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "<label><input type=\"radio\" name=\"account_id\" value=\"{}\"{}> {} &lt;{}&gt;</label>",
                esc(&a.account_id),
                if i == 0 { " checked" } else { "" },
                esc(&a.display_name()),
                esc(&a.email)
            )
        })
        .collect();
    let asked: String = req
        .scopes
        .iter()
        .map(|s| {
            format!(
                "<li data-scope=\"{}\">{} <code>{}</code></li>",
                esc(s),
                esc(scopes::describe(s)),
                esc(s)
            )
        })
        .collect();
    let also = if req.include_granted {
        "<p>and keep what you allowed it before.</p>"
    } else {
        ""
    };
    let body = format!(
        "<p><strong>{app}</strong> would like to:</p><ul class=\"scopes\">{asked}</ul>{also}\
<form method=\"post\" action=\"/oauth2/authorize\">{hidden}<fieldset><legend>Sign in as</legend>{accounts}</fieldset>\
<p><button class=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></p></form>",
        app = esc(&req.app_name)
    );
    page(StatusCode::OK, &format!("Connect {}", req.app_name), &body)
}

fn redirect<V: AsRef<str>>(uri: &str, params: &[(&str, V)]) -> Response {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v.as_ref());
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    let location = format!("{uri}{sep}{}", ser.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

pub async fn authorize_decision(State(sb): State<Arc<Sandbox>>, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return error_page("Request too large.");
    };
    let p = Params::parse(&[&bytes]);
    let req = match validate(&sb, &p) {
        Ok(r) => r,
        Err(msg) => return error_page(&msg),
    };
    let state = req.state.clone().unwrap_or_default();
    let with_state = |mut v: Vec<(&'static str, String)>| {
        if req.state.is_some() {
            v.push(("state", state.clone()));
        }
        v
    };
    if p.get("decision") != Some("allow") {
        let params = with_state(vec![
            ("error", "access_denied".into()),
            (
                "error_description",
                "The user chose not to give your app access to their Dropbox account.".into(),
            ),
        ]);
        return match &req.redirect_uri {
            Some(uri) => redirect(uri, &params),
            None => page(
                StatusCode::OK,
                "Access denied",
                "<p>You chose not to connect the app.</p>",
            ),
        };
    }
    let Some(account_id) = p
        .get("account_id")
        .filter(|id| sb.read().auth.accounts.contains_key(*id))
    else {
        return error_page("Choose a sandbox account to sign in as.");
    };
    let ttl = sb.config.auth_code_ttl.as_millis() as i64;
    let code = sb.mutate(|s| {
        let mut granted = req.scopes.clone();
        if req.include_granted {
            for g in s.auth.granted_scopes(&req.client_id, account_id) {
                if !granted.contains(&g) {
                    granted.push(g);
                }
            }
        }
        s.auth.new_code(AuthCode {
            app_key: req.client_id.clone(),
            account_id: account_id.to_string(),
            redirect_uri: req.redirect_uri.clone(),
            pkce: req.pkce.clone(),
            offline: req.offline,
            expires_at_ms: now_millis() + ttl,
            scopes: granted,
        })
    });
    match &req.redirect_uri {
        Some(uri) => redirect(uri, &with_state(vec![("code", code)])),
        None => page(
            StatusCode::OK,
            "Access code",
            &format!(
                "<p>Enter this code into {}:</p><p><code id=\"code\">{}</code></p>",
                esc(&req.app_name),
                esc(&code)
            ),
        ),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn bad(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, description)
}

/// Client credentials from HTTP Basic auth or the parameters.
fn client_credentials(
    headers: &HeaderMap,
    p: &Params,
) -> Result<(Option<String>, Option<String>), &'static str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(b64) = v.strip_prefix("Basic ")
    {
        let decoded = STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or("Invalid Basic authorization header.")?;
        let (id, secret) = decoded.split_once(':').unwrap_or((&decoded, ""));
        return Ok((
            Some(id.to_string()),
            Some(secret.to_string()).filter(|s| !s.is_empty()),
        ));
    }
    Ok((
        p.get("client_id").map(String::from),
        p.get("client_secret").map(String::from),
    ))
}

pub async fn token(
    State(sb): State<Arc<Sandbox>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return bad("invalid_request", "Request body too large.");
    };
    let q = q.unwrap_or_default();
    let p = Params::parse(&[&bytes, q.as_bytes()]);
    let (client_id, secret) = match client_credentials(&headers, &p) {
        Ok(c) => c,
        Err(msg) => return bad("invalid_client", msg),
    };
    let Some(client_id) = client_id else {
        return bad(
            "invalid_request",
            "No auth function available for given request",
        );
    };
    let Some(app) = sb.read().auth.apps.get(&client_id).cloned() else {
        return bad("invalid_client", "Invalid client_id or client_secret");
    };
    if secret.as_ref().is_some_and(|s| *s != app.secret) {
        return bad("invalid_client", "Invalid client_id or client_secret");
    }
    let ttl = sb.access_ttl_secs();
    match p.get("grant_type") {
        Some("authorization_code") => exchange_code(&sb, &p, &app.key, secret.is_some(), ttl),
        Some("refresh_token") => {
            let Some(refresh) = p.get("refresh_token") else {
                return bad("invalid_request", "No refresh_token given.");
            };
            let narrowed = p.get("scope").map(scopes::parse);
            match sb.mutate(|s| s.auth.refresh(refresh, &app.key, ttl, narrowed.clone())) {
                Ok((access, granted)) => {
                    let mut v =
                        json!({"access_token": access, "token_type": "bearer", "expires_in": ttl});
                    if narrowed.is_some() {
                        v["scope"] = json!(scopes::join(&granted));
                    }
                    ok(v)
                }
                Err(RefreshError::InvalidGrant) => {
                    bad("invalid_grant", "refresh token is invalid or revoked")
                }
                Err(RefreshError::InvalidScope) => bad(
                    "invalid_scope",
                    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner.",
                ),
            }
        }
        Some(other) => bad(
            "unsupported_grant_type",
            &format!("Unsupported grant_type: {other}"),
        ),
        None => bad("invalid_request", "No grant_type given."),
    }
}

fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn exchange_code(sb: &Sandbox, p: &Params, app_key: &str, has_secret: bool, ttl: i64) -> Response {
    let Some(code_value) = p.get("code") else {
        return bad("invalid_request", "No code given.");
    };
    // Codes are one-time: whatever happens next, this one is used up.
    let Some(code) = sb.mutate(|s| s.auth.codes.remove(code_value)) else {
        return bad("invalid_grant", "code doesn't exist or has expired");
    };
    if now_millis() >= code.expires_at_ms || code.app_key != app_key {
        return bad("invalid_grant", "code doesn't exist or has expired");
    }
    if code.redirect_uri.as_deref() != p.get("redirect_uri") {
        return bad("invalid_grant", "redirect_uri mismatch");
    }
    match &code.pkce {
        Some((method, challenge)) => {
            let Some(verifier) = p.get("code_verifier") else {
                return bad("invalid_grant", "invalid code verifier");
            };
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
            } else {
                verifier.to_string()
            };
            if computed != *challenge {
                return bad("invalid_grant", "invalid code verifier");
            }
        }
        None if !has_secret => return bad("invalid_client", "Invalid client_id or client_secret"),
        None => {}
    }
    let issued = sb.mutate(|s| {
        s.auth
            .issue(app_key, &code.account_id, ttl, code.offline, code.scopes)
    });
    let mut v = json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": issued.scope,
        "uid": issued.uid,
        "account_id": issued.account_id,
    });
    if let Some(r) = issued.refresh_token {
        v["refresh_token"] = json!(r);
    }
    ok(v)
}
