use crate::helpers::{DataSourceForm, PASSWORD, TestApp, spawn_app};
use app::dto::TestResult;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use wharf_types::{DataSourceStatus, Role};

/// A Wharf with the administrator signed in and a data source "Sales" not yet authorized.
async fn sales() -> (TestApp, String) {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    (app, id)
}

#[tokio::test]
async fn authorizing_on_the_sandbox_connects_the_data_source_and_tests_it() {
    let (app, id) = sales().await;

    let callback = app.authorize_on_dropbox(&id, "allow").await;
    let back = app.get_page(&callback).await;

    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        back.headers()["location"],
        format!("/admin/data-sources/{id}?authorization=connected")
    );
    let view = app.data_source(&id).await;
    assert_eq!(view.row.status, DataSourceStatus::Ready);
    assert_eq!(view.provider, "Sandbox Dropbox");
    let connection = view.connection.expect("connected");
    assert_eq!(connection.account_email, "sandbox@wharf.example");
    assert_eq!(connection.account_type, "Basic");
    let wire = app.call("get_data_source", &[("id", &id)]).await;
    assert!(
        !wire.text().await.unwrap().contains("access_token"),
        "no token crosses the wire"
    );
    let actions: Vec<&str> = view.audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions[..2], ["tested", "authorized"]);
}

#[tokio::test]
async fn a_replayed_callback_is_refused_with_a_page_that_explains_and_changes_nothing() {
    let (app, id) = sales().await;
    let callback = app.authorize_on_dropbox(&id, "allow").await;
    assert_eq!(
        app.get_page(&callback).await.status(),
        StatusCode::SEE_OTHER
    );
    let audit_before = app.data_source(&id).await.audit;

    let replay = app.get_page(&callback).await;

    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = replay.text().await.unwrap();
    assert!(page.contains("already been used"), "{page}");
    assert!(page.contains("Nothing was changed."));
    assert_eq!(app.data_source(&id).await.audit, audit_before);
}

#[tokio::test]
async fn another_users_callback_is_refused() {
    let (app, id) = sales().await;
    let callback = app.authorize_on_dropbox(&id, "allow").await;
    app.call("sign_out", &[]).await;
    app.create_user("dana", &[Role::ManageDataSources]).await;
    app.sign_in("dana", PASSWORD).await;

    let foreign = app.get_page(&callback).await;

    assert_eq!(foreign.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        foreign
            .text()
            .await
            .unwrap()
            .contains("started by someone else")
    );
}

#[tokio::test]
async fn cancel_on_the_dropbox_page_leaves_the_data_source_incomplete_with_a_message() {
    let (app, id) = sales().await;

    let callback = app.authorize_on_dropbox(&id, "cancel").await;
    let back = app.get_page(&callback).await;

    assert_eq!(
        back.headers()["location"],
        format!("/admin/data-sources/{id}?authorization=cancelled")
    );
    let view = app.data_source(&id).await;
    assert_eq!(view.row.status, DataSourceStatus::Incomplete);
    assert_eq!(view.connection, None);
}

#[tokio::test]
async fn test_connection_reports_success_and_deleting_revokes_at_dropbox() {
    let (app, id) = sales().await;
    app.connect(&id).await;

    assert_eq!(
        app.test_data_source(&id).await,
        TestResult {
            ok: true,
            message: "Connection test succeeded".into()
        }
    );

    assert_eq!(app.delete_data_source(&id).await.warning, None);
    assert!(
        app.sandbox()
            .requests()
            .iter()
            .any(|r| r.route == "auth/token/revoke" && r.status == 200)
    );
}

#[tokio::test]
async fn tokens_are_not_stored_in_clear() {
    let (app, id) = sales().await;
    app.connect(&id).await;
    let key = std::fs::read_to_string(app.data_dir.path().join(domain::vault::KEY_FILE)).unwrap();
    let vault = domain::vault::Vault::open(Some(key.trim()), app.data_dir.path()).unwrap();
    let row = entity::dropbox_credential::Entity::find_by_id(id.parse::<i32>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let access = vault
        .open_sealed(&row.access_token, &format!("data_source:{id}:access_token"))
        .unwrap();
    let refresh = vault
        .open_sealed(
            row.refresh_token.as_deref().unwrap(),
            &format!("data_source:{id}:refresh_token"),
        )
        .unwrap();

    let dump = dump_database(&app.db).await;

    assert!(!dump.contains(&access), "access token in clear");
    assert!(!dump.contains(&refresh), "refresh token in clear");
    assert!(
        dump.contains(&row.access_token),
        "the dump does include the sealed value"
    );
}

/// Every text value of every table, as one string.
async fn dump_database(db: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    let mut dump = String::new();
    for table in [
        "users",
        "sessions",
        "data_sources",
        "audit_events",
        "oauth_states",
        "dropbox_credentials",
    ] {
        let statement =
            Statement::from_string(db.get_database_backend(), format!("SELECT * FROM {table}"));
        for row in JsonValue::find_by_statement(statement)
            .all(db)
            .await
            .unwrap()
        {
            dump.push_str(&row.to_string());
            dump.push('\n');
        }
    }
    dump
}

#[tokio::test]
async fn connecting_functions_refuse_anonymous_callers_and_plain_users() {
    let app = spawn_app().await;
    for endpoint in ["authorize_data_source", "test_data_source"] {
        assert_eq!(
            app.call(endpoint, &[("id", "1")]).await.status(),
            StatusCode::UNAUTHORIZED,
            "{endpoint}"
        );
    }
    app.create_user("pat", &[Role::User]).await;
    app.sign_in("pat", PASSWORD).await;
    for endpoint in ["authorize_data_source", "test_data_source"] {
        assert_eq!(
            app.call(endpoint, &[("id", "1")]).await.status(),
            StatusCode::FORBIDDEN,
            "{endpoint}"
        );
    }
    let callback = app.get_page("/oauth/dropbox/callback?state=x&code=y").await;
    assert_eq!(callback.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn saving_a_connected_data_source_tests_it_again_with_the_new_settings() {
    let (app, id) = sales().await;
    app.connect(&id).await;
    let app = &app;
    let save = |root_folder: &'static str| {
        let form = DataSourceForm {
            id: Some(&id),
            display_name: "Sales",
            root_folder,
            ..Default::default()
        };
        async move { app.save_data_source(&form).await }
    };

    assert_eq!(save("/No such folder").await.status(), StatusCode::OK);
    let view = app.data_source(&id).await;
    assert_eq!(view.row.status, DataSourceStatus::TestFailed);
    let message = view.status_message.unwrap_or_default();
    assert!(message.contains("does not exist"), "{message}");

    assert_eq!(save("/Documents").await.status(), StatusCode::OK);
    let view = app.data_source(&id).await;
    assert_eq!(view.row.status, DataSourceStatus::Ready);
    assert_eq!(view.status_message, None);
}

#[tokio::test]
async fn deleting_still_deletes_when_dropbox_cannot_revoke_and_says_so() {
    use dropbox_sandbox::{FaultKind, FaultSpec};
    let (app, id) = sales().await;
    app.connect(&id).await;
    app.sandbox().add_fault(
        FaultSpec::new(
            "auth/token/revoke",
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(10),
    );

    let deleted = app.delete_data_source(&id).await;

    let warning = deleted.warning.expect("a warning");
    assert!(warning.contains("could not be told to revoke"), "{warning}");
    assert_eq!(
        app.call("get_data_source", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
}
