//! Scripted faults and the request log, both used by the test-facing control API.

use serde::{Deserialize, Serialize};

/// What a fault does to a matching request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer 429 `too_many_requests` with `Retry-After: retry_after`.
    RateLimit { retry_after: u64 },
    /// Answer this status (500, 503, …) with a plain-text body, and `Retry-After` when given.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Wait before handling the request normally.
    Delay { millis: u64 },
    /// Handle the request, then cut the connection after `after_bytes` bytes of the response body.
    ResetMidBody { after_bytes: u64 },
    /// Expire the request's bearer token, then handle it (so it gets `expired_access_token`, or `other`
    /// on the content host).
    ExpireToken,
    /// Revoke the request's bearer token, then handle it (so it gets `invalid_access_token`).
    RevokeToken,
    /// Answer 409 with the route error `{".tag": tag}`, e.g. `reset` for a listing cursor.
    RouteError { tag: String },
}

/// A fault applied to the next `times` requests of `route`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultSpec {
    /// Route such as `files/upload`, `/2/files/upload`, `oauth2/token`, or `*` for every request.
    pub route: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    pub fn new(route: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            route: normalize_route(&route.into()),
            kind,
            times: 1,
        }
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    pub fn matches(&self, route: &str) -> bool {
        self.route == "*" || normalize_route(&self.route) == route
    }
}

/// `/2/files/upload` → `files/upload`; `/oauth2/token` → `oauth2/token`.
pub fn normalize_route(path: &str) -> String {
    let p = path.trim_start_matches('/');
    p.strip_prefix("2/").unwrap_or(p).to_string()
}

/// One handled request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// Route as in [`normalize_route`].
    pub route: String,
    pub status: u16,
    /// [`crate::token_id`] of the bearer token used, if any.
    pub token_id: Option<String>,
    pub account_id: Option<String>,
    /// The fault applied, if any.
    pub fault: Option<FaultKind>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_spec_parses_from_flat_json() {
        let f: FaultSpec = serde_json::from_str(
            r#"{"route":"/2/files/upload","kind":"rate_limit","retry_after":3}"#,
        )
        .unwrap();
        assert_eq!(f.kind, FaultKind::RateLimit { retry_after: 3 });
        assert_eq!(f.times, 1);
        assert!(f.matches("files/upload"));
        assert!(!f.matches("files/download"));
    }
}
