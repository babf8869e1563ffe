//! Metadata and file operations: folders, case-insensitive paths, ids, conflicts, delete, move, copy,
//! search, revisions, restore, temporary links and thumbnails.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_folder_then_get_metadata_is_case_insensitive() {
    let t = TestSandbox::start().await;
    let created = t
        .ok("files/create_folder_v2", json!({"path": "/Homework/Math"}))
        .await;
    assert_eq!(created["metadata"]["path_display"], "/Homework/Math");
    assert!(
        created["metadata"].get(".tag").is_none(),
        "FolderMetadata is not tagged"
    );
    let meta = t
        .ok("files/get_metadata", json!({"path": "/homework/MATH"}))
        .await;
    assert_eq!(meta[".tag"], "folder");
    assert_eq!(meta["path_lower"], "/homework/math");
    assert_eq!(meta["path_display"], "/Homework/Math");
    assert_eq!(meta["name"], "Math");
    assert!(meta["id"].as_str().unwrap().starts_with("id:"));
}

#[tokio::test]
async fn id_paths_resolve_to_the_entry() {
    let t = TestSandbox::start().await;
    let f = t.put("/docs/a.txt", b"abc").await;
    let by_id = t.ok("files/get_metadata", json!({"path": f["id"]})).await;
    assert_eq!(by_id["path_display"], "/docs/a.txt");
    let r = t
        .rpc("files/get_metadata", json!({"path": "id:doesnotexist"}))
        .await;
    assert_route_error(&r, "path/not_found");
}

#[tokio::test]
async fn file_metadata_has_dropbox_value_formats() {
    let t = TestSandbox::start().await;
    let f = t.put("/f.txt", b"hello").await;
    let rev = f["rev"].as_str().unwrap();
    assert!(
        rev.len() >= 9
            && rev
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(f["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(f["content_hash"], dropbox_sandbox::content_hash(b"hello"));
    let ts = f["server_modified"].as_str().unwrap();
    assert_eq!(ts.len(), 20);
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T');
    assert_eq!(f["size"], 5);
}

#[tokio::test]
async fn lookup_errors_have_real_error_summaries() {
    let t = TestSandbox::start().await;
    t.put("/file.txt", b"x").await;
    assert_route_error(
        &t.rpc("files/get_metadata", json!({"path": "/nope"})).await,
        "path/not_found",
    );
    assert_route_error(
        &t.rpc("files/get_metadata", json!({"path": "/a//b"})).await,
        "path/malformed_path",
    );
    assert_route_error(
        &t.rpc("files/list_folder", json!({"path": "/file.txt"}))
            .await,
        "path/not_folder",
    );
    let (r, _) = t
        .download("files/download", &json!({"path": "/nope"}), None)
        .await;
    assert_route_error(&r, "path/not_found");
}

#[tokio::test]
async fn create_folder_conflicts_and_autorenames() {
    let t = TestSandbox::start().await;
    t.ok("files/create_folder_v2", json!({"path": "/dup"}))
        .await;
    let r = t
        .rpc("files/create_folder_v2", json!({"path": "/DUP"}))
        .await;
    assert_route_error(&r, "path/conflict/folder");
    let renamed = t
        .ok(
            "files/create_folder_v2",
            json!({"path": "/dup", "autorename": true}),
        )
        .await;
    assert_eq!(renamed["metadata"]["name"], "dup (1)");
    t.put("/f.txt", b"x").await;
    assert_route_error(
        &t.rpc("files/create_folder_v2", json!({"path": "/f.txt"}))
            .await,
        "path/conflict/file",
    );
    assert_route_error(
        &t.rpc("files/create_folder_v2", json!({"path": "/f.txt/sub"}))
            .await,
        "path/conflict/file_ancestor",
    );
}

#[tokio::test]
async fn delete_returns_the_old_metadata_and_removes_children() {
    let t = TestSandbox::start().await;
    t.put("/dir/a.txt", b"1").await;
    let deleted = t.ok("files/delete_v2", json!({"path": "/DIR"})).await;
    assert_eq!(deleted["metadata"][".tag"], "folder");
    assert_route_error(
        &t.rpc("files/get_metadata", json!({"path": "/dir/a.txt"}))
            .await,
        "path/not_found",
    );
    let tomb = t
        .ok(
            "files/get_metadata",
            json!({"path": "/dir/a.txt", "include_deleted": true}),
        )
        .await;
    assert_eq!(tomb[".tag"], "deleted");
    assert_route_error(
        &t.rpc("files/delete_v2", json!({"path": "/dir"})).await,
        "path_lookup/not_found",
    );
}

#[tokio::test]
async fn move_keeps_the_id_and_reports_conflicts() {
    let t = TestSandbox::start().await;
    let a = t.put("/a.txt", b"a").await;
    t.put("/b.txt", b"b").await;
    let moved = t
        .ok(
            "files/move_v2",
            json!({"from_path": "/a.txt", "to_path": "/sub/A2.txt"}),
        )
        .await;
    assert_eq!(moved["metadata"]["path_display"], "/sub/A2.txt");
    assert_eq!(moved["metadata"]["id"], a["id"]);
    for (from, to, error) in [
        ("/sub/a2.txt", "/b.txt", "to/conflict/file"),
        ("/missing", "/x", "from_lookup/not_found"),
        ("/sub", "/sub/inner", "cant_move_folder_into_itself"),
    ] {
        let r = t
            .rpc("files/move_v2", json!({"from_path": from, "to_path": to}))
            .await;
        assert_route_error(&r, error);
    }
}

#[tokio::test]
async fn copy_duplicates_content_under_a_new_id() {
    let t = TestSandbox::start().await;
    let a = t.put("/a.txt", b"same").await;
    let c = t
        .ok(
            "files/copy_v2",
            json!({"from_path": "/a.txt", "to_path": "/copy.txt"}),
        )
        .await;
    assert_ne!(c["metadata"]["id"], a["id"]);
    assert_eq!(c["metadata"]["content_hash"], a["content_hash"]);
    let (r, body) = t
        .download("files/download", &json!({"path": "/copy.txt"}), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(body, b"same");
}

#[tokio::test]
async fn search_finds_by_name_tokens_and_pages_with_a_cursor() {
    let t = TestSandbox::start().await;
    for i in 0..3 {
        t.put(&format!("/reports/Quarterly Report {i}.pdf"), b"x")
            .await;
    }
    t.put("/other.txt", b"x").await;
    let first = t
        .ok(
            "files/search_v2",
            json!({"query": "quarterly report", "options": {"max_results": 2}}),
        )
        .await;
    assert_eq!(first["matches"].as_array().unwrap().len(), 2);
    assert_eq!(first["has_more"], true);
    assert_eq!(first["matches"][0]["metadata"][".tag"], "metadata");
    assert_eq!(first["matches"][0]["metadata"]["metadata"][".tag"], "file");
    let rest = t
        .ok(
            "files/search/continue_v2",
            json!({"cursor": first["cursor"]}),
        )
        .await;
    assert_eq!(rest["matches"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);
}

#[tokio::test]
async fn revisions_are_listed_newest_first_and_restore_brings_one_back() {
    let t = TestSandbox::start().await;
    let v1 = t.put("/doc.txt", b"one").await;
    let r = t
        .upload_call(
            "files/upload",
            &json!({"path": "/doc.txt", "mode": "overwrite"}),
            b"two".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let revs = t
        .ok("files/list_revisions", json!({"path": "/doc.txt"}))
        .await;
    assert_eq!(revs["is_deleted"], false);
    let entries = revs["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["rev"], v1["rev"]);
    let restored = t
        .ok(
            "files/restore",
            json!({"path": "/doc.txt", "rev": v1["rev"]}),
        )
        .await;
    assert_ne!(restored["rev"], v1["rev"]);
    let (_, body) = t
        .download("files/download", &json!({"path": "/doc.txt"}), None)
        .await;
    assert_eq!(body, b"one");
    let (_, old) = t
        .download(
            "files/download",
            &json!({"path": format!("rev:{}", r.json()["rev"].as_str().unwrap())}),
            None,
        )
        .await;
    assert_eq!(old, b"two");
    let bad = t
        .rpc(
            "files/restore",
            json!({"path": "/doc.txt", "rev": "123456789abc"}),
        )
        .await;
    assert_route_error(&bad, "invalid_revision");
}

#[tokio::test]
async fn deleted_file_revisions_report_is_deleted() {
    let t = TestSandbox::start().await;
    t.put("/gone.txt", b"x").await;
    t.ok("files/delete_v2", json!({"path": "/gone.txt"})).await;
    let revs = t
        .ok("files/list_revisions", json!({"path": "/gone.txt"}))
        .await;
    assert_eq!(revs["is_deleted"], true);
    assert!(revs["server_deleted"].is_string());
}

#[tokio::test]
async fn temporary_link_serves_the_file_until_it_expires() {
    let t = TestSandbox::start_with(dropbox_sandbox::SandboxConfig {
        temporary_link_ttl: std::time::Duration::from_millis(300),
        ..dropbox_sandbox::SandboxConfig::for_tests()
    })
    .await;
    t.put("/video.txt", b"stream me").await;
    let link = t
        .ok("files/get_temporary_link", json!({"path": "/video.txt"}))
        .await;
    assert_eq!(link["metadata"]["name"], "video.txt");
    let url = link["link"].as_str().unwrap();
    let resp = t.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"stream me");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert_eq!(
        t.http.get(url).send().await.unwrap().status(),
        StatusCode::GONE
    );
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn thumbnails_are_real_scaled_images() {
    let t = TestSandbox::start().await;
    t.put("/pic.png", &png(400, 200)).await;
    let arg = json!({"resource": {".tag": "path", "path": "/pic.png"}, "format": "jpeg", "size": "w64h64"});
    let (r, body) = t.download("files/get_thumbnail_v2", &arg, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let thumb = image::load_from_memory_with_format(&body, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (64, 32));
    let result: serde_json::Value =
        serde_json::from_str(&r.header("dropbox-api-result").unwrap()).unwrap();
    assert_eq!(result["file_metadata"]["name"], "pic.png");
    let png_arg = json!({"resource": {".tag": "path", "path": "/pic.png"}, "format": {".tag": "png"}, "size": {".tag": "w128h128"}});
    let (_, body) = t.download("files/get_thumbnail_v2", &png_arg, None).await;
    let thumb = image::load_from_memory_with_format(&body, image::ImageFormat::Png).unwrap();
    assert_eq!(thumb.width(), 128);
}

#[tokio::test]
async fn thumbnails_of_non_images_are_refused() {
    let t = TestSandbox::start().await;
    t.put("/notes.txt", b"text").await;
    t.put("/fake.png", b"not really a png").await;
    let arg = |p: &str| json!({"resource": {".tag": "path", "path": p}});
    let (r, _) = t
        .download("files/get_thumbnail_v2", &arg("/notes.txt"), None)
        .await;
    assert_route_error(&r, "unsupported_extension");
    let (r, _) = t
        .download("files/get_thumbnail_v2", &arg("/fake.png"), None)
        .await;
    assert_route_error(&r, "unsupported_image");
}

#[tokio::test]
async fn search_can_find_deleted_files_and_filter_by_extension() {
    let t = TestSandbox::start().await;
    t.put("/budget.xlsx", b"x").await;
    t.put("/budget.txt", b"x").await;
    t.put("/old budget.txt", b"x").await;
    t.ok("files/delete_v2", json!({"path": "/old budget.txt"}))
        .await;
    let xlsx = t
        .ok(
            "files/search_v2",
            json!({"query": "budget", "options": {"file_extensions": ["xlsx"]}}),
        )
        .await;
    assert_eq!(xlsx["matches"].as_array().unwrap().len(), 1);
    assert_eq!(
        xlsx["matches"][0]["metadata"]["metadata"]["name"],
        "budget.xlsx"
    );
    let deleted = t
        .ok(
            "files/search_v2",
            json!({"query": "budget", "options": {"file_status": "deleted"}}),
        )
        .await;
    assert_eq!(
        deleted["matches"][0]["metadata"]["metadata"][".tag"],
        "deleted"
    );
    assert_eq!(deleted["matches"].as_array().unwrap().len(), 1);
}
