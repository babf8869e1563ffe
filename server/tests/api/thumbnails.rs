//! `GET /data-sources/{id}/files/thumbnail`: pictures only, for the data source's Connection users, never outside
//! its root, cacheable by the browser.
use crate::authorization_matrix::user_id;
use crate::helpers::{DataSourceForm, TestApp, id_of, spawn_app};
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

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let photo = app
        .seed_file("/Photos/harbour.png", &gradient_png([30, 90, 160]))
        .await;
    app.seed("/Photos/invoice.pdf", b"%PDF-1.4").await;
    app.seed("/secret.png", &gradient_png([1, 1, 1])).await;
    let photos = DataSourceForm {
        display_name: "Photos",
        root_folder: "/Photos",
        ..Default::default()
    };
    let data_source = id_of(app.save_data_source(&photos).await).await;
    app.connect(&data_source).await;
    let member = app.signed_in_browser("connuser", &[Role::User]).await;
    let non_member = app.signed_in_browser("outsider", &[Role::User]).await;
    let admin = find_active_user(&app.db, 1).await.unwrap().unwrap();
    let member_id = user_id(&app, "connuser").await;
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

impl Fixture {
    /// The thumbnail request `query` names, from `browser`, with `extra` headers.
    async fn get_with(
        &self,
        browser: &Client,
        query: &str,
        extra: &[(header::HeaderName, &str)],
    ) -> reqwest::Response {
        let path = format!("/data-sources/{}/files/thumbnail?{query}", self.data_source);
        let mut request = browser.get(format!("{}{path}", self.app.address));
        for (name, value) in extra {
            request = request.header(name, *value);
        }
        request.send().await.unwrap()
    }

    async fn get(&self, browser: &Client, query: &str) -> reqwest::Response {
        self.get_with(browser, query, &[]).await
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
        .get_with(
            &fx.member,
            "path=harbour.png",
            &[(header::IF_NONE_MATCH, &etag)],
        )
        .await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    let fetched = fx.app.dropbox_calls("files/get_thumbnail_v2");
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
    let fetched = fx.app.dropbox_calls("files/get_thumbnail_v2");
    assert_eq!(fetched, 0);
}
