use crate::helpers::{spawn_app, spawn_app_with_idle_timeout};
use reqwest::StatusCode;
use std::time::Duration;

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let mut app = spawn_app().await;
    app.sign_in_as_admin().await;

    app.restart().await;

    assert_eq!(app.current_user().await["username"], "admin");
    assert_eq!(
        app.get_page("/admin/data-sources").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;

    let response = app.call("sign_out", &[]).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.current_user().await, serde_json::Value::Null);
    assert_eq!(
        app.call("list_data_sources", &[("search", "")])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_health_check_reports_a_reachable_database() {
    let app = spawn_app().await;

    let response = app.get_page("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_session_ends_after_the_idle_time_but_activity_keeps_it_alive() {
    let app = spawn_app_with_idle_timeout(Duration::from_secs(2)).await;
    app.sign_in_as_admin().await;

    // requests inside the idle time keep the session going past the first 2 seconds
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(app.current_user().await["username"], "admin");
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_eq!(app.current_user().await, serde_json::Value::Null);
    assert_eq!(
        app.call("list_data_sources", &[("search", "")])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_first_start_generates_the_token_key_with_owner_only_access() {
    let app = spawn_app().await;

    let key_file = app.data_dir.path().join(domain::vault::KEY_FILE);
    let metadata = std::fs::metadata(&key_file).expect("secret.key created at start-up");
    assert!(metadata.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }
}
