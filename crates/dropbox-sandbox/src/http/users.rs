//! `users/get_current_account`, `users/get_space_usage`, `check/user`, `auth/token/revoke`.

use super::call::{Args, Caller, root_info};
use crate::state::Sandbox;
use crate::wire::ApiError;
use axum::http::{HeaderMap, header};
use base64::Engine;
use serde_json::{Value, json};

pub fn current_account(c: &Caller) -> Result<Value, ApiError> {
    let a = &c.account;
    let display = a.display_name();
    let abbreviated: String = [&a.given_name, &a.surname]
        .iter()
        .filter_map(|s| s.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let mut v = json!({
        "account_id": a.account_id,
        "name": {
            "given_name": a.given_name,
            "surname": a.surname,
            "familiar_name": a.given_name,
            "display_name": display,
            "abbreviated_name": abbreviated,
        },
        "email": a.email,
        "email_verified": true,
        "disabled": a.disabled,
        "locale": "en",
        "referral_link": format!("https://www.dropbox.com/referrals/{}", &a.uid),
        "is_paired": false,
        "account_type": {".tag": a.account_type.tag()},
        "root_info": root_info(a),
        "country": "US",
    });
    if let Some((_, _, member_id)) = &a.team {
        v["team_member_id"] = json!(member_id);
    }
    Ok(v)
}

pub fn space_usage(sb: &Sandbox, c: &Caller) -> Result<Value, ApiError> {
    let used = sb.read().tree.used_bytes(&c.nsids);
    let allocation = if c.account.team.is_some() {
        json!({
            ".tag": "team",
            "used": used,
            "allocated": c.account.quota,
            "user_within_team_space_allocated": 0,
            "user_within_team_space_limit_type": {".tag": "off"},
            "user_within_team_space_used_cached": used,
        })
    } else {
        json!({".tag": "individual", "allocated": c.account.quota})
    };
    Ok(json!({"used": used, "allocation": allocation}))
}

pub fn check_user(a: &Args) -> Result<Value, ApiError> {
    let query = a.opt_str("query")?.unwrap_or_default();
    if query.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "request body: query: length exceeds 500",
        ));
    }
    Ok(json!({"result": query}))
}

pub fn revoke(sb: &Sandbox, c: &Caller) -> Result<Value, ApiError> {
    sb.mutate(|s| s.auth.revoke_grant(&c.grant_id));
    Ok(Value::Null)
}

/// App authentication (`check/app`): HTTP Basic with the app key and secret.
pub fn app_auth(sb: &Sandbox, headers: &HeaderMap) -> Result<(), ApiError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Must provide HTTP header \"Authorization\" or URL parameter \"authorization\".",
            )
        })?;
    let creds = raw
        .strip_prefix("Basic ")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|d| String::from_utf8(d).ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Invalid authorization value in HTTP header \"Authorization\": \"{raw}\".  Expecting \"Basic <base64(app_key:app_secret)>\"."
            ))
        })?;
    let (key, secret) = creds.split_once(':').unwrap_or((&creds, ""));
    match sb.read().auth.apps.get(key) {
        Some(app) if app.secret == secret => Ok(()),
        _ => Err(ApiError::Auth("invalid_access_token")),
    }
}
