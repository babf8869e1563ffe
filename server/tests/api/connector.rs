use crate::helpers::{json, spawn_app};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use wharf_types::Role;

#[tokio::test]
async fn authorizing_on_the_sandbox_connects_the_data_source_and_tests_it() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;

    let callback = app.authorize_on_dropbox(&id, "allow").await;
    let back = app.get_page(&callback).await;

    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        back.headers()["location"],
        format!("/admin/data-sources/{id}?authorization=connected")
    );
    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["status"], "Ready");
    assert_eq!(view["provider"], "Sandbox Dropbox");
    assert_eq!(view["connection"]["account_email"], "sandbox@wharf.example");
    assert_eq!(view["connection"]["account_type"], "Basic");
    assert!(
        view.to_string().find("access_token").is_none(),
        "no token crosses the wire"
    );
    let actions: Vec<&str> = view["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..2], ["tested", "authorized"]);
}

#[tokio::test]
async fn a_replayed_callback_is_refused_with_a_page_that_explains_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    let callback = app.authorize_on_dropbox(&id, "allow").await;
    assert_eq!(
        app.get_page(&callback).await.status(),
        StatusCode::SEE_OTHER
    );
    let audit_before =
        json(app.call("get_data_source", &[("id", &id)]).await).await["audit"].clone();

    let replay = app.get_page(&callback).await;

    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = replay.text().await.unwrap();
    assert!(page.contains("already been used"), "{page}");
    assert!(page.contains("Nothing was changed."));
    assert_eq!(
        json(app.call("get_data_source", &[("id", &id)]).await).await["audit"],
        audit_before
    );
}

#[tokio::test]
async fn another_users_callback_is_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    let callback = app.authorize_on_dropbox(&id, "allow").await;
    app.call("sign_out", &[]).await;
    app.create_user("dana", &[Role::ManageDataSources]).await;
    app.sign_in("dana", "password123!").await;

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
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;

    let callback = app.authorize_on_dropbox(&id, "cancel").await;
    let back = app.get_page(&callback).await;

    assert_eq!(
        back.headers()["location"],
        format!("/admin/data-sources/{id}?authorization=cancelled")
    );
    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["status"], "Incomplete");
    assert_eq!(view["connection"], serde_json::Value::Null);
}

#[tokio::test]
async fn test_connection_reports_success_and_deleting_revokes_at_dropbox() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    app.get_page(&app.authorize_on_dropbox(&id, "allow").await)
        .await;

    let tested = json(app.call("test_data_source", &[("id", &id)]).await).await;
    assert_eq!(
        tested,
        serde_json::json!({"ok": true, "message": "Connection test succeeded"})
    );

    let deleted = app.call("delete_data_source", &[("id", &id)]).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(json(deleted).await["warning"], serde_json::Value::Null);
    assert!(
        app.sandbox()
            .requests()
            .iter()
            .any(|r| r.route == "auth/token/revoke" && r.status == 200)
    );
}

#[tokio::test]
async fn tokens_are_not_stored_in_clear() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    app.get_page(&app.authorize_on_dropbox(&id, "allow").await)
        .await;
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
    app.sign_in("pat", "password123!").await;
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
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    app.get_page(&app.authorize_on_dropbox(&id, "allow").await)
        .await;
    let save = |root: &'static str| {
        let id = id.clone();
        let app = &app;
        async move {
            app.call(
                "save_data_source",
                &[
                    ("id", id.as_str()),
                    ("kind", "Dropbox"),
                    ("display_name", "Sales"),
                    ("root_folder", root),
                    ("file_pattern", ""),
                    ("search_scope", "AllSubfolders"),
                    ("space", "MyFiles"),
                ],
            )
            .await
        }
    };

    assert_eq!(save("/No such folder").await.status(), StatusCode::OK);
    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["status"], "TestFailed");
    assert!(
        view["status_message"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );

    assert_eq!(save("/Documents").await.status(), StatusCode::OK);
    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["status"], "Ready");
    assert_eq!(view["status_message"], serde_json::Value::Null);
}

#[tokio::test]
async fn deleting_still_deletes_when_dropbox_cannot_revoke_and_says_so() {
    use dropbox_sandbox::{FaultKind, FaultSpec};
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Sales").await;
    app.get_page(&app.authorize_on_dropbox(&id, "allow").await)
        .await;
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

    let deleted = app.call("delete_data_source", &[("id", &id)]).await;

    assert_eq!(deleted.status(), StatusCode::OK);
    let warning = json(deleted).await["warning"].as_str().unwrap().to_owned();
    assert!(warning.contains("could not be told to revoke"), "{warning}");
    assert_eq!(
        app.call("get_data_source", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
}
