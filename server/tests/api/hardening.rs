//! What every response carries (security headers, a request id) and how failures answer: a body
//! over the limit is a 413 with a sentence, and a 500 names the request id the log has it under.
use crate::helpers::{TestApp, spawn_app, spawn_app_behind};
use reqwest::{Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const TOO_LARGE: &str = "The request is too large (at most 2 MB).";

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// The nonce the Content-Security-Policy allows inline scripts by.
fn nonce_of(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    csp[start..].split('\'').next().unwrap().to_owned()
}

/// A page, a server function, a plain route, a refusal: the policy names this response's nonce,
/// and the request id is there for the log.
fn assert_security_headers(response: &Response, what: &str) {
    let csp = assert_fixed_security_headers(response, what);
    assert!(
        csp.contains("script-src 'self' 'nonce-") && csp.contains("'wasm-unsafe-eval'"),
        "{what}: {csp}"
    );
    assert!(
        header(response, "x-request-id").is_some(),
        "{what}: a request id"
    );
}

/// What every response carries; answers its Content-Security-Policy.
fn assert_fixed_security_headers(response: &Response, what: &str) -> String {
    let csp = header(response, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "default-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        header(response, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(response, "referrer-policy").as_deref(),
        Some("same-origin"),
        "{what}"
    );
    assert_eq!(
        header(response, "x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
    let permissions = header(response, "permissions-policy").unwrap_or_default();
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{what}: {permissions}");
    }
    csp
}

impl TestApp {
    async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;

    let page = app.get("/sign-in").await;
    let redirect = app.get("/admin/users").await;
    let anonymous_fn = app.call("list_data_sources", &[("search", "")]).await;
    let health = app.get("/healthz").await;
    let file = app.get(&app::urls::file_download(1, "a.pdf")).await;
    let asset = app.get("/pkg/wharf.css").await;
    app.sign_in_as_admin().await;
    let server_fn = app.call("get_current_user", &[]).await;
    let not_found = app.get("/no/such/page").await;
    let refused_file = app.get(&app::urls::file_download(999, "a.pdf")).await;

    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous_fn.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    // A built file is the same for everyone: its fixed headers, a policy without a nonce (no
    // inline script of it may run), and none of the per-request work (it is not logged).
    let csp = assert_fixed_security_headers(&asset, "static asset");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert_eq!(header(&asset, "strict-transport-security"), None);
    assert_eq!(
        header(&asset, "x-request-id"),
        None,
        "a built file skips the per-request layers"
    );
    for (what, response) in [
        ("page", &page),
        ("redirect to sign-in", &redirect),
        ("refused server function", &anonymous_fn),
        ("health check", &health),
        ("file route", &file),
        ("server function", &server_fn),
        ("not-found page", &not_found),
        ("refused file", &refused_file),
    ] {
        assert_security_headers(response, what);
        assert_eq!(
            header(response, "strict-transport-security"),
            None,
            "{what}: no HSTS over http"
        );
    }
}

#[tokio::test]
async fn each_page_gets_a_fresh_nonce_on_every_inline_script_and_nothing_inline_without_it() {
    let app = spawn_app().await;

    let first = app.get("/sign-in").await;
    let second = app.get("/sign-in").await;
    let nonce = nonce_of(&header(&first, "content-security-policy").unwrap());
    let other = nonce_of(&header(&second, "content-security-policy").unwrap());
    let html = first.text().await.unwrap();

    assert_ne!(nonce, other, "a fresh nonce per response");
    assert!(nonce.len() >= 16, "{nonce}");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "the page hydrates with a script");
    for script in scripts {
        let tag = script.split('>').next().unwrap();
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "every script carries this response's nonce: <script{tag}>"
        );
    }
    assert!(
        !html.contains(" style=\""),
        "no inline style attribute (style-src has no 'unsafe-inline')"
    );
}

#[tokio::test]
async fn behind_https_responses_also_demand_https() {
    let app = spawn_app_behind("https://wharf.example.com").await;

    let page = app.get("/sign-in").await;
    let health = app.get("/healthz").await;
    let asset = app.get("/pkg/wharf.css").await;

    for response in [&page, &health, &asset] {
        assert_eq!(
            header(response, "strict-transport-security").as_deref(),
            Some("max-age=31536000")
        );
    }
    assert_security_headers(&page, "https page");
    assert_security_headers(&health, "https health check");
}

#[tokio::test]
async fn a_body_over_the_limit_answers_413_with_a_sentence_not_500() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let big = format!("name={}", "a".repeat(20 * 1024 * 1024));

    let declared = app
        .client
        .post(format!("{}/api/save_group", app.address))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    // Without Content-Length: refused while reading.
    let chunks = (0..48).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024]));
    let streamed = app
        .client
        .post(format!("{}/api/save_group", app.address))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(
            std::iter::once(Ok(b"name=".to_vec())).chain(chunks),
        )))
        .send()
        .await
        .unwrap();

    assert_eq!(declared.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        declared.json::<Value>().await.unwrap(),
        json!({ "TooLarge": TOO_LARGE })
    );
    assert_eq!(streamed.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        streamed.json::<Value>().await.unwrap(),
        json!({ "TooLarge": TOO_LARGE })
    );
}

#[tokio::test]
async fn a_server_function_that_fails_before_running_answers_its_errors_status() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;

    // `id` must be a number: the arguments cannot be read.
    let response = app.call("get_group", &[("id", "not-a-number")]).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Makes listing forms fail inside Wharf: its table is gone.
async fn break_forms_table(app: &TestApp) {
    let drop = match app.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "DROP TABLE forms CASCADE",
        _ => "DROP TABLE forms",
    };
    app.db.execute_unprepared(drop).await.unwrap();
}

#[tokio::test]
async fn an_internal_failure_shows_the_request_id_the_log_names() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    break_forms_table(&app).await;

    let response = app.call("list_forms", &[]).await;

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = header(&response, "x-request-id").expect("a request id");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "Internal": { "reference": id } })
    );
}

#[tokio::test]
async fn a_page_whose_data_fails_shows_the_reference() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    break_forms_table(&app).await;

    let page = app.get("/forms").await;

    let id = header(&page, "x-request-id").expect("a request id");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("(reference {id})")), "{html}");
}

#[tokio::test]
async fn a_request_id_sent_by_the_caller_is_replaced() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();

    let id = header(&response, "x-request-id").unwrap();
    assert_ne!(id, "<script>alert(1)</script>");
    assert_eq!(id.len(), 36, "{id}");
}
