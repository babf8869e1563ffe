//! Forms end to end over HTTP: a designer builds and publishes a form with a List field bound to a
//! Dropbox data source, people page through its files and submit; what is stored is what Dropbox has.
use crate::helpers::{Pick, choice, decoded, field, file_browser, refusal, spawn_app, validation};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wharf_types::Role;
use wharf_types::forms::{FieldValue, FileChoice, UploadReceipt};

/// The files a submission stored for `field`.
fn files_of(value: Option<&FieldValue>) -> &[FileChoice] {
    match value {
        Some(FieldValue::Files(files)) => files,
        other => panic!("no files stored: {other:?}"),
    }
}

#[tokio::test]
async fn a_person_pages_through_a_big_folder_picks_two_pdfs_and_the_submission_keeps_them() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Archive").await;
    for n in 0..450 {
        app.seed(&format!("/Archive/Invoices/INV-{n:05}.pdf"), b"%PDF")
            .await;
    }
    app.seed("/Archive/Invoices/setup.exe", b"MZ").await;
    let q1 = app.seed("/Archive/Invoices/2026/Q1.pdf", b"%PDF q1").await;
    let inv7 = app.seed("/Archive/Invoices/INV-00007.pdf", b"%PDF 7").await;
    app.seed("/Archive/Other/secret.pdf", b"%PDF secret").await;
    let form = app
        .publish_form(
            "Invoice approval",
            json!([
                field("note", json!("Text"), true),
                field(
                    "invoices",
                    file_browser(ds, "/Archive/Invoices", &["pdf"], true),
                    true
                ),
            ]),
        )
        .await;
    let user = app.signed_in_browser("uma", &[Role::User]).await;
    let invoices = Pick {
        form,
        field: "invoices",
        ..Default::default()
    };

    // Paging on Dropbox's cursor: 450 files + 1 .exe + 1 folder = 452 entries in three pages.
    let mut names = Vec::new();
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let page = app
            .picked(
                &user,
                &Pick {
                    next: next.as_deref(),
                    ..invoices
                },
            )
            .await;
        pages += 1;
        for e in &page.entries {
            names.push(e.entry.name.clone());
            if e.entry.name == "setup.exe" {
                assert_eq!(
                    e.refusal.as_deref(),
                    Some("Only .pdf files can be chosen here.")
                );
            }
        }
        next = page.next;
        if next.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 452);
    assert!(!names.iter().any(|n| n == "secret.pdf"));

    // Into a sub-folder, and a search below the field's folder only.
    let in_folder = |folder: &'static str| Pick {
        folder: Some(folder),
        ..invoices
    };
    let sub = app.picked(&user, &in_folder("Archive/Invoices/2026")).await;
    assert_eq!(sub.entries[0].entry.name, "Q1.pdf");
    let outside = app.pick_files(&user, &in_folder("Archive/Other")).await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let search = Pick {
        query: Some("secret"),
        ..invoices
    };
    assert!(app.picked(&user, &search).await.entries.is_empty());

    // Submit two PDFs: stored with what Dropbox has now (size, rev), not what the browser said.
    let submitted = app
        .submit(
            &user,
            form,
            json!({
                "note": { "Text": "two invoices" },
                "invoices": { "Files": [
                    choice(ds, &inv7, "Archive/Invoices/INV-00007.pdf"),
                    choice(ds, &q1, "Archive/Invoices/2026/Q1.pdf"),
                ]},
            }),
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::OK);
    let list = app.submissions(form).await;
    assert_eq!(list.submissions.total, 1);
    let files = files_of(list.submissions.rows[0].values.get("invoices"));
    assert_eq!(files[0].name, "INV-00007.pdf");
    assert_eq!(files[0].size, Some(6));
    assert!(files[0].rev.is_some());
    assert_eq!(files[1].path, "Archive/Invoices/2026/Q1.pdf");
    assert_eq!(files[1].value, "/Archive/Invoices/2026/Q1.pdf");
    assert_eq!(
        list.submissions.rows[0].submitted_by.as_deref(),
        Some("uma")
    );

    // The listed download link streams the file through Wharf.
    let download = app
        .get_page(&app::urls::file_download(
            ds,
            "/Archive/Invoices/INV-00007.pdf",
        ))
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"%PDF 7");
}

#[tokio::test]
async fn a_submission_that_does_not_fit_the_form_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Archive").await;
    let exe = app.seed("/In/setup.exe", b"MZ").await;
    let pdf = app.seed("/In/a.pdf", b"%PDF").await;
    let deep = app.seed("/In/sub/b.pdf", b"%PDF").await;
    let outside = app.seed("/Out/c.pdf", b"%PDF").await;
    let form = app
        .publish_form(
            "Strict",
            json!([
                field("amount", json!("Number"), true),
                field("files", file_browser(ds, "/In", &["pdf"], false), false),
            ]),
        )
        .await;
    let user = app.signed_in_browser("sam", &[Role::User]).await;
    let with_file = |id: &str, path: &str| json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, id, path)] } });

    let cases = [
        (json!({}), "amount", "AMOUNT is required."),
        (
            json!({ "amount": { "Text": "x" } }),
            "amount",
            "got a value of the wrong kind",
        ),
        (
            json!({ "amount": { "Number": 1 }, "nope": { "Text": "x" } }),
            "nope",
            "no such field",
        ),
        (with_file(&exe, "In/setup.exe"), "files", "Only .pdf files"),
        (
            with_file(&deep, "In/sub/b.pdf"),
            "files",
            "not in the folder",
        ),
        (
            with_file(&outside, "Out/c.pdf"),
            "files",
            "not in the folder",
        ),
        (
            with_file(&pdf, "In/../Out/c.pdf"),
            "files",
            "not in the folder",
        ),
        (with_file(&outside, "In/a.pdf"), "files", "was replaced"),
        (
            with_file(&pdf, "In/gone.pdf"),
            "files",
            "no longer in Dropbox",
        ),
    ];
    for (values, field, sentence) in cases {
        let refused = refusal(app.submit(&user, form, values.clone()).await).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{values}");
        assert!(
            refused.at(field).contains(sentence),
            "{values}: {refused:?}"
        );
    }
    // Several problems at once: every one comes back, each at its own field.
    let refused = refusal(
        app.submit(
            &user,
            form,
            json!({
                "amount": { "Text": "x" },
                "nope": { "Text": "x" },
                "files": { "Files": [choice(ds, &exe, "In/setup.exe")] },
            }),
        )
        .await,
    )
    .await;
    assert!(refused.at("amount").contains("wrong kind"), "{refused:?}");
    assert!(refused.at("nope").contains("no such field"), "{refused:?}");
    assert!(
        refused.at("files").contains("Only .pdf files"),
        "{refused:?}"
    );
    assert_eq!(app.submissions(form).await.submissions.total, 0);

    // The same person, with values that fit, gets through.
    let ok = app
        .submit(
            &user,
            form,
            json!({ "amount": { "Number": 12.5 }, "files": { "Files": [choice(ds, &pdf, "In/a.pdf")] } }),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_person_who_is_not_a_connection_user_is_told_why_the_field_refuses() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Private").await;
    let pdf = app.seed("/a.pdf", b"%PDF").await;
    app.create_user("insider", &[Role::User]).await;
    let form = app
        .publish_form(
            "Private files",
            json!([field("files", file_browser(ds, "", &[], true), false)]),
        )
        .await;
    let insider = app.user_id_of("insider").await;
    let saved = app
        .call(
            "save_data_source_security",
            &[
                ("id", &ds.to_string()),
                ("users[0][User]", &insider),
                ("read_only", "false"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let outsider = app.signed_in_browser("outsider", &[Role::User]).await;

    let fillable = app.fillable_form(&outsider, form).await;
    assert!(
        fillable.refusals["files"].contains("not one of the connection users"),
        "{:?}",
        fillable.refusals
    );
    let files = Pick {
        form,
        field: "files",
        ..Default::default()
    };
    let listing = app.pick_files(&outsider, &files).await;
    assert_eq!(listing.status(), StatusCode::FORBIDDEN);
    let submit = app
        .submit(
            &outsider,
            form,
            json!({ "files": { "Files": [choice(ds, &pdf, "a.pdf")] } }),
        )
        .await;
    assert_eq!(submit.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn people_fill_the_published_version_while_the_designer_edits_the_draft() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app
        .publish_form("Versions", json!([field("first", json!("Text"), true)]))
        .await;
    let edited = app
        .save_form(
            form,
            "Versions",
            json!([
                field("first", json!("Text"), true),
                field("second", json!("Date"), true),
            ]),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let user = app.signed_in_browser("vic", &[Role::User]).await;
    let fillable = app.fillable_form(&user, form).await;
    assert_eq!(fillable.definition.fields.len(), 1);
    assert_eq!(fillable.version, 1);
    let preview = app
        .call_from(
            &user,
            "get_fillable_form",
            &[("id", &form.to_string()), ("preview", "true")],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::FORBIDDEN);
    let ok = app
        .submit(&user, form, json!({ "first": { "Text": "v1" } }))
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_definition_with_problems_is_refused_with_the_field_it_concerns_and_not_saved() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app
        .publish_form("Checked", json!([field("ok", json!("Text"), false)]))
        .await;
    for (fields, at, sentence) in [
        (
            json!([
                field("a", json!("Text"), false),
                field("A", json!("Text"), false)
            ]),
            "field-1",
            "already named",
        ),
        (
            json!([field("1st", json!("Text"), false)]),
            "field-0",
            "cannot be a field name",
        ),
        (
            json!([field("f", file_browser(999, "", &[], true), false)]),
            "field-0",
            "no longer exists",
        ),
        (
            json!([field("f", file_browser(1, "/../x", &[], true), false)]),
            "field-0",
            "..",
        ),
    ] {
        let (field, message) =
            validation(app.save_form(form, "Checked", fields.clone()).await).await;
        assert_eq!(field.as_deref(), Some(at), "{fields}: {message}");
        assert!(message.contains(sentence), "{fields}: {message}");
    }
    let view = app.form(form).await;
    assert_eq!(view.draft.fields[0].name, "ok");
    assert!(!view.row.unpublished_changes);
}

#[tokio::test]
async fn uploaded_files_go_in_with_the_submission_once_and_are_listed_with_a_download() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app
        .publish_form(
            "Receipts",
            json!([field(
                "receipt",
                json!({"FileUpload": {"save_to": "Wharf"}}),
                true
            )]),
        )
        .await;
    let user = app.signed_in_browser("ria", &[Role::User]).await;
    let receipt: UploadReceipt = decoded(
        user.post(format!(
            "{}/forms/{form}/uploads/receipt?name=taxi.txt",
            app.address
        ))
        .header("Content-Type", "text/plain")
        .body("taxi 12.50 EUR")
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(receipt.name, "taxi.txt");
    assert_eq!(receipt.size, 14);
    let with_tokens = |token: &str| json!({ "receipt": { "UploadTokens": [token] } });

    // A token is not a value the browser can invent: a forged one is refused, nothing stored.
    let forged = refusal(app.submit(&user, form, with_tokens(&"0".repeat(64))).await).await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!forged.at("receipt").is_empty());
    // Nor can it send what a submission stores.
    let stored_shape = app
        .submit(
            &user,
            form,
            json!({ "receipt": { "Uploads": [{ "id": 1, "name": "x", "size": 1 }] } }),
        )
        .await;
    assert_eq!(stored_shape.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ok = app.submit(&user, form, with_tokens(&receipt.token)).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let again = app.submit(&user, form, with_tokens(&receipt.token)).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let list = app.submissions(form).await;
    assert_eq!(list.submissions.total, 1);
    let Some(FieldValue::Uploads(uploaded)) = list.submissions.rows[0].values.get("receipt") else {
        panic!("no uploads stored: {:?}", list.submissions.rows[0].values);
    };
    assert_eq!(uploaded[0].name, "taxi.txt");
    assert_eq!(uploaded[0].size, 14);
    let download = app.get_page(&format!("/uploads/{}", uploaded[0].id)).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"taxi 12.50 EUR");
}

#[tokio::test]
async fn manual_lists_dates_and_numbers_take_only_what_the_form_allows() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let manual = |options: &[&str], format: Value| json!({ "List": { "source": { "Manual": { "options": options } }, "format": format } });
    let form = app
        .publish_form(
            "Triage",
            json!([
                field(
                    "priority",
                    manual(&["Low", "High"], json!("RadioList")),
                    true
                ),
                field(
                    "tags",
                    manual(&["red", "green", "blue"], json!("CheckboxList")),
                    false
                ),
                field("due", json!("Date"), false),
                field("amount", json!("Number"), false),
            ]),
        )
        .await;
    let user = app.signed_in_browser("tia", &[Role::User]).await;
    for (values, field, sentence) in [
        (
            json!({ "priority": { "Options": ["Urgent"] } }),
            "priority",
            "“Urgent” is not one of the options.",
        ),
        (
            json!({ "priority": { "Options": ["Low", "High"] } }),
            "priority",
            "Choose one option.",
        ),
        (
            json!({ "priority": { "Options": ["Low"] }, "due": { "Date": "2026-02-30" } }),
            "due",
            "Enter a date as YYYY-MM-DD.",
        ),
        (
            json!({ "priority": { "Options": ["Low"] }, "tags": { "Files": [choice(1, "id:x", "a.pdf")] } }),
            "tags",
            "wrong kind",
        ),
    ] {
        let refused = refusal(app.submit(&user, form, values.clone()).await).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{values}");
        assert!(
            refused.at(field).contains(sentence),
            "{values}: {refused:?}"
        );
    }
    let ok = app
        .submit(
            &user,
            form,
            json!({
                "priority": { "Options": ["High"] },
                "tags": { "Options": ["red", "blue"] },
                "due": { "Date": "2026-12-24" },
                "amount": { "Number": 1250.5 },
            }),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let list = app.submissions(form).await;
    let values = &list.submissions.rows[0].values;
    assert_eq!(
        values["tags"],
        FieldValue::Options(vec!["red".into(), "blue".into()])
    );
    assert_eq!(values["due"], FieldValue::Date("2026-12-24".into()));
    assert_eq!(values["amount"], FieldValue::Number(1250.5));
}
