//! Who is calling, established once per request, and the page rules that follow from it: anonymous
//! visitors go to sign-in (with a same-site return path), a forced password change comes first, and an
//! area the user's roles do not allow answers 403.
use app::api::context::{RequestUser, SESSION_USER_KEY, ServerContext};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::time::Duration;
use tower_sessions::Session;
use wharf_types::Area;

pub const SIGN_IN_PATH: &str = "/sign-in";
pub const CHANGE_PASSWORD_PATH: &str = "/change-password";

/// The session key holding when the session was last extended (Unix milliseconds).
const LAST_SEEN_KEY: &str = "last_seen_ms";

#[derive(Clone, Debug)]
pub struct GuardState {
    pub ctx: ServerContext,
    /// How often a signed-in session's idle expiry is pushed forward (each push is one database write).
    pub keep_alive_every: Duration,
}

impl GuardState {
    pub fn new(ctx: ServerContext, session_idle: Duration) -> Self {
        // Often enough that an active person is never signed out, rarely enough that a busy page does not
        // write the session row on every request.
        Self {
            ctx,
            keep_alive_every: (session_idle / 4).min(Duration::from_secs(60)),
        }
    }
}

pub async fn identify_and_guard(
    State(GuardState {
        ctx,
        keep_alive_every,
    }): State<GuardState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let user = match session.get::<i32>(SESSION_USER_KEY).await {
        Ok(Some(user_id)) => match domain::identity::find_active_user(&ctx.db, user_id).await {
            Ok(Some(user)) => Some(user),
            Ok(None) => {
                // Deleted or disabled since signing in: the session is worth nothing any more.
                let _ = session.flush().await;
                None
            }
            Err(e) => {
                tracing::error!("could not load the signed-in user: {e}");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::warn!("unreadable session treated as anonymous: {e}");
            None
        }
    };
    if user.is_some() {
        keep_alive(&session, keep_alive_every).await;
    }
    request.extensions_mut().insert(RequestUser(user.clone()));

    if !is_page_request(&request) {
        // Server functions and files decide for themselves (server functions via RequestUser).
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    match user {
        None if path == SIGN_IN_PATH => next.run(request).await,
        None => {
            let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
            let query = serde_urlencoded::to_string([("next", target)]).unwrap_or_default();
            Redirect::to(&format!("{SIGN_IN_PATH}?{query}")).into_response()
        }
        Some(_) if path == SIGN_IN_PATH => Redirect::to("/").into_response(),
        Some(u) if u.must_change_password && path != CHANGE_PASSWORD_PATH => {
            Redirect::to(CHANGE_PASSWORD_PATH).into_response()
        }
        Some(u) => {
            let refused =
                Area::for_path(&path).filter(|area| !domain::policy::areas_for(&u).contains(area));
            let mut response = next.run(request).await;
            if let Some(area) = refused {
                tracing::warn!(
                    user_id = u.id,
                    area = area.label(),
                    "page refused: the user's roles do not allow it"
                );
                *response.status_mut() = StatusCode::FORBIDDEN;
            }
            response
        }
    }
}

/// tower-sessions extends an idle expiry only when it saves the session, and saves only a modified
/// session: touching a timestamp now and then is what keeps an active person signed in.
async fn keep_alive(session: &Session, every: Duration) {
    let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let last_seen_ms = session.get::<i64>(LAST_SEEN_KEY).await.ok().flatten();
    if last_seen_ms.is_none_or(|seen| now_ms - seen >= every.as_millis() as i64) {
        let _ = session.insert(LAST_SEEN_KEY, now_ms).await;
    }
}

/// A page a person navigates to, as opposed to a server function call, a static file or the health check.
fn is_page_request(request: &Request) -> bool {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return false;
    }
    let path = request.uri().path();
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || last_segment.contains('.'))
}

/// What this site's origin is, for refusing cross-site server-function calls.
#[derive(Clone, Debug)]
pub struct SameOrigin {
    /// `scheme://host[:port]` of `WHARF_PUBLIC_URL`, lower-cased.
    public_origin: String,
}

impl SameOrigin {
    pub fn new(public_url: &str) -> Self {
        let trimmed = public_url.trim_end_matches('/');
        // Keep scheme://authority only.
        let origin = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
            }
            None => trimmed.to_owned(),
        };
        Self {
            public_origin: origin.to_ascii_lowercase(),
        }
    }

    /// Same-site when the Origin is the public URL's origin or names the host the request was sent
    /// to (the latter covers reaching one instance by another name, e.g. 127.0.0.1 in tests).
    fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.to_ascii_lowercase();
        if origin == self.public_origin {
            return true;
        }
        let origin_authority = origin.split_once("://").map(|(_, a)| a);
        matches!((origin_authority, host), (Some(a), Some(h)) if a == h.to_ascii_lowercase())
    }
}

/// Server functions and other POSTs (uploads) change things; a browser sends `Origin` with every
/// such request, so one that names another site is a cross-site request forgery attempt and is
/// refused before it reaches any code. Every method but GET, HEAD and OPTIONS is checked, whatever
/// the path, so a new plain route that changes things is covered without being listed here.
/// (SameSite=Lax cookies already keep the session out of such requests; this refuses them outright.)
pub async fn refuse_cross_site_calls(
    State(same_origin): State<SameOrigin>,
    request: Request,
    next: Next,
) -> Response {
    let is_call = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if is_call {
        let headers = request.headers();
        let origin = headers
            .get(axum::http::header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok());
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = fetch_site == Some("cross-site")
            || origin.is_some_and(|o| !same_origin.allows(o, host));
        if cross_site {
            tracing::warn!(
                path = request.uri().path(),
                origin,
                "refused: cross-site call"
            );
            return (
                StatusCode::FORBIDDEN,
                "Cross-site requests are not accepted. Use Wharf from its own pages.",
            )
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::SameOrigin;

    #[test]
    fn the_public_origin_and_the_requested_host_are_same_site_and_nothing_else() {
        let same = SameOrigin::new("https://wharf.example.com/");
        assert!(same.allows("https://wharf.example.com", None));
        assert!(same.allows("HTTPS://Wharf.Example.com", None));
        assert!(same.allows("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(!same.allows("https://evil.example", Some("wharf.example.com")));
        assert!(!same.allows("https://wharf.example.com.evil.example", None));
        assert!(!same.allows("null", Some("wharf.example.com")));
        assert!(
            !same.allows("http://wharf.example.com", None),
            "scheme matters"
        );
    }
}
