//! `GET /data-sources/{id}/files/thumbnail`: pictures only, for the data source's Connection users, never outside
//! its root, cacheable by the browser.
use crate::helpers::{TestApp, spawn_app};
use domain::identity::find_active_user;
use domain::policy::Grantee;
use dropbox_sandbox::sample::gradient_png;
use reqwest::{Client, StatusCode, header};
use wharf_types::Role;

struct Fixture {
    app: TestApp,
    /// Rooted at `/Photos`; its Connection users list names only `connuser`.
    data_source: String,
    member: Client,
    non_member: Client,
    /// The revision of `/Photos/harbour.png`.
    rev: String,
}

async fn signed_in(app: &TestApp, name: &str) -> Client {
    app.create_user(name, &[Role::User]).await;
    let browser = app.another_browser();
    let signed_in = app
        .call_from(
            &browser,
            "sign_in",
            &[
                ("username", name),
                ("password", "password123!"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    browser
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let account = app.sandbox().accounts()[0].account_id.clone();
    let photo = app
        .sandbox()
        .seed_file(
            &account,
            "/Photos/harbour.png",
            &gradient_png([30, 90, 160]),
        )
        .await
        .unwrap();
    let outside = gradient_png([1, 1, 1]);
    for (path, content) in [
        ("/Photos/invoice.pdf", b"%PDF-1.4".as_slice()),
        ("/secret.png", outside.as_slice()),
    ] {
        app.sandbox()
            .seed_file(&account, path, content)
            .await
            .unwrap();
    }
    let saved = app
        .call(
            "save_data_source",
            &[
                ("kind", "Dropbox"),
                ("display_name", "Photos"),
                ("root_folder", "/Photos"),
                ("file_pattern", ""),
                ("search_scope", "AllSubfolders"),
                ("space", "MyFiles"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let data_source = saved.json::<serde_json::Value>().await.unwrap().to_string();
    app.get_page(&app.authorize_on_dropbox(&data_source, "allow").await)
        .await;
    let member = signed_in(&app, "connuser").await;
    let non_member = signed_in(&app, "outsider").await;
    let admin = find_active_user(&app.db, 1).await.unwrap().unwrap();
    let member_id = find_id(&app, "connuser").await;
    domain::security::save(
        &app.db,
        data_source.parse().unwrap(),
        vec![],
        vec![Grantee::User(member_id)],
        false,
        &admin,
    )
    .await
    .unwrap();
    Fixture {
        app,
        data_source,
        member,
        non_member,
        rev: photo["rev"].as_str().unwrap().to_owned(),
    }
}

async fn find_id(app: &TestApp, username: &str) -> i32 {
    use entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

impl Fixture {
    async fn get(&self, browser: &Client, query: &str) -> reqwest::Response {
        browser
            .get(format!(
                "{}/data-sources/{}/files/thumbnail?{query}",
                self.app.address, self.data_source
            ))
            .send()
            .await
            .unwrap()
    }
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_connection_user_gets_a_cacheable_jpeg_of_a_picture() {
    let fx = fixture().await;

    let current = fx.get(&fx.member, "path=harbour.png").await;
    let pinned = fx
        .get(&fx.member, &format!("path=harbour.png&rev={}", fx.rev))
        .await;

    assert_eq!(current.status(), StatusCode::OK);
    assert_eq!(header_of(&current, header::CONTENT_TYPE), "image/jpeg");
    assert_eq!(
        header_of(&current, header::CACHE_CONTROL),
        "private, max-age=86400"
    );
    let etag = header_of(&current, header::ETAG);
    assert!(etag.contains(&fx.rev), "{etag}");
    assert!(current.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
    assert_eq!(pinned.status(), StatusCode::OK);
    assert_eq!(
        header_of(&pinned, header::CACHE_CONTROL),
        "private, max-age=86400, immutable"
    );

    let revalidated = fx
        .member
        .get(format!(
            "{}/data-sources/{}/files/thumbnail?path=harbour.png",
            fx.app.address, fx.data_source
        ))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    let fetched = fx
        .app
        .sandbox()
        .requests()
        .iter()
        .filter(|r| r.route == "files/get_thumbnail_v2")
        .count();
    assert_eq!(fetched, 1, "one fetch from Dropbox for three answers");
}

#[tokio::test]
async fn someone_the_connection_users_list_does_not_name_is_refused() {
    let fx = fixture().await;

    let refused = fx.get(&fx.non_member, "path=harbour.png").await;

    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_ne!(header_of(&refused, header::CONTENT_TYPE), "image/jpeg");
}

#[tokio::test]
async fn a_file_that_is_not_a_picture_has_no_thumbnail() {
    let fx = fixture().await;

    let pdf = fx.get(&fx.member, "path=invoice.pdf").await;
    let missing = fx.get(&fx.member, "path=nowhere.png").await;

    assert_eq!(pdf.status(), StatusCode::NOT_FOUND);
    assert!(pdf.text().await.unwrap().contains("no thumbnail"));
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_path_climbing_out_of_the_root_is_refused() {
    let fx = fixture().await;

    for path in [
        "..%2Fsecret.png",
        "%2e%2e/secret.png",
        "%252e%252e/secret.png",
    ] {
        let refused = fx.get(&fx.member, &format!("path={path}")).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert!(body["Validation"]["fields"]["path"].is_string(), "{body}");
    }
    let fetched = fx
        .app
        .sandbox()
        .requests()
        .iter()
        .filter(|r| r.route == "files/get_thumbnail_v2")
        .count();
    assert_eq!(fetched, 0);
}
