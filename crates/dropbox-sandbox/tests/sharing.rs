//! Shared links: create (and `shared_link_already_exists` with the existing link), list (all, by path,
//! direct only, paged by cursor), metadata, revoke, `get_shared_link_file`, and the link URLs themselves.

mod common;

use common::*;
use dropbox_sandbox::{AccountSpec, AccountType, TokenSpec};
use dropbox_sdk::sharing::{
    CreateSharedLinkWithSettingsArg, CreateSharedLinkWithSettingsError, LinkAudience,
    ListSharedLinksResult, SharedLinkAlreadyExistsMetadata, SharedLinkMetadata, SharedLinkSettings,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn share(t: &TestSandbox, path: &str) -> Value {
    t.ok(
        "sharing/create_shared_link_with_settings",
        json!({"path": path}),
    )
    .await
}

fn with_dl(url: &str, dl: &str) -> String {
    url.replace("dl=0", dl)
}

/// Another account and its token.
fn someone(t: &TestSandbox, email: &str, kind: AccountType) -> String {
    let mut spec = AccountSpec::new(email);
    spec.account_type = kind;
    let acc = t.sb.create_account(spec);
    t.sb.issue_token(TokenSpec::new(&acc.account_id))
        .unwrap()
        .access_token
}

#[tokio::test]
async fn a_file_link_has_dropbox_shape() {
    let t = TestSandbox::start().await;
    let f = t.put("/Reports/Q1 report.pdf", b"%PDF-1.4 q1").await;
    let link = share(&t, "/reports/q1 REPORT.pdf").await;
    assert_eq!(link[".tag"], "file");
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/scl/fi/", t.sb.base_url())) && url.ends_with("&dl=0"),
        "{url}"
    );
    assert!(url.contains("/Q1%20report.pdf?rlkey="), "{url}");
    assert_eq!(link["name"], "Q1 report.pdf");
    assert_eq!(link["id"], f["id"]);
    assert_eq!(link["path_lower"], "/reports/q1 report.pdf");
    assert_eq!(link["rev"], f["rev"]);
    assert_eq!(link["size"], 11);
    assert_eq!(link["client_modified"], f["client_modified"]);
    let perms = &link["link_permissions"];
    assert_eq!(perms["resolved_visibility"], json!({".tag": "public"}));
    assert_eq!(perms["requested_visibility"], json!({".tag": "public"}));
    assert_eq!(perms["effective_audience"], json!({".tag": "public"}));
    assert_eq!(perms["link_access_level"], json!({".tag": "viewer"}));
    assert_eq!(perms["can_revoke"], true);
    assert_eq!(perms["allow_download"], true);
    assert!(link.get("expires").is_none());
    let SharedLinkMetadata::File(parsed) = sdk(&link) else {
        panic!("not a file link")
    };
    assert_eq!(parsed.size, 11);
    let folder = share(&t, "/Reports").await;
    assert_eq!(folder[".tag"], "folder");
    assert!(folder["url"].as_str().unwrap().contains("/scl/fo/"));
    assert!(folder.get("size").is_none());
    assert!(matches!(sdk(&folder), SharedLinkMetadata::Folder(_)));
}

#[tokio::test]
async fn sharing_again_answers_shared_link_already_exists_with_the_existing_link() {
    let t = TestSandbox::start().await;
    t.put("/a.txt", b"a").await;
    let first = share(&t, "/a.txt").await;
    let again = t
        .rpc(
            "sharing/create_shared_link_with_settings",
            json!({"path": "/a.txt"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let body = again.json();
    assert_eq!(
        body["error_summary"],
        "shared_link_already_exists/metadata/.."
    );
    assert_eq!(body["error"][".tag"], "shared_link_already_exists");
    let existing = &body["error"]["shared_link_already_exists"];
    assert_eq!(existing[".tag"], "metadata");
    assert_eq!(existing["metadata"], first);
    let parsed: CreateSharedLinkWithSettingsError = sdk_error(&again);
    assert!(matches!(
        parsed,
        CreateSharedLinkWithSettingsError::SharedLinkAlreadyExists(Some(
            SharedLinkAlreadyExistsMetadata::Metadata(SharedLinkMetadata::File(_))
        ))
    ));
    // Settings the existing link does not have: no metadata comes back.
    let arg = CreateSharedLinkWithSettingsArg::new("/a.txt".into())
        .with_settings(SharedLinkSettings::default().with_audience(LinkAudience::NoOne));
    let different = t
        .rpc("sharing/create_shared_link_with_settings", sdk_arg(&arg))
        .await;
    assert_eq!(
        different.json(),
        json!({"error_summary": "shared_link_already_exists/..", "error": {".tag": "shared_link_already_exists"}})
    );
    let same = t
        .rpc(
            "sharing/create_shared_link_with_settings",
            json!({"path": "/a.txt", "settings": {"audience": "public"}}),
        )
        .await;
    assert_eq!(
        same.json()["error"]["shared_link_already_exists"]["metadata"]["url"],
        first["url"]
    );
}

#[tokio::test]
async fn create_refuses_missing_paths_and_settings_the_account_cannot_have() {
    let t = TestSandbox::start().await;
    t.put("/a.txt", b"a").await;
    let create = |arg: Value| t.rpc("sharing/create_shared_link_with_settings", arg);
    assert_route_error(
        &create(json!({"path": "/nope.txt"})).await,
        "path/not_found",
    );
    assert_route_error(
        &create(json!({"path": "/a.txt", "settings": {}})).await,
        "settings_error/invalid_settings",
    );
    assert_route_error(
        &create(json!({"path": "/a.txt", "settings": {"expires": "2001-01-01T00:00:00Z"}})).await,
        "settings_error/invalid_settings",
    );
    assert_route_error(
        &create(json!({"path": "/a.txt", "settings": {"expires": "2999-01-01T00:00:00Z"}})).await,
        "settings_error/not_authorized",
    );
    assert_route_error(
        &create(json!({"path": "/a.txt", "settings": {"require_password": true}})).await,
        "settings_error/invalid_settings",
    );
    let bad = create(json!({"path": "/a.txt", "settings": {"audience": "everybody"}})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_pro_account_can_set_a_password_and_an_expiry() {
    let t = TestSandbox::start().await;
    let pro = someone(&t, "pro@example.com", AccountType::Pro);
    let up = t.upload_as(&pro, "/secret.txt", b"s3cret").await;
    assert_eq!(up.status, StatusCode::OK);
    let link = t
        .rpc_as(
            &pro,
            "sharing/create_shared_link_with_settings",
            json!({"path": "/secret.txt", "settings": {
                "require_password": true, "link_password": "pw",
                "expires": "2999-01-01T00:00:00Z", "allow_download": true}}),
        )
        .await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.text);
    let link = link.json();
    assert_eq!(link["expires"], "2999-01-01T00:00:00Z");
    assert_eq!(link["link_permissions"]["require_password"], true);
    assert_eq!(
        link["link_permissions"]["resolved_visibility"],
        json!({".tag": "password"})
    );
    let url = link["url"].as_str().unwrap();
    // Someone else needs the password.
    let meta = |password: Option<&str>| {
        let mut arg = json!({"url": url});
        if let Some(p) = password {
            arg["link_password"] = json!(p);
        }
        t.rpc("sharing/get_shared_link_metadata", arg)
    };
    assert_route_error(&meta(None).await, "shared_link_access_denied");
    assert_route_error(&meta(Some("wrong")).await, "shared_link_access_denied");
    let seen = meta(Some("pw")).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    let seen = seen.json();
    assert!(
        seen.get("path_lower").is_none(),
        "only the owner sees the path"
    );
    assert_eq!(seen["link_permissions"]["can_revoke"], false);
    assert_eq!(
        seen["link_permissions"]["revoke_failure_reason"],
        json!({".tag": "owner_only"})
    );
    let page = t.http.get(with_dl(url, "dl=1")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let file = t
        .http
        .get(format!("{}&password=pw", with_dl(url, "dl=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"s3cret");
}

#[tokio::test]
async fn list_shared_links_by_owner_path_and_direct_only() {
    let t = TestSandbox::start().await;
    t.put("/docs/a.txt", b"a").await;
    t.put("/docs/b.txt", b"b").await;
    let folder = share(&t, "/docs").await;
    let a = share(&t, "/docs/a.txt").await;
    let all = t.ok("sharing/list_shared_links", json!({})).await;
    assert_eq!(all["links"], json!([folder, a]));
    assert_eq!(all["has_more"], false);
    assert!(all["cursor"].is_string());
    let parsed: ListSharedLinksResult = sdk(&all);
    assert_eq!(parsed.links.len(), 2);

    let for_a = t
        .ok("sharing/list_shared_links", json!({"path": "/docs/a.txt"}))
        .await;
    let urls: Vec<&Value> = for_a["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["url"])
        .collect();
    assert_eq!(urls, vec![&folder["url"], &a["url"]]);
    assert!(for_a.get("cursor").is_none(), "no cursor with a path");
    let direct = t
        .ok(
            "sharing/list_shared_links",
            json!({"path": "/docs/a.txt", "direct_only": true}),
        )
        .await;
    assert_eq!(direct["links"], json!([a]));
    let b = t
        .ok(
            "sharing/list_shared_links",
            json!({"path": "/docs/b.txt", "direct_only": true}),
        )
        .await;
    assert_eq!(b["links"], json!([]));
    assert_route_error(
        &t.rpc("sharing/list_shared_links", json!({"path": "/nope"}))
            .await,
        "path/not_found",
    );
    // Another account has its own links.
    let other = someone(&t, "o@example.com", AccountType::Basic);
    let theirs = t
        .rpc_as(&other, "sharing/list_shared_links", json!({}))
        .await;
    assert_eq!(theirs.json()["links"], json!([]));
    let stolen = t
        .rpc_as(
            &other,
            "sharing/list_shared_links",
            json!({"cursor": all["cursor"]}),
        )
        .await;
    assert_route_error(&stolen, "reset");
}

#[tokio::test]
async fn list_shared_links_pages_with_a_cursor() {
    let t = TestSandbox::start().await;
    let n = dropbox_sandbox::state::sharing::LIST_PAGE + 1;
    for i in 0..n {
        t.sb.seed_file(&t.account.account_id, &format!("/many/{i:03}.txt"), b"x")
            .await
            .unwrap();
        share(&t, &format!("/many/{i:03}.txt")).await;
    }
    let first = t.ok("sharing/list_shared_links", json!({})).await;
    assert_eq!(first["links"].as_array().unwrap().len(), n - 1);
    assert_eq!(first["has_more"], true);
    let rest = t
        .ok(
            "sharing/list_shared_links",
            json!({"cursor": first["cursor"]}),
        )
        .await;
    assert_eq!(rest["links"].as_array().unwrap().len(), 1);
    assert_eq!(rest["links"][0]["name"], format!("{:03}.txt", n - 1));
    assert_eq!(rest["has_more"], false);
}

#[tokio::test]
async fn metadata_and_revoke_by_url() {
    let t = TestSandbox::start().await;
    t.put("/d/inner.txt", b"inner").await;
    let link = share(&t, "/d").await;
    let url = link["url"].as_str().unwrap();
    let meta = t
        .ok("sharing/get_shared_link_metadata", json!({"url": url}))
        .await;
    assert_eq!(meta, link);
    let child = t
        .ok(
            "sharing/get_shared_link_metadata",
            json!({"url": url, "path": "/inner.txt"}),
        )
        .await;
    assert_eq!(child[".tag"], "file");
    assert_eq!(child["name"], "inner.txt");
    assert_eq!(child["url"], link["url"]);
    assert_route_error(
        &t.rpc(
            "sharing/get_shared_link_metadata",
            json!({"url": format!("{}/scl/fi/nope/x.txt?rlkey=k&dl=0", t.sb.base_url())}),
        )
        .await,
        "shared_link_not_found",
    );
    let other = someone(&t, "o@example.com", AccountType::Basic);
    assert_route_error(
        &t.rpc_as(&other, "sharing/revoke_shared_link", json!({"url": url}))
            .await,
        "shared_link_access_denied",
    );
    assert_route_error(
        &t.rpc("sharing/revoke_shared_link", json!({"url": "not a link"}))
            .await,
        "shared_link_malformed",
    );
    let revoked = t
        .rpc("sharing/revoke_shared_link", json!({"url": url}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(revoked.text, "null");
    assert_route_error(
        &t.rpc("sharing/get_shared_link_metadata", json!({"url": url}))
            .await,
        "shared_link_not_found",
    );
    assert_eq!(
        t.http.get(url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.ok("sharing/list_shared_links", json!({})).await["links"],
        json!([])
    );
    let new = share(&t, "/d").await;
    assert_ne!(new["url"], link["url"]);
}

#[tokio::test]
async fn the_link_url_serves_a_page_and_the_content() {
    let t = TestSandbox::start().await;
    t.put("/notes.txt", b"hello from a link").await;
    let link = share(&t, "/notes.txt").await;
    let url = link["url"].as_str().unwrap();
    let page = t.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("notes.txt"));
    let dl = t.http.get(with_dl(url, "dl=1")).send().await.unwrap();
    assert_eq!(dl.status(), StatusCode::OK);
    assert_eq!(
        dl.headers()["content-disposition"],
        "attachment; filename=\"notes.txt\""
    );
    assert_eq!(dl.bytes().await.unwrap().as_ref(), b"hello from a link");
    let raw = t.http.get(with_dl(url, "raw=1")).send().await.unwrap();
    assert!(
        raw.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let part = t
        .http
        .get(with_dl(url, "dl=1"))
        .header("Range", "bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"hello");
    // The link follows the file; a wrong rlkey finds nothing.
    t.ok(
        "files/move_v2",
        json!({"from_path": "/notes.txt", "to_path": "/moved/notes.txt"}),
    )
    .await;
    let after_move = t.http.get(with_dl(url, "dl=1")).send().await.unwrap();
    assert_eq!(
        after_move.bytes().await.unwrap().as_ref(),
        b"hello from a link"
    );
    let rlkey = url
        .split("rlkey=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let wrong = url.replace(rlkey, "wrongkey");
    assert_eq!(
        t.http.get(&wrong).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    t.ok("files/delete_v2", json!({"path": "/moved/notes.txt"}))
        .await;
    assert_eq!(
        t.http.get(url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_folder_link_lists_its_files_and_serves_them_by_path() {
    let t = TestSandbox::start().await;
    t.put("/album/one.txt", b"1").await;
    t.put("/album/two.txt", b"2").await;
    let link = share(&t, "/album").await;
    let url = link["url"].as_str().unwrap();
    let html = t.http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("one.txt") && html.contains("two.txt"),
        "{html}"
    );
    let two = t
        .http
        .get(format!("{}&path=/two.txt", with_dl(url, "dl=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(two.bytes().await.unwrap().as_ref(), b"2");
    let zip = t.http.get(with_dl(url, "dl=1")).send().await.unwrap();
    assert_eq!(zip.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_shared_link_file_downloads_through_the_api() {
    let t = TestSandbox::start().await;
    t.put("/dir/f.bin", b"via api").await;
    let file_link = share(&t, "/dir/f.bin").await;
    let dir_link = share(&t, "/dir").await;
    let get = |arg: Value| {
        t.http
            .post(t.url("/2/sharing/get_shared_link_file"))
            .bearer_auth(&t.token)
            .header("Dropbox-API-Arg", arg.to_string())
            .send()
    };
    let resp = get(json!({"url": file_link["url"]})).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let result: Value =
        serde_json::from_str(resp.headers()["dropbox-api-result"].to_str().unwrap()).unwrap();
    assert_eq!(result, file_link);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"via api");
    let inner = get(json!({"url": dir_link["url"], "path": "/f.bin"}))
        .await
        .unwrap();
    assert_eq!(inner.bytes().await.unwrap().as_ref(), b"via api");
    let dir = get(json!({"url": dir_link["url"]})).await.unwrap();
    assert_eq!(dir.status(), StatusCode::CONFLICT);
    let body: Value = dir.json().await.unwrap();
    assert_eq!(body["error_summary"], "shared_link_is_directory/..");
}
