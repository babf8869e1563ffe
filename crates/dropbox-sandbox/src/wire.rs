//! How errors look on the wire. Dropbox answers:
//! - 400 `text/plain`: `Error in call to API function "<route>": <message>` for malformed requests;
//! - 401 JSON `{"error_summary": "invalid_access_token/..", "error": {".tag": "invalid_access_token"}}`,
//!   or with the error `{".tag": "missing_scope", "required_scope": "files.content.write"}` for a token
//!   without the route's scope;
//! - 409 JSON route errors `{"error_summary": "path/not_found/..", "error": {...union...}}`;
//! - 422 JSON path-root errors; 429 JSON with `Retry-After`; 5xx plain text.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Everything a route can fail with.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400 with `Error in call to API function "<route>": <message>`.
    BadRequest(String),
    /// 401 with an `auth.AuthError` union tag (`invalid_access_token`, `expired_access_token`, …).
    Auth(&'static str),
    /// 401 `missing_scope`: the token lacks the scope the route needs.
    MissingScope(&'static str),
    /// 409 with the route's error union.
    Route(Value),
    /// 422 with a `common.PathRootError` union.
    PathRoot(Value),
    /// Any other status with a plain-text body (404 unknown route, 5xx faults, 413 …).
    Status(StatusCode, String),
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    pub fn internal(msg: impl std::fmt::Display) -> Self {
        ApiError::Status(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Internal server error: {msg}"),
        )
    }

    /// Renders the error as the response for `route` (e.g. `files/list_folder`).
    pub fn into_response_for(self, route: &str) -> Response {
        match self {
            ApiError::BadRequest(msg) => text(
                StatusCode::BAD_REQUEST,
                format!("Error in call to API function \"{route}\": {msg}"),
            ),
            ApiError::Auth(tag) => json_error(StatusCode::UNAUTHORIZED, json!({".tag": tag})),
            ApiError::MissingScope(scope) => json_error(
                StatusCode::UNAUTHORIZED,
                json!({".tag": "missing_scope", "required_scope": scope}),
            ),
            ApiError::Route(err) => json_error(StatusCode::CONFLICT, err),
            ApiError::PathRoot(err) => json_error(StatusCode::UNPROCESSABLE_ENTITY, err),
            ApiError::Status(code, msg) => text(code, msg),
        }
    }
}

/// The `error_summary` Dropbox derives from an error union: its chain of tags, then `/..`.
pub fn error_summary(err: &Value) -> String {
    let mut parts = Vec::new();
    let mut cur = err;
    // A struct with subtypes (`Metadata`, `SharedLinkMetadata`) carries a `.tag` too, but it names the
    // subtype, not a variant: the summary stops before it.
    let is_union = |v: &Value| v.get(".tag").is_some() && v.get("name").is_none();
    while let Some(tag) = cur.get(".tag").and_then(Value::as_str) {
        parts.push(tag.to_string());
        match cur.get(tag) {
            Some(next) if is_union(next) => cur = next,
            // A struct-valued variant (e.g. UploadWriteFailed) carries its union in `reason`.
            _ => match cur.get("reason") {
                Some(next) if next.get(".tag").is_some() => cur = next,
                _ => break,
            },
        }
    }
    if parts.is_empty() {
        "other/..".to_string()
    } else {
        format!("{}/..", parts.join("/"))
    }
}

fn json_error(status: StatusCode, err: Value) -> Response {
    let body = json!({"error_summary": error_summary(&err), "error": err});
    json_response(status, &body)
}

/// A 429 exactly as Dropbox sends it.
pub fn rate_limited(retry_after: u64) -> Response {
    let body = json!({
        "error_summary": "too_many_requests/..",
        "error": {"reason": {".tag": "too_many_requests"}, "retry_after": retry_after},
    });
    let mut resp = json_response(StatusCode::TOO_MANY_REQUESTS, &body);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    resp
}

/// A JSON response (`application/json`).
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A plain-text response.
pub fn text(status: StatusCode, msg: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

/// `{".tag": tag}`.
pub fn tag(tag: &str) -> Value {
    json!({".tag": tag})
}

/// `{".tag": outer, outer: inner}` — a union variant carrying another union.
pub fn nest(outer: &str, inner: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(".tag".into(), Value::String(outer.into()));
    m.insert(outer.into(), inner);
    Value::Object(m)
}

/// A 409 whose error is `{".tag": outer, outer: inner}`.
pub fn route_err(outer: &str, inner: Value) -> ApiError {
    ApiError::Route(nest(outer, inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_follows_nested_tags() {
        let err = nest("path", nest("conflict", tag("file")));
        assert_eq!(error_summary(&err), "path/conflict/file/..");
    }

    #[test]
    fn summary_follows_struct_variant_reason() {
        let err = json!({".tag": "path", "reason": nest("conflict", tag("folder")), "upload_session_id": "x"});
        assert_eq!(error_summary(&err), "path/conflict/folder/..");
    }

    #[test]
    fn summary_stops_before_metadata() {
        let meta = json!({".tag": "file", "name": "a.txt", "url": "https://x/s/a"});
        let err = nest("shared_link_already_exists", nest("metadata", meta));
        assert_eq!(
            error_summary(&err),
            "shared_link_already_exists/metadata/.."
        );
    }

    #[test]
    fn summary_stops_at_struct_fields() {
        let err = json!({".tag": "incorrect_offset", "correct_offset": 5});
        assert_eq!(error_summary(&err), "incorrect_offset/..");
    }
}
