use crate::helpers::{json, spawn_app};
use reqwest::StatusCode;
use wharf_types::Role;

#[tokio::test]
async fn anonymous_callers_are_refused_by_server_functions() {
    let app = spawn_app().await;

    for endpoint in ["list_data_sources", "list_users"] {
        let response = app.call(endpoint, &[("search", "")]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
        assert_eq!(
            json(response).await,
            serde_json::json!("Unauthenticated"),
            "{endpoint}"
        );
    }
    let change = app
        .change_password("x", "a long new password", "a long new password")
        .await;
    assert_eq!(change.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn anonymous_page_requests_are_sent_to_sign_in_with_their_return_path() {
    let app = spawn_app().await;

    let response = app.get_page("/admin/data-sources?q=drop").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Fadmin%2Fdata-sources%3Fq%3Ddrop"
    );
    let sign_in = app.get_page("/sign-in").await;
    assert_eq!(sign_in.status(), StatusCode::OK);
    assert!(sign_in.text().await.unwrap().contains("Sign in"));
}

#[tokio::test]
async fn a_plain_user_is_refused_administration_but_sees_the_rest() {
    let app = spawn_app().await;
    app.create_user("pat", &[Role::User]).await;
    assert_eq!(
        app.sign_in("pat", "password123!").await.status(),
        StatusCode::OK
    );

    for endpoint in ["list_data_sources", "list_users"] {
        let response = app.call(endpoint, &[("search", "")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{endpoint}");
        assert!(
            json(response).await["Forbidden"]
                .as_str()
                .unwrap()
                .starts_with("You do not have permission")
        );
    }
    for page in ["/admin/data-sources", "/admin/users", "/admin/groups"] {
        assert_eq!(
            app.get_page(page).await.status(),
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let home = app.get_page("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("href=\"/forms\""),
        "the navigation offers Forms"
    );
    assert!(
        !html.contains("href=\"/admin/data-sources\""),
        "the navigation hides Data sources"
    );
}

#[tokio::test]
async fn a_data_source_manager_may_list_data_sources_but_not_users() {
    let app = spawn_app().await;
    app.create_user("dana", &[Role::ManageDataSources]).await;
    app.sign_in("dana", "password123!").await;

    let data_sources = app.call("list_data_sources", &[("search", "")]).await;
    assert_eq!(data_sources.status(), StatusCode::OK);
    assert_eq!(json(data_sources).await["rows"], serde_json::json!([]));
    assert_eq!(
        app.call("list_users", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    let page = app.get_page("/admin/data-sources").await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_administrator_lists_users_with_their_roles() {
    let app = spawn_app().await;
    app.create_user(
        "dana",
        &[Role::ManageDataSources, Role::DesignBusinessProcess],
    )
    .await;
    app.sign_in_as_admin().await;

    let users = json(app.call("list_users", &[]).await).await["rows"].clone();

    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "dana"]);
    assert_eq!(
        users[1]["roles"],
        serde_json::json!(["ManageDataSources", "DesignBusinessProcess"])
    );
}

#[tokio::test]
async fn an_unknown_page_answers_404_with_a_page_that_says_so() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;

    let response = app.get_page("/no/such/page").await;

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}
