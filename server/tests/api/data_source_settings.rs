//! The data source settings that decide which files exist for Wharf — File pattern and Search in —
//! apply to every way of reaching a file; and a data source nobody authorized says so (409), it does
//! not blame credential storage.
use crate::helpers::{
    DataSourceForm, Pick, TestApp, choice, field, file_browser, refusal, spawn_app, validation,
};
use reqwest::StatusCode;
use serde_json::json;
use wharf_types::Role;

const NOT_ALLOWED: &str =
    "This file is not one of the file types this data source allows (*.pdf;*.docx).";

impl TestApp {
    /// Saves data source `id` (rooted at the account's root) with this File pattern and Search in.
    async fn save_settings(&self, id: i32, file_pattern: &str, search_scope: &str) {
        let id = id.to_string();
        let form = DataSourceForm {
            id: Some(&id),
            file_pattern,
            search_scope,
            ..Default::default()
        };
        let saved = self.save_data_source(&form).await;
        assert_eq!(
            saved.status(),
            StatusCode::OK,
            "{}",
            saved.text().await.unwrap()
        );
    }

    /// `GET /data-sources/{id}/files/{what}?path=…`: a file route of data source `id`.
    async fn file_route(&self, id: i32, what: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/data-sources/{id}/files/{what}", self.address))
            .query(&[("path", path)])
            .send()
            .await
            .unwrap()
    }

    /// The names the picker lists in the `documents` field of `form`, searching for `query`.
    async fn picked_names(&self, form: i32, query: Option<&str>) -> Vec<String> {
        let pick = Pick {
            form,
            field: "documents",
            query,
            ..Default::default()
        };
        let page = self.picked(&self.client, &pick).await;
        sorted(page.entries.into_iter().map(|e| e.entry.name))
    }
}

fn sorted(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort();
    names
}

/// A connected data source over the account's root holding a mix of file types, with File pattern
/// `*.pdf;*.docx`; returns (app, data source id).
async fn documents() -> (TestApp, i32) {
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

/// A published form whose List field `documents` browses `/Docs` of data source `ds`, sub-folders
/// included, with no extension of its own.
async fn documents_form(app: &TestApp, ds: i32) -> i32 {
    let documents = field("documents", file_browser(ds, "/Docs", &[], true), false);
    app.publish_form("Documents", json!([documents])).await
}

#[tokio::test]
async fn the_folder_browser_lists_only_files_the_pattern_allows_and_every_folder() {
    let (app, ds) = documents().await;

    let page = app.folder(ds, "Docs").await;

    assert_eq!(
        sorted(page.entries.into_iter().map(|e| e.name)),
        ["Archive", "INV-1.pdf", "Letter.DOCX"]
    );
}

#[tokio::test]
async fn a_file_the_pattern_leaves_out_is_refused_by_path_with_a_sentence() {
    let (app, ds) = documents().await;

    let refused = refusal(app.file_route(ds, "download", "Docs/Welcome.txt").await).await;
    let thumbnail = app.file_route(ds, "thumbnail", "Docs/Scan.png").await;
    let deleted = app
        .call(
            "delete_entry",
            &[("id", &ds.to_string()), ("path", "Docs/setup.exe")],
        )
        .await;
    let allowed = app.file_route(ds, "download", "Docs/INV-1.pdf").await;

    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.message, NOT_ALLOWED);
    assert_eq!(thumbnail.status(), StatusCode::FORBIDDEN);
    let deleted = refusal(deleted).await;
    assert_eq!(deleted.status, StatusCode::FORBIDDEN);
    assert_eq!(deleted.message, NOT_ALLOWED);
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.bytes().await.unwrap().as_ref(), b"content");
    // Not deleted behind the refusal: still there once the pattern allows it again.
    app.save_settings(ds, "", "AllSubfolders").await;
    assert_eq!(
        app.file_route(ds, "download", "Docs/setup.exe")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_picker_lists_searches_and_submits_only_files_the_pattern_allows() {
    let (app, ds) = documents().await;
    let form = documents_form(&app, ds).await;
    let txt = app.seed("/Docs/Welcome.txt", b"hello").await;

    let listed = app.picked_names(form, None).await;
    let found = app.picked_names(form, Some("INV")).await;
    let found_txt = app.picked_names(form, Some("notes")).await;
    let user = app.signed_in_browser("uma", &[Role::User]).await;
    let submitted = app
        .submit(
            &user,
            form,
            json!({ "documents": { "Files": [choice(ds, &txt, "Docs/Welcome.txt")] } }),
        )
        .await;

    assert_eq!(listed, ["Archive", "INV-1.pdf", "Letter.DOCX"]);
    assert_eq!(found, ["INV-1.pdf", "old-INV.pdf"]);
    assert!(found_txt.is_empty(), "{found_txt:?}");
    let refused = refusal(submitted).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.at("documents"),
        format!("“Welcome.txt”: {NOT_ALLOWED}")
    );
}

#[tokio::test]
async fn a_pattern_that_is_not_a_valid_glob_is_refused_when_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Documents").await;

    let saved = app
        .save_data_source(&DataSourceForm {
            id: Some(&id),
            file_pattern: "*.pdf;[unclosed",
            ..Default::default()
        })
        .await;

    let (field, message) = validation(saved).await;
    assert_eq!(field.as_deref(), Some("file_pattern"));
    assert!(message.contains("[unclosed"), "{message}");
}

#[tokio::test]
async fn search_in_top_folder_only_finds_only_the_folders_own_files_whatever_the_field_allows() {
    let (app, ds) = documents().await;
    let form = documents_form(&app, ds).await;

    let everywhere = app.picked_names(form, Some("INV")).await;
    app.save_settings(ds, "*.pdf; *.docx", "TopFolderOnly")
        .await;
    let top_only = app.picked_names(form, Some("INV")).await;

    assert_eq!(everywhere, ["INV-1.pdf", "old-INV.pdf"]);
    assert_eq!(top_only, ["INV-1.pdf"]);
}

#[tokio::test]
async fn a_data_source_never_authorized_answers_409_saying_so_everywhere() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id: i32 = app.new_data_source("Not yet").await.parse().unwrap();
    let sentence = "This data source is not connected to Dropbox yet. An administrator must authorize it first.";

    let browsed = refusal(app.browse_folder(id, "").await).await;
    let downloaded = refusal(app.file_route(id, "download", "a.pdf").await).await;
    let thumbnail = refusal(app.file_route(id, "thumbnail", "a.png").await).await;

    for refused in [browsed, downloaded, thumbnail] {
        assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
        assert_eq!(refused.message, sentence);
    }
}
