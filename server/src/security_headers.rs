//! The security headers every response carries (pages, server functions, files, errors, static
//! assets). The Content-Security-Policy allows what hydration needs and nothing else: scripts from
//! Wharf itself plus the inline hydration script by a nonce made fresh for each response (handed to
//! Leptos, whose `HydrationScripts` and resource scripts put it on every inline `<script>`), the
//! wasm compiled by the browser (`'wasm-unsafe-eval'`), styles from Wharf's stylesheet only (no
//! inline `style` anywhere), pictures from Wharf and `data:`/`blob:` URLs, fetches to Wharf only; it
//! cannot be framed, has no plugins, no `<base>` elsewhere, and forms post only to Wharf.
//! (Authorize sends the browser to Dropbox's page by setting `location`, which `form-action` does
//! not govern.)
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use std::sync::Arc;

/// Features no page of Wharf uses, switched off for it and anything it might embed.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
     geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), \
     xr-spatial-tracking=()";

/// HSTS for a Wharf reached over https: a year, for this host only (other hosts under the same
/// domain are not Wharf's to decide for).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// All but the policy; HSTS among them when `WHARF_PUBLIC_URL` is https.
    fixed: Arc<[(HeaderName, HeaderValue)]>,
    /// Extra `connect-src` sources: the dev server's reload socket under `cargo leptos watch`.
    extra_connect: String,
}

impl SecurityHeaders {
    pub fn new(public_url: &str, options: &leptos::config::LeptosOptions) -> Self {
        // AutoReload only runs under `cargo leptos watch`, which sets LEPTOS_WATCH.
        let extra_connect = if std::env::var_os("LEPTOS_WATCH").is_some() {
            format!(" ws://{}:{}", options.site_addr.ip(), options.reload_port)
        } else {
            String::new()
        };
        Self {
            fixed: Self::fixed_headers(public_url.starts_with("https://")),
            extra_connect,
        }
    }

    /// The policy for a response whose inline scripts carry `nonce` (none: no inline script runs).
    pub fn content_security_policy(&self, nonce: Option<&str>) -> String {
        let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
        format!(
            "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data: blob:; font-src 'self'; \
             connect-src 'self'{}; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; \
             form-action 'self'",
            self.extra_connect
        )
    }

    /// The headers every response carries but the policy.
    fn fixed_headers(hsts: bool) -> Arc<[(HeaderName, HeaderValue)]> {
        let mut fixed = vec![
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(PERMISSIONS_POLICY),
            ),
        ];
        if hsts {
            fixed.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            ));
        }
        fixed.into()
    }

    /// What a built file (`/pkg/…`) carries: the same for every request, made once. Its policy has
    /// no nonce: a file is not a page, and no inline script of it may run.
    pub fn static_file_headers(&self) -> StaticFileHeaders {
        let mut headers = self.fixed.to_vec();
        if let Ok(policy) = HeaderValue::from_str(&self.content_security_policy(None)) {
            headers.push((header::CONTENT_SECURITY_POLICY, policy));
        }
        StaticFileHeaders(Arc::from(headers))
    }

    fn apply(&self, headers: &mut HeaderMap, nonce: &str) {
        if let Ok(policy) = HeaderValue::from_str(&self.content_security_policy(Some(nonce))) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        for (name, value) in self.fixed.iter() {
            headers.insert(name.clone(), value.clone());
        }
        // A page is never reused: its scripts carry this response's nonce, and what it shows is
        // the signed-in person's. (Static files set their own caching.)
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if html && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache, private"),
            );
        }
    }
}

/// The security headers of a built file, shared by every request for one.
#[derive(Clone, Debug)]
pub struct StaticFileHeaders(Arc<[(HeaderName, HeaderValue)]>);

/// Puts the fixed security headers on a built file's answer.
pub async fn add_static_file_headers(
    State(StaticFileHeaders(fixed)): State<StaticFileHeaders>,
    mut response: Response,
) -> Response {
    let headers = response.headers_mut();
    for (name, value) in fixed.iter() {
        headers.insert(name.clone(), value.clone());
    }
    response
}

/// Makes this request's nonce, leaves it in the request for the page renderer
/// ([`provide_request_nonce`]), and puts the headers on whatever answers.
pub async fn add_security_headers(
    State(policy): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    policy.apply(response.headers_mut(), &nonce);
    response
}

/// Inside Leptos' rendering of a page or a server function: makes the nonce of this request's
/// Content-Security-Policy the one Leptos puts on inline scripts (in place of the one it made).
pub fn provide_request_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_no_other_origin() {
        let headers = SecurityHeaders {
            fixed: SecurityHeaders::fixed_headers(false),
            extra_connect: String::new(),
        };
        let csp = headers.content_security_policy(Some("abc123"));
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("http"), "no other origin: {csp}");
        let file = headers.content_security_policy(None);
        assert!(
            file.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{file}"
        );
    }

    #[test]
    fn pages_are_never_reused_and_other_answers_keep_their_caching() {
        let policy = SecurityHeaders {
            fixed: SecurityHeaders::fixed_headers(false),
            extra_connect: String::new(),
        };
        let mut page = HeaderMap::new();
        page.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        policy.apply(&mut page, "n");
        assert_eq!(page[header::CACHE_CONTROL], "no-cache, private");

        let mut asset = HeaderMap::new();
        asset.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/wasm"),
        );
        asset.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        policy.apply(&mut asset, "n");
        assert_eq!(
            asset[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
    }
}
