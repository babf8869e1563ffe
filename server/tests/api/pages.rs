//! What pages answer for what people open: unknown ids are "Page not found" with a 404 everywhere,
//! and Home offers only data sources that are ready to use, page by page.
use crate::helpers::spawn_app;
use app::dto::UsableDataSourceList;
use reqwest::StatusCode;
use wharf_types::DataSourceStatus;

fn names(list: &UsableDataSourceList) -> Vec<String> {
    let names = list.rows.iter().map(|r| r.display_name.clone());
    names.map(Option::unwrap_or_default).collect()
}

#[tokio::test]
async fn unknown_ids_answer_404_with_the_same_not_found_page_everywhere() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let known = app.new_data_source("Known").await;

    for path in [
        "/admin/data-sources/999999".to_owned(),
        "/data-sources/999999/files".to_owned(),
        "/admin/users/999999".to_owned(),
        "/admin/users/not-a-number".to_owned(),
        "/admin/groups/999999".to_owned(),
        "/forms/999999/edit".to_owned(),
        "/forms/999999/fill".to_owned(),
        "/forms/999999/submissions".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let response = app.get_page(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Page not found"), "{path}: {html}");
        assert!(html.contains("There is nothing at this address."), "{path}");
    }
    let found = app.get_page(&format!("/admin/data-sources/{known}")).await;
    assert_eq!(found.status(), StatusCode::OK);
    assert!(!found.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn home_offers_only_ready_data_sources_and_pages_through_them() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.new_data_source("Never connected").await;
    for n in 0..51 {
        app.connected_data_source(&format!("Ready {n:02}")).await;
    }

    let first = app.usable_data_sources("", 0, true).await;
    assert_eq!(first.total, 51);
    assert_eq!(first.page_size, 50);
    assert_eq!(names(&first).len(), 50);
    assert!(!names(&first).contains(&"Never connected".to_owned()));
    let second = app.usable_data_sources("", 1, true).await;
    assert_eq!(names(&second), vec!["Ready 50"]);
    assert_eq!(
        names(&app.usable_data_sources("never", 0, true).await).len(),
        0
    );

    // The designer still sees it, with its status, to know why it cannot be bound yet.
    let all = app.usable_data_sources("never", 0, false).await;
    assert_eq!(names(&all), vec!["Never connected"]);
    assert_eq!(all.rows[0].status, DataSourceStatus::Incomplete);
}
