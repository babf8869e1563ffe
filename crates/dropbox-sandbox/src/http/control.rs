//! The control API over HTTP (`/__sandbox/…`), enabled by `SandboxConfig::control_api`. Thin wrappers over
//! the Rust methods in `state::control`.

use crate::config::{AccountSpec, AppSpec, TokenSpec};
use crate::state::Sandbox;
use crate::state::observe::FaultSpec;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

type Sb = State<Arc<Sandbox>>;

pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/__sandbox/apps", get(list_apps).post(create_app))
        .route(
            "/__sandbox/accounts",
            get(list_accounts).post(create_account),
        )
        .route("/__sandbox/tokens", post(issue_token))
        .route("/__sandbox/tokens/expire", post(expire_token))
        .route("/__sandbox/tokens/revoke", post(revoke_token))
        .route("/__sandbox/files", post(seed))
        .route("/__sandbox/faults", post(add_fault).delete(clear_faults))
        .route("/__sandbox/requests", get(requests).delete(clear_requests))
        .route("/__sandbox/reset_cursors", post(reset_cursors))
}

fn refuse(msg: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": msg.to_string()})),
    )
        .into_response()
}

async fn list_apps(State(sb): Sb) -> Json<Value> {
    Json(json!(sb.apps()))
}

async fn create_app(State(sb): Sb, Json(spec): Json<AppSpec>) -> Json<Value> {
    Json(json!(sb.create_app(spec)))
}

async fn list_accounts(State(sb): Sb) -> Json<Value> {
    Json(json!(sb.accounts()))
}

async fn create_account(State(sb): Sb, Json(spec): Json<AccountSpec>) -> Json<Value> {
    Json(json!(sb.create_account(spec)))
}

async fn issue_token(State(sb): Sb, Json(spec): Json<TokenSpec>) -> Response {
    match sb.issue_token(spec) {
        Ok(t) => Json(json!(t)).into_response(),
        Err(e) => refuse(e),
    }
}

#[derive(Deserialize)]
struct TokenArg {
    token: String,
}

async fn expire_token(State(sb): Sb, Json(a): Json<TokenArg>) -> Json<Value> {
    Json(json!({"found": sb.expire_token(&a.token)}))
}

async fn revoke_token(State(sb): Sb, Json(a): Json<TokenArg>) -> Json<Value> {
    Json(json!({"found": sb.revoke_token(&a.token)}))
}

#[derive(Deserialize)]
struct SeedArg {
    account_id: String,
    path: String,
    #[serde(default)]
    folder: bool,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
}

async fn seed(State(sb): Sb, Json(a): Json<SeedArg>) -> Response {
    let result = if a.folder {
        sb.seed_folder(&a.account_id, &a.path)
    } else {
        let bytes = match (&a.content, &a.content_base64) {
            (_, Some(b64)) => match base64::engine::general_purpose::STANDARD.decode(b64) {
                Ok(b) => b,
                Err(e) => return refuse(e),
            },
            (Some(text), None) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        sb.seed_file(&a.account_id, &a.path, &bytes).await
    };
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => refuse(e),
    }
}

async fn add_fault(State(sb): Sb, Json(f): Json<FaultSpec>) -> Json<Value> {
    sb.add_fault(f);
    Json(json!({}))
}

async fn clear_faults(State(sb): Sb) -> Json<Value> {
    sb.clear_faults();
    Json(json!({}))
}

async fn requests(State(sb): Sb) -> Json<Value> {
    Json(json!(sb.requests()))
}

async fn clear_requests(State(sb): Sb) -> Json<Value> {
    sb.clear_requests();
    Json(json!({}))
}

#[derive(Deserialize)]
struct AccountArg {
    account_id: String,
}

async fn reset_cursors(State(sb): Sb, Json(a): Json<AccountArg>) -> Response {
    match sb.reset_cursors(&a.account_id) {
        Ok(()) => Json(json!({})).into_response(),
        Err(e) => refuse(e),
    }
}
