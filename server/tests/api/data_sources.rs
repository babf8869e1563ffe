use crate::helpers::{TestApp, json, spawn_app};
use reqwest::StatusCode;
use wharf_types::Role;

const DROPBOX_FORM: [(&str, &str); 5] = [
    ("kind", "Dropbox"),
    ("root_folder", "/Projects"),
    ("file_pattern", "*.pdf;*.docx"),
    ("search_scope", "AllSubfolders"),
    ("space", "MyFiles"),
];

async fn save(app: &TestApp, id: Option<&str>, name: &str) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = DROPBOX_FORM.to_vec();
    form.push(("display_name", name));
    if let Some(id) = id {
        form.push(("id", id));
    }
    app.call("save_data_source", &form).await
}

#[tokio::test]
async fn data_source_functions_refuse_anonymous_callers_and_plain_users() {
    let app = spawn_app().await;
    let calls: [(&str, Vec<(&str, &str)>); 4] = [
        ("list_data_sources", vec![("search", "")]),
        ("get_data_source", vec![("id", "1")]),
        (
            "save_data_source",
            [DROPBOX_FORM.to_vec(), vec![("display_name", "x")]].concat(),
        ),
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
    app.sign_in("pat", "password123!").await;
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

    let created = save(&app, None, "  Sales files ").await;
    assert_eq!(created.status(), StatusCode::OK);
    let id = json(created).await.as_i64().unwrap().to_string();

    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["display_name"], "Sales files");
    assert_eq!(view["row"]["status"], "Incomplete");
    assert_eq!(view["row"]["modified_by"], "Administrator");
    assert_eq!(view["settings"]["root_folder"], "/Projects");
    assert_eq!(view["audit"][0]["action"], "created");

    let renamed = save(&app, Some(&id), "Sales archive").await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let list = json(
        app.call("list_data_sources", &[("search", "archive")])
            .await,
    )
    .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["rows"][0]["display_name"], "Sales archive");

    assert_eq!(
        app.call("delete_data_source", &[("id", &id)])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.call("get_data_source", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json(app.call("list_data_sources", &[("search", "")]).await).await["total"],
        0
    );
}

#[tokio::test]
async fn invalid_details_are_refused_with_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = json(save(&app, None, "Sales").await)
        .await
        .as_i64()
        .unwrap()
        .to_string();

    let duplicate = save(&app, None, "SALES").await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(duplicate).await["Validation"]["fields"]["display_name"].is_string());

    let mut escaping: Vec<(&str, &str)> = DROPBOX_FORM.to_vec();
    escaping.retain(|(k, _)| *k != "root_folder");
    escaping.extend([
        ("root_folder", "/Projects/../../etc"),
        ("display_name", "Renamed"),
        ("id", &id),
    ]);
    let refused = app.call("save_data_source", &escaping).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(refused).await["Validation"]["fields"]["root_folder"].is_string());

    let view = json(app.call("get_data_source", &[("id", &id)]).await).await;
    assert_eq!(view["row"]["display_name"], "Sales");
    assert_eq!(
        json(app.call("list_data_sources", &[("search", "")]).await).await["total"],
        1
    );
}
