use crate::helpers::{TestApp, decoded, spawn_app, spawn_app_with_idle_timeout};
use app::dto::CurrentUser;
use reqwest::StatusCode;
use std::time::Duration;

/// The name of whoever the test's browser is signed in as, `None` for nobody.
async fn signed_in_as(app: &TestApp) -> Option<String> {
    app.current_user().await.map(|user| user.username)
}

/// The browser is anonymous again: nobody is signed in and server functions refuse it.
async fn assert_signed_out(app: &TestApp) {
    assert_eq!(signed_in_as(app).await, None);
    assert_eq!(
        app.call("list_data_sources", &[("search", "")])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let mut app = spawn_app().await;
    app.sign_in_as_admin().await;

    app.restart().await;

    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
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
    assert_signed_out(&app).await;
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
        assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_signed_out(&app).await;
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

#[tokio::test]
async fn the_sessions_table_holds_a_hash_of_the_cookie_never_the_cookie() {
    use sea_orm::EntityTrait;
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;

    let cookie = app.admin_session_cookie().await;
    let id = cookie
        .strip_prefix("wharf_session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let rows = entity::session::Entity::find().all(&app.db).await.unwrap();

    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].id, id, "the stored key is not the cookie's id");
    assert!(!rows[0].data.contains(&id));
    assert_eq!(rows[0].id, hex::encode(Sha256::digest(id.as_bytes())));
    // The session still works: looked up by the hash of what the cookie says.
    assert_eq!(signed_in_as(&app).await.as_deref(), Some("admin"));
}

#[tokio::test]
async fn a_stored_session_key_is_no_cookie() {
    use sea_orm::EntityTrait;
    let app = spawn_app().await;
    app.sign_in("admin", &app.initial_password()).await;
    let key = entity::session::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .remove(0)
        .id;
    let thief = app.another_browser();

    let response = thief
        .post(format!("{}/api/get_current_user", app.address))
        .header("Cookie", format!("wharf_session={key}"))
        .send()
        .await
        .unwrap();

    assert_eq!(decoded::<Option<CurrentUser>>(response).await, None);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    assert_eq!(mode(app.data_dir.path()), 0o700);
    if std::env::var("TEST_DATABASE").as_deref() != Ok("postgres") {
        let db = app.data_dir.path().join("wharf.db");
        assert_eq!(mode(&db), 0o600);
        for companion in ["wharf.db-wal", "wharf.db-shm", "wharf.db-journal"] {
            let path = app.data_dir.path().join(companion);
            if path.exists() {
                assert_eq!(mode(&path), 0o600, "{companion}");
            }
        }
    }
    assert_eq!(mode(&app.data_dir.path().join("secret.key")), 0o600);
}
