use crate::helpers::{json, spawn_app, spawn_app_behind};
use reqwest::StatusCode;

#[tokio::test]
async fn signing_in_with_the_printed_initial_password_starts_a_session() {
    let app = spawn_app().await;

    let response = app.sign_in("admin", &app.initial_password()).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await, serde_json::json!("/"));
    let user = app.current_user().await;
    assert_eq!(user["username"], "admin");
    assert_eq!(user["roles"], serde_json::json!(["Administrator"]));
    assert_eq!(user["must_change_password"], true);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_refusal() {
    let app = spawn_app().await;

    let wrong_password = app.sign_in("admin", "not the password").await;
    let unknown_user = app.sign_in("nobody", "not the password").await;

    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status(), StatusCode::UNAUTHORIZED);
    let (a, b) = (json(wrong_password).await, json(unknown_user).await);
    assert_eq!(a, b);
    assert_eq!(a, serde_json::json!("InvalidCredentials"));
    assert_eq!(app.current_user().await, serde_json::Value::Null);
}

#[tokio::test]
async fn an_empty_user_name_is_a_validation_error_for_that_field() {
    let app = spawn_app().await;

    let response = app.sign_in("   ", "whatever").await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(response).await;
    assert!(
        body["Validation"]["fields"]["username"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn return_paths_to_other_sites_are_replaced_by_the_home_page() {
    let app = spawn_app().await;
    let password = app.initial_password();

    for hostile in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let response = app
            .call(
                "sign_in",
                &[
                    ("username", "admin"),
                    ("password", &password),
                    ("next", hostile),
                ],
            )
            .await;
        assert_eq!(
            json(response).await,
            serde_json::json!("/"),
            "{hostile} must not be honoured"
        );
    }
    let same_site = app
        .call(
            "sign_in",
            &[
                ("username", "admin"),
                ("password", &password),
                ("next", "/admin/data-sources?q=x"),
            ],
        )
        .await;
    assert_eq!(
        json(same_site).await,
        serde_json::json!("/admin/data-sources?q=x")
    );
}

#[tokio::test]
async fn the_first_sign_in_forces_a_password_change_before_anything_else() {
    let app = spawn_app().await;
    let initial = app.initial_password();
    app.sign_in("admin", &initial).await;

    // everything but the change is closed: server functions and pages alike
    let refused = app.call("list_data_sources", &[("search", "")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json(refused).await,
        serde_json::json!("PasswordChangeRequired")
    );
    let page = app.get_page("/admin/data-sources").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/change-password");

    // a mismatch and a short password are refused, naming the field
    let mismatch = app
        .change_password(&initial, "a long new password", "another long password")
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(mismatch).await["Validation"]["fields"]["confirm_password"].is_string());
    let short = app.change_password(&initial, "short", "short").await;
    assert!(json(short).await["Validation"]["fields"]["new_password"].is_string());

    let changed = app
        .change_password(&initial, "a long new password", "a long new password")
        .await;
    assert_eq!(changed.status(), StatusCode::OK);

    assert_eq!(app.current_user().await["must_change_password"], false);
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

    let response = app.sign_in("admin", &app.initial_password()).await;

    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
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

    let response = app.sign_in("admin", &app.initial_password()).await;

    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn repeated_failures_slow_an_account_down_whether_or_not_it_exists() {
    let app = spawn_app().await;
    app.create_user("quinn", &[wharf_types::Role::User]).await;
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
        app.sign_in("quinn", "password123!").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account from the same address is not blocked by these.
    app.create_user("rita", &[wharf_types::Role::User]).await;
    assert_eq!(
        app.sign_in("rita", "password123!").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn server_functions_refuse_calls_from_another_site() {
    let app = spawn_app().await;
    let forged = app
        .client
        .post(format!("{}/api/sign_in", app.address))
        .header("Origin", "https://evil.example")
        .form(&[("username", "admin"), ("password", "x"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let fetch_metadata = app
        .client
        .post(format!("{}/api/get_current_user", app.address))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_metadata.status(), StatusCode::FORBIDDEN);
    // The site's own pages send their own origin, and pass.
    let own = app
        .client
        .post(format!("{}/api/get_current_user", app.address))
        .header("Origin", app.address.clone())
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}
