//! When something fails on the server: every request gets an id (`x-request-id`, made here and never
//! taken from the caller) that its trace span, the log line of a failure and the person's error
//! message all carry, so a person quoting "reference …" leads an administrator to the cause. Also:
//! a panic becomes a 500 page instead of a dropped connection, and a server function's error
//! answers with the status its `AppError` stands for, even when it failed before the function ran
//! (a body over the limit answers 413, not 500). Plain routes answer `AppError`s too (its
//! `IntoResponse`: the server functions' JSON), which [`report_failures`] turns into a page for a
//! browser navigating (a download link) and completes with the reference of an internal failure.
use app::api::context::REQUEST_ID_HEADER;
use app::error::{AppError, SERVER_FN_BODY_LIMIT_MB, too_large};
use axum::body::{Body, BodyDataStream};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use futures::StreamExt;
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{
    DefaultOnBodyChunk, DefaultOnEos, DefaultOnRequest, DefaultOnResponse, MakeSpan, TraceLayer,
};

/// Server functions accept bodies up to this many bytes (forms of text; files go through the upload
/// route, which streams).
pub const SERVER_FN_BODY_LIMIT: usize = SERVER_FN_BODY_LIMIT_MB * 1024 * 1024;

/// Server functions live under this prefix.
const SERVER_FN_PREFIX: &str = "/api/";

/// After refusing a request, at most this much of its unread body is read and thrown away, so that
/// the refusal reaches the client instead of a connection reset (closing a socket with unread data
/// resets it, and the client may lose the answer). Anything bigger is cut off.
const DRAIN_BYTES: u64 = 32 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(5);

pub fn request_id_header() -> HeaderName {
    HeaderName::from_static(REQUEST_ID_HEADER)
}

/// The id the outermost layer gave this request (`-` if somehow none).
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// Drops an `x-request-id` the caller sent, so the id in the logs and on error pages is always one
/// this server made (a caller cannot make two requests share an id, or put words on an error page).
pub async fn forget_callers_request_id(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove(REQUEST_ID_HEADER);
    next.run(request).await
}

/// Request spans name the method, path and request id; failures are logged by
/// [`report_failures`], which knows whether the person saw a reference.
pub fn trace_layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    RequestSpan,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_failure(())
}

#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> tracing::Span {
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %request_id(request.headers()),
        )
    }
}

/// A 500 for a plain route outside the `?` path (a panic): `cause` goes to the log, the person
/// gets the generic sentence with the request id.
pub fn internal_error(cause: impl std::fmt::Display) -> Response {
    tracing::error!("internal error: {cause}");
    AppError::Internal { reference: None }.into_response()
}

/// For `CatchPanicLayer`: a panic in a handler is a 500 like any other internal error.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    internal_error(format_args!("a request handler panicked: {what}"))
}

/// Logs every 5xx with method, path, request id and status (500 as an error, the others — Dropbox
/// failing, the database unreachable — as warnings). A plain route's `AppError` gets the request id
/// as its reference when it is an internal failure, and is answered as a page to a browser
/// navigating (`Accept: text/html`); anyone else gets its JSON.
pub async fn report_failures(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let id = request_id(request.headers());
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let response = next.run(request).await;
    let status = response.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%method, %path, request_id = %id, status = status.as_u16(), "request failed");
    } else if status.is_server_error() {
        tracing::warn!(%method, %path, request_id = %id, status = status.as_u16(), "request failed");
    }
    let Some(error) = response.extensions().get::<AppError>().cloned() else {
        return response;
    };
    let error = match error {
        AppError::Internal { reference: None } => AppError::Internal {
            reference: Some(id),
        },
        _ if !wants_html => return response,
        other => other,
    };
    let (mut parts, _) = response.into_parts();
    let fresh = if wants_html {
        (status, Html(failure_page(status, &error.to_string()))).into_response()
    } else {
        error.into_response()
    };
    // The refusal's own headers (a 416's Content-Range) stay; the body's are the new body's.
    parts.headers.remove(header::CONTENT_LENGTH);
    let (fresh, body) = fresh.into_parts();
    parts.headers.extend(fresh.headers);
    Response::from_parts(parts, body)
}

/// The page a browser shows for a refusal or failure, in Wharf's style, with a way back.
fn failure_page(status: StatusCode, sentence: &str) -> String {
    let title = if status.is_server_error() {
        "Something went wrong"
    } else {
        "This cannot be opened"
    };
    let sentence = sentence
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Wharf</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"auth-page\"><div class=\"auth-card\"><h1>{title}</h1>\
         <p data-testid=\"failure-reference\">{sentence}</p>\
         <a class=\"button primary\" href=\"/\">Back to Home</a></div></main></body></html>",
        css = crate::static_files::stylesheet_href()
    )
}

/// Server functions: a body declared over the limit is refused with 413 before it is read; and an
/// error answered before the function ran (its arguments could not be read: a body over the limit
/// while streaming, a missing argument) gets the status of the `AppError` it carries instead of the
/// blanket 500 the server-function layer gives it.
pub async fn server_fn_statuses(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > SERVER_FN_BODY_LIMIT) {
        tracing::info!(
            "refused a server function request of {} bytes",
            declared.unwrap_or_default()
        );
        discard(&mut request.into_body().into_data_stream()).await;
        return too_large().into_response();
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status_code())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Reads away what is left of a refused body, within [`DRAIN_BYTES`] and [`DRAIN_TIME`].
pub(crate) async fn discard(stream: &mut BodyDataStream) {
    let drain = async {
        let mut read = 0u64;
        while read <= DRAIN_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => read += chunk.len() as u64,
                _ => return,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

    /// Log lines written while a test runs, to read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/broken",
                get(|| async { internal_error("the disk is on fire") }),
            )
            .route("/fine", get(|| async { "ok" }))
            .route(
                "/refused",
                get(|| async { Err::<(), _>(AppError::Forbidden("Not for you.".into())) }),
            )
            .layer(axum::middleware::from_fn(report_failures))
            .layer(PropagateRequestIdLayer::new(request_id_header()))
            .layer(trace_layer())
            .layer(SetRequestIdLayer::new(request_id_header(), MakeRequestUuid))
            .layer(axum::middleware::from_fn(forget_callers_request_id))
    }

    /// One test: log lines are captured by a subscriber for this thread only, and tracing caches
    /// per call site whether anyone listens, which a second test running at once could disturb.
    #[tokio::test]
    async fn a_failure_is_logged_with_method_path_and_request_id_which_the_person_sees() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let response = app()
            .oneshot(
                Request::get("/broken")
                    .header(REQUEST_ID_HEADER, "chosen-by-the-caller")
                    .header(header::ACCEPT, "text/html")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = response.headers()[REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(id, "chosen-by-the-caller", "the server makes its own ids");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        let page = String::from_utf8(
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap();
        assert!(page.contains(&format!("(reference {id})")), "{page}");
        assert!(!page.contains("on fire"), "the cause stays in the log");
        let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let failure = log
            .lines()
            .find(|l| l.contains("request failed"))
            .unwrap_or_else(|| panic!("a failure line in {log}"));
        assert!(failure.contains("ERROR"), "{failure}");
        assert!(failure.contains("GET"), "{failure}");
        assert!(failure.contains("/broken"), "{failure}");
        assert!(failure.contains(&id), "{failure}");
        assert!(
            log.lines()
                .any(|l| l.contains("the disk is on fire") && l.contains(&id)),
            "the cause is logged under the same id: {log}"
        );

        // A caller that is not a browser gets the server functions' JSON, with the reference; a
        // success is no failure.
        let plain = app()
            .oneshot(Request::get("/broken").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let id = plain.headers()[REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(plain.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<AppError>(&body).unwrap(),
            AppError::Internal {
                reference: Some(id)
            }
        );
        let fine = app()
            .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(fine.status(), StatusCode::OK);
        assert!(fine.headers().contains_key(REQUEST_ID_HEADER));

        a_refusal_is_json_or_a_page_for_a_browser().await;
    }

    /// A plain route's refusal: the server functions' JSON for a program, a page for a browser
    /// following a link; the same status either way. (Run by the one test above, for its reason.)
    async fn a_refusal_is_json_or_a_page_for_a_browser() {
        let json = app()
            .oneshot(Request::get("/refused").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(json.status(), StatusCode::FORBIDDEN);
        assert_eq!(json.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(json.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<AppError>(&body).unwrap(),
            AppError::Forbidden("Not for you.".into())
        );

        let page = app()
            .oneshot(
                Request::get("/refused")
                    .header(header::ACCEPT, "text/html,application/xhtml+xml")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let body = axum::body::to_bytes(page.into_body(), usize::MAX)
            .await
            .unwrap();
        let page = std::str::from_utf8(&body).unwrap();
        assert!(
            page.contains("<p data-testid=\"failure-reference\">Not for you.</p>"),
            "{page}"
        );
    }
}
