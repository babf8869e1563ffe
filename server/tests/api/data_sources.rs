//! Administration > Data sources over HTTP: who may, and what is saved.
use crate::helpers::{DataSourceForm, PASSWORD, TestApp, id_of, spawn_app, validation};
use reqwest::StatusCode;
use wharf_types::{DataSourceStatus, Role};

/// A data source over `/Projects` allowing PDF and Word files.
fn projects<'a>(id: Option<&'a str>, display_name: &'a str) -> DataSourceForm<'a> {
    DataSourceForm {
        id,
        display_name,
        root_folder: "/Projects",
        file_pattern: "*.pdf;*.docx",
        ..Default::default()
    }
}

async fn save<'a>(app: &TestApp, id: Option<&'a str>, name: &'a str) -> reqwest::Response {
    app.save_data_source(&projects(id, name)).await
}

#[tokio::test]
async fn data_source_functions_refuse_anonymous_callers_and_plain_users() {
    let app = spawn_app().await;
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("list_data_sources", vec![("search", "")]),
        ("get_data_source", vec![("id", "1")]),
        ("save_data_source", projects(None, "x").fields()),
        ("delete_data_source", vec![("id", "1")]),
    ];
    for (endpoint, form) in &calls {
        assert_eq!(
            app.call(endpoint, form).await.status(),
            StatusCode::UNAUTHORIZED,
            "anonymous {endpoint}"
        );
    }
    app.create_user("pat", &[Role::User, Role::DesignBusinessProcess])
        .await;
    app.sign_in("pat", PASSWORD).await;
    for (endpoint, form) in &calls {
        assert_eq!(
            app.call(endpoint, form).await.status(),
            StatusCode::FORBIDDEN,
            "plain user {endpoint}"
        );
    }
}

#[tokio::test]
async fn an_administrator_creates_edits_lists_and_deletes_a_data_source() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;

    let id = id_of(save(&app, None, "  Sales files ").await).await;

    let view = app.data_source(&id).await;
    assert_eq!(view.row.display_name.as_deref(), Some("Sales files"));
    assert_eq!(view.row.status, DataSourceStatus::Incomplete);
    assert_eq!(view.row.modified_by.as_deref(), Some("Administrator"));
    assert_eq!(view.settings.root_folder, "/Projects");
    assert_eq!(view.audit[0].action, "created");

    let renamed = save(&app, Some(&id), "Sales archive").await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let list = app.data_sources("archive").await;
    assert_eq!(list.total, 1);
    assert_eq!(list.rows[0].display_name.as_deref(), Some("Sales archive"));

    app.delete_data_source(&id).await;
    assert_eq!(
        app.call("get_data_source", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.data_sources("").await.total, 0);
}

#[tokio::test]
async fn invalid_details_are_refused_with_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = id_of(save(&app, None, "Sales").await).await;

    let duplicate = save(&app, None, "SALES").await;
    assert_eq!(
        validation(duplicate).await.0.as_deref(),
        Some("display_name")
    );

    let escaping = DataSourceForm {
        root_folder: "/Projects/../../etc",
        ..projects(Some(&id), "Renamed")
    };
    let refused = app.save_data_source(&escaping).await;
    assert_eq!(validation(refused).await.0.as_deref(), Some("root_folder"));

    let view = app.data_source(&id).await;
    assert_eq!(view.row.display_name.as_deref(), Some("Sales"));
    assert_eq!(app.data_sources("").await.total, 1);
}
