//! The few HTML pages the sandbox serves (the authorize page, shared-link pages): one look, escaped text.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page titled `title` (escaped here) around `body` (HTML the caller escaped).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} - Sandbox Dropbox</title>\
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1e1919}}\
.card{{border:1px solid #ddd;border-radius:8px;padding:1.5rem}}button{{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}}\
.allow{{background:#0061fe;color:#fff;border:0;border-radius:4px}}label{{display:block;margin:.4rem 0}}</style></head>\
<body><p><strong>Sandbox Dropbox</strong> &mdash; a local stand-in for dropbox.com</p><div class=\"card\"><h1>{t}</h1>{body}</div></body></html>",
        t = esc(title)
    );
    (status, Html(html)).into_response()
}
