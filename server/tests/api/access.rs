//! Who may call what and open which page, by role.
use crate::helpers::{PASSWORD, refusal, spawn_app};
use reqwest::StatusCode;
use wharf_types::Role;

#[tokio::test]
async fn anonymous_callers_are_refused_by_server_functions() {
    let app = spawn_app().await;

    for endpoint in ["list_data_sources", "list_users"] {
        let refused = refusal(app.call(endpoint, &[("search", "")]).await).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{endpoint}");
        assert_eq!(
            refused.message, "Your session has ended. Sign in again to continue.",
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
    assert_eq!(app.sign_in("pat", PASSWORD).await.status(), StatusCode::OK);

    for endpoint in ["list_data_sources", "list_users"] {
        let refused = refusal(app.call(endpoint, &[("search", "")]).await).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{endpoint}");
        assert!(
            refused.message.starts_with("You do not have permission"),
            "{refused:?}"
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
    app.sign_in("dana", PASSWORD).await;

    assert!(app.data_sources("").await.rows.is_empty());
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

    let users = app.users("").await.rows;

    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["admin", "dana"]);
    assert_eq!(
        users[1].roles,
        [Role::ManageDataSources, Role::DesignBusinessProcess]
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
