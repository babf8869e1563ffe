use crate::helpers::{
    PASSWORD, TestApp, decoded, refusal, spawn_app, spawn_app_behind, validation,
};
use reqwest::StatusCode;
use wharf_types::Role;

/// Signs in as the first administrator asking to return to `next`; answers where sign-in sends them.
async fn sign_in_returning_to(app: &TestApp, next: &str) -> String {
    let password = app.initial_password();
    let form = [
        ("username", "admin"),
        ("password", password.as_str()),
        ("next", next),
    ];
    decoded(app.call("sign_in", &form).await).await
}

#[tokio::test]
async fn signing_in_with_the_printed_initial_password_starts_a_session() {
    let app = spawn_app().await;

    let response = app.sign_in("admin", &app.initial_password()).await;

    assert_eq!(decoded::<String>(response).await, "/");
    let user = app.current_user().await.expect("signed in");
    assert_eq!(user.username, "admin");
    assert_eq!(user.roles, [Role::Administrator]);
    assert!(user.must_change_password);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_refusal() {
    let app = spawn_app().await;

    let wrong_password = app.sign_in("admin", "not the password").await;
    let unknown_user = app.sign_in("nobody", "not the password").await;

    let (a, b) = (refusal(wrong_password).await, refusal(unknown_user).await);
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!((b.status, &b.message), (a.status, &a.message));
    assert_eq!(a.message, "The user name or password is not correct.");
    assert_eq!(app.current_user().await, None);
}

#[tokio::test]
async fn an_empty_user_name_is_a_validation_error_for_that_field() {
    let app = spawn_app().await;

    let response = app.sign_in("   ", "whatever").await;

    assert_eq!(validation(response).await.0.as_deref(), Some("username"));
}

#[tokio::test]
async fn return_paths_to_other_sites_are_replaced_by_the_home_page() {
    let app = spawn_app().await;

    for hostile in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        assert_eq!(
            sign_in_returning_to(&app, hostile).await,
            "/",
            "{hostile} must not be honoured"
        );
    }
    assert_eq!(
        sign_in_returning_to(&app, "/admin/data-sources?q=x").await,
        "/admin/data-sources?q=x"
    );
}

#[tokio::test]
async fn the_first_sign_in_forces_a_password_change_before_anything_else() {
    let app = spawn_app().await;
    let initial = app.initial_password();
    app.sign_in("admin", &initial).await;

    // everything but the change is closed: server functions and pages alike
    let refused = refusal(app.call("list_data_sources", &[("search", "")]).await).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.message, "Change your password before you continue.");
    let page = app.get_page("/admin/data-sources").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/change-password");

    // a mismatch and a short password are refused, naming the field
    let mismatch = app
        .change_password(&initial, "a long new password", "another long password")
        .await;
    assert_eq!(
        validation(mismatch).await.0.as_deref(),
        Some("confirm_password")
    );
    let short = app.change_password(&initial, "short", "short").await;
    assert_eq!(validation(short).await.0.as_deref(), Some("new_password"));

    let changed = app
        .change_password(&initial, "a long new password", "a long new password")
        .await;
    assert_eq!(changed.status(), StatusCode::OK);

    assert!(!app.current_user().await.unwrap().must_change_password);
    assert_eq!(
        app.call("list_data_sources", &[("search", "")])
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        !app.data_dir
            .path()
            .join(domain::identity::INITIAL_PASSWORD_FILE)
            .exists(),
        "the initial password file is removed once the password is changed"
    );
    assert_eq!(
        app.sign_in("admin", &initial).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in("admin", "a long new password").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;

    let cookie = app.admin_session_cookie().await;
    assert!(cookie.starts_with("wharf_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not get a Secure cookie: {cookie}"
    );
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_also_secure() {
    let app = spawn_app_behind("https://wharf.example.com").await;

    let cookie = app.admin_session_cookie().await;
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn repeated_failures_slow_an_account_down_whether_or_not_it_exists() {
    let app = spawn_app().await;
    app.create_user("quinn", &[Role::User]).await;
    for name in ["quinn", "no-such-person"] {
        for _ in 0..5 {
            assert_eq!(
                app.sign_in(name, "wrong password").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let blocked = app.sign_in(name, "wrong password").await;
        assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
        let body = blocked.text().await.unwrap();
        assert!(
            body.contains("Too many failed sign-in attempts. Wait"),
            "{body}"
        );
    }
    // Even the right password waits for the block to end: guessing gains nothing.
    assert_eq!(
        app.sign_in("quinn", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account from the same address is not blocked by these.
    app.create_user("rita", &[Role::User]).await;
    assert_eq!(app.sign_in("rita", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn server_functions_refuse_calls_from_another_site() {
    let app = spawn_app().await;
    let post = |endpoint: &str, headers: &[(&str, &str)]| {
        let mut request = app.client.post(format!("{}/api/{endpoint}", app.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let forged = post("sign_in", &[("Origin", "https://evil.example")])
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let fetch_metadata = post("get_current_user", &[("Sec-Fetch-Site", "cross-site")])
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), StatusCode::FORBIDDEN);
    // The site's own pages send their own origin, and pass.
    let own = post(
        "get_current_user",
        &[("Origin", &app.address), ("Sec-Fetch-Site", "same-origin")],
    )
    .await
    .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}
