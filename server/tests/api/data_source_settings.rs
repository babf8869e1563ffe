//! The data source settings that decide which files exist for Wharf — File pattern and Search in —
//! apply to every way of reaching a file; and a data source nobody authorized says so (409), it does
//! not blame credential storage.
use crate::forms::{body, choice, field, file_browser};
use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wharf_types::Role;

const NOT_ALLOWED: &str =
    "This file is not one of the file types this data source allows (*.pdf;*.docx).";

impl TestApp {
    /// Saves data source `id` (rooted at the account's root) with this File pattern and Search in.
    async fn save_settings(&self, id: i64, file_pattern: &str, search_scope: &str) {
        let id = id.to_string();
        let saved = self
            .call(
                "save_data_source",
                &[
                    ("id", id.as_str()),
                    ("kind", "Dropbox"),
                    ("display_name", "Documents"),
                    ("root_folder", ""),
                    ("file_pattern", file_pattern),
                    ("search_scope", search_scope),
                    ("space", "MyFiles"),
                ],
            )
            .await;
        assert_eq!(
            saved.status(),
            StatusCode::OK,
            "{}",
            saved.text().await.unwrap()
        );
    }

    async fn browse(&self, id: i64, folder: &str) -> reqwest::Response {
        self.call(
            "browse_folder",
            &[("id", &id.to_string()), ("folder", folder)],
        )
        .await
    }

    async fn download(&self, id: i64, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/data-sources/{id}/files/download", self.address))
            .query(&[("path", path)])
            .send()
            .await
            .unwrap()
    }

    async fn pick(&self, form: i64, query: Option<&str>) -> Value {
        let mut args = vec![
            ("form_id".to_owned(), form.to_string()),
            ("field".to_owned(), "documents".to_owned()),
        ];
        if let Some(q) = query {
            args.push(("query".to_owned(), q.to_owned()));
        }
        let r = self
            .client
            .post(format!("{}/api/pick_files", self.address))
            .form(&args)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        body(r).await
    }
}

fn names(entries: &Value, at: &str) -> Vec<String> {
    let mut v: Vec<String> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.pointer(at).unwrap().as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

/// A connected data source over the account's root holding a mix of file types, with File pattern
/// `*.pdf;*.docx`; returns (app, data source id).
async fn documents() -> (TestApp, i64) {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Documents").await;
    for path in [
        "/Docs/INV-1.pdf",
        "/Docs/Letter.DOCX",
        "/Docs/Welcome.txt",
        "/Docs/setup.exe",
        "/Docs/Budget.xlsx",
        "/Docs/Scan.png",
        "/Docs/Archive/old-INV.pdf",
        "/Docs/Archive/notes.txt",
    ] {
        app.seed(path, b"content").await;
    }
    app.save_settings(ds, "*.pdf; *.docx", "AllSubfolders")
        .await;
    (app, ds)
}

#[tokio::test]
async fn the_folder_browser_lists_only_files_the_pattern_allows_and_every_folder() {
    let (app, ds) = documents().await;

    let page = body(app.browse(ds, "Docs").await).await;

    assert_eq!(
        names(&page["entries"], "/name"),
        vec!["Archive", "INV-1.pdf", "Letter.DOCX"]
    );
}

#[tokio::test]
async fn a_file_the_pattern_leaves_out_is_refused_by_path_with_a_sentence() {
    let (app, ds) = documents().await;

    let refused = app.download(ds, "Docs/Welcome.txt").await;
    let status = refused.status();
    let sentence = body(refused).await["Forbidden"].clone();
    let thumbnail = app
        .client
        .get(format!("{}/data-sources/{ds}/files/thumbnail", app.address))
        .query(&[("path", "Docs/Scan.png")])
        .send()
        .await
        .unwrap();
    let deleted = app
        .call(
            "delete_entry",
            &[("id", &ds.to_string()), ("path", "Docs/setup.exe")],
        )
        .await;
    let allowed = app.download(ds, "Docs/INV-1.pdf").await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sentence, NOT_ALLOWED);
    assert_eq!(thumbnail.status(), StatusCode::FORBIDDEN);
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(deleted).await["Forbidden"], NOT_ALLOWED);
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.bytes().await.unwrap().as_ref(), b"content");
    // Not deleted behind the refusal: still there once the pattern allows it again.
    app.save_settings(ds, "", "AllSubfolders").await;
    assert_eq!(
        app.download(ds, "Docs/setup.exe").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_picker_lists_searches_and_submits_only_files_the_pattern_allows() {
    let (app, ds) = documents().await;
    let form = app
        .publish_form(
            "Documents",
            json!([field(
                "documents",
                file_browser(ds, "/Docs", &[], true),
                false
            )]),
        )
        .await;
    let txt = app.seed("/Docs/Welcome.txt", b"hello").await;

    let listed = app.pick(form, None).await;
    let found = app.pick(form, Some("INV")).await;
    let found_txt = app.pick(form, Some("notes")).await;
    let user = app.signed_in_browser("uma", &[Role::User]).await;
    let submitted = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": {
                "documents": { "Files": [choice(ds, &txt, "Docs/Welcome.txt")] },
            }}),
        )
        .await;

    assert_eq!(
        names(&listed["entries"], "/entry/name"),
        vec!["Archive", "INV-1.pdf", "Letter.DOCX"]
    );
    assert_eq!(
        names(&found["entries"], "/entry/name"),
        vec!["INV-1.pdf", "old-INV.pdf"]
    );
    assert!(
        found_txt["entries"].as_array().unwrap().is_empty(),
        "{found_txt}"
    );
    assert_eq!(submitted.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = body(submitted).await;
    assert_eq!(
        problem["Validation"]["fields"]["documents"],
        format!("“Welcome.txt”: {NOT_ALLOWED}")
    );
}

#[tokio::test]
async fn a_pattern_that_is_not_a_valid_glob_is_refused_when_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Documents").await;

    let saved = app
        .call(
            "save_data_source",
            &[
                ("id", id.as_str()),
                ("kind", "Dropbox"),
                ("display_name", "Documents"),
                ("root_folder", ""),
                ("file_pattern", "*.pdf;[unclosed"),
                ("search_scope", "AllSubfolders"),
                ("space", "MyFiles"),
            ],
        )
        .await;

    let (field, message) = crate::helpers::validation(saved).await;
    assert_eq!(field.as_deref(), Some("file_pattern"));
    assert!(message.contains("[unclosed"), "{message}");
}

#[tokio::test]
async fn search_in_top_folder_only_finds_only_the_folders_own_files_whatever_the_field_allows() {
    let (app, ds) = documents().await;
    let form = app
        .publish_form(
            "Documents",
            json!([field(
                "documents",
                file_browser(ds, "/Docs", &[], true),
                false
            )]),
        )
        .await;

    let everywhere = app.pick(form, Some("INV")).await;
    app.save_settings(ds, "*.pdf; *.docx", "TopFolderOnly")
        .await;
    let top_only = app.pick(form, Some("INV")).await;

    assert_eq!(
        names(&everywhere["entries"], "/entry/name"),
        vec!["INV-1.pdf", "old-INV.pdf"]
    );
    assert_eq!(
        names(&top_only["entries"], "/entry/name"),
        vec!["INV-1.pdf"]
    );
}

#[tokio::test]
async fn a_data_source_never_authorized_answers_409_saying_so_everywhere() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id: i64 = app.new_data_source("Not yet").await.parse().unwrap();
    let sentence = "This data source is not connected to Dropbox yet. An administrator must authorize it first.";

    let browsed = app.browse(id, "").await;
    let downloaded = app.download(id, "a.pdf").await;
    let thumbnail = app
        .client
        .get(format!(
            "{}/data-sources/{id}/files/thumbnail?path=a.png",
            app.address
        ))
        .send()
        .await
        .unwrap();

    assert_eq!(browsed.status(), StatusCode::CONFLICT);
    assert_eq!(body(browsed).await, json!({ "Conflict": sentence }));
    assert_eq!(downloaded.status(), StatusCode::CONFLICT);
    assert_eq!(body(downloaded).await, json!({ "Conflict": sentence }));
    assert_eq!(thumbnail.status(), StatusCode::CONFLICT);
    assert_eq!(body(thumbnail).await, json!({ "Conflict": sentence }));
}
