//! Forms end to end over HTTP: a designer builds and publishes a form with a List field bound to a
//! Dropbox data source, people page through its files and submit; what is stored is what Dropbox has.
use crate::helpers::{TestApp, spawn_app};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use wharf_types::Role;

pub(crate) async fn body(r: Response) -> Value {
    r.json().await.unwrap()
}

impl TestApp {
    pub(crate) async fn call_json(
        &self,
        browser: &reqwest::Client,
        endpoint: &str,
        args: Value,
    ) -> Response {
        browser
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .json(&args)
            .send()
            .await
            .expect("request sent")
    }

    /// A connected data source (the sandbox's first account) named `name`; returns its id.
    pub(crate) async fn connected_data_source(&self, name: &str) -> i64 {
        let id = self.new_data_source(name).await;
        let callback = self.authorize_on_dropbox(&id, "allow").await;
        assert_eq!(
            self.get_page(&callback).await.status(),
            StatusCode::SEE_OTHER
        );
        id.parse().unwrap()
    }

    /// Seeds `path` with `content`; returns Dropbox's file id.
    pub(crate) async fn seed(&self, path: &str, content: &[u8]) -> String {
        let account = self.sandbox().accounts()[0].account_id.clone();
        let m = self
            .sandbox()
            .seed_file(&account, path, content)
            .await
            .unwrap();
        m["id"].as_str().unwrap().to_owned()
    }

    /// Creates, saves and publishes a form as the signed-in administrator; returns its id.
    pub(crate) async fn publish_form(&self, title: &str, fields: Value) -> i64 {
        let created = self.call("create_form", &[("title", title)]).await;
        assert_eq!(created.status(), StatusCode::OK);
        let id = body(created).await.as_i64().unwrap();
        let saved = self
            .call_json(
                &self.client,
                "save_form",
                json!({ "id": id, "title": title, "draft": { "fields": fields } }),
            )
            .await;
        assert_eq!(
            saved.status(),
            StatusCode::OK,
            "{}",
            saved.text().await.unwrap()
        );
        let published = self.call("publish_form", &[("id", &id.to_string())]).await;
        assert_eq!(published.status(), StatusCode::OK);
        id
    }

    pub(crate) async fn signed_in_browser(&self, name: &str, roles: &[Role]) -> reqwest::Client {
        self.create_user(name, roles).await;
        let browser = self.another_browser();
        let r = self
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
        assert_eq!(r.status(), StatusCode::OK);
        browser
    }
}

pub(crate) fn field(name: &str, kind: Value, required: bool) -> Value {
    json!({
        "title": name.to_uppercase(), "name": name, "help": "", "required": required,
        "enabled": true, "visible": true, "kind": kind,
    })
}

pub(crate) fn file_browser(
    data_source: i64,
    folder: &str,
    extensions: &[&str],
    subfolders: bool,
) -> Value {
    json!({ "List": {
        "source": { "DataSource": {
            "data_source_id": data_source,
            "display_field": "Name", "value_field": "Path",
            "sort_by": "Name", "direction": "Ascending",
            "folder": folder, "extensions": extensions,
            "include_subfolders": subfolders, "show_folders": false, "max_size": null,
        }},
        "format": "FileBrowser",
    }})
}

pub(crate) fn choice(data_source: i64, id: &str, path: &str) -> Value {
    json!({
        "data_source_id": data_source, "id": id, "path": path, "rev": null,
        "name": path.rsplit('/').next().unwrap(), "size": null, "value": "",
    })
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
    let pick = |folder: &str, query: Option<&str>, next: Option<&str>| {
        let mut args = vec![
            ("form_id".to_owned(), form.to_string()),
            ("field".to_owned(), "invoices".to_owned()),
            ("folder".to_owned(), folder.to_owned()),
        ];
        if let Some(q) = query {
            args.push(("query".into(), q.into()));
        }
        if let Some(n) = next {
            args.push(("next".into(), n.into()));
        }
        let user = user.clone();
        let address = app.address.clone();
        async move {
            user.post(format!("{address}/api/pick_files"))
                .form(&args)
                .send()
                .await
                .unwrap()
        }
    };

    // Paging on Dropbox's cursor: 450 files + 1 .exe + 1 folder = 452 entries in three pages.
    let mut names = Vec::new();
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let r = pick("", None, next.as_deref()).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = body(r).await;
        pages += 1;
        for e in page["entries"].as_array().unwrap() {
            names.push(e["entry"]["name"].as_str().unwrap().to_owned());
            if e["entry"]["name"] == "setup.exe" {
                assert_eq!(e["refusal"], "Only .pdf files can be chosen here.");
            }
        }
        next = page["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 452);
    assert!(!names.iter().any(|n| n == "secret.pdf"));

    // Into a sub-folder, and a search below the field's folder only.
    let sub = body(pick("Archive/Invoices/2026", None, None).await).await;
    assert_eq!(sub["entries"][0]["entry"]["name"], "Q1.pdf");
    let outside = pick("Archive/Other", None, None).await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let found = body(pick("", Some("secret"), None).await).await;
    assert_eq!(found["entries"].as_array().unwrap().len(), 0);

    // Submit two PDFs: stored with what Dropbox has now (size, rev), not what the browser said.
    let submitted = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": {
                "note": { "Text": "two invoices" },
                "invoices": { "Files": [
                    choice(ds, &inv7, "Archive/Invoices/INV-00007.pdf"),
                    choice(ds, &q1, "Archive/Invoices/2026/Q1.pdf"),
                ]},
            }}),
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::OK);
    let list = body(
        app.call("list_submissions", &[("id", &form.to_string())])
            .await,
    )
    .await;
    assert_eq!(list["total"], 1);
    let files = &list["rows"][0]["values"]["invoices"]["Files"];
    assert_eq!(files[0]["name"], "INV-00007.pdf");
    assert_eq!(files[0]["size"], 6);
    assert!(files[0]["rev"].is_string());
    assert_eq!(files[1]["path"], "Archive/Invoices/2026/Q1.pdf");
    assert_eq!(files[1]["value"], "/Archive/Invoices/2026/Q1.pdf");
    assert_eq!(list["rows"][0]["submitted_by"], "uma");

    // The listed download link streams the file through Wharf.
    let download = app
        .client
        .get(format!(
            "{}/data-sources/{ds}/files/download?path=Archive%2FInvoices%2FINV-00007.pdf",
            app.address
        ))
        .send()
        .await
        .unwrap();
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
    let submit = |values: Value| {
        app.call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": values }),
        )
    };

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
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &exe, "In/setup.exe")] } }),
            "files",
            "Only .pdf files",
        ),
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &deep, "In/sub/b.pdf")] } }),
            "files",
            "not in the folder",
        ),
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &outside, "Out/c.pdf")] } }),
            "files",
            "not in the folder",
        ),
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &pdf, "In/../Out/c.pdf")] } }),
            "files",
            "not in the folder",
        ),
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &outside, "In/a.pdf")] } }),
            "files",
            "was replaced",
        ),
        (
            json!({ "amount": { "Number": 1 }, "files": { "Files": [choice(ds, &pdf, "In/gone.pdf")] } }),
            "files",
            "no longer in Dropbox",
        ),
    ];
    for (values, field, sentence) in cases {
        let r = submit(values.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{values}");
        let answer = body(r).await;
        assert!(
            refusal_at(&answer, field).contains(sentence),
            "{values}: {answer}"
        );
    }
    // Several problems at once: every one comes back, each at its own field.
    let answer = body(
        submit(json!({
            "amount": { "Text": "x" },
            "nope": { "Text": "x" },
            "files": { "Files": [choice(ds, &exe, "In/setup.exe")] },
        }))
        .await,
    )
    .await;
    assert!(
        refusal_at(&answer, "amount").contains("wrong kind"),
        "{answer}"
    );
    assert!(
        refusal_at(&answer, "nope").contains("no such field"),
        "{answer}"
    );
    assert!(
        refusal_at(&answer, "files").contains("Only .pdf files"),
        "{answer}"
    );
    let list = body(
        app.call("list_submissions", &[("id", &form.to_string())])
            .await,
    )
    .await;
    assert_eq!(list["total"], 0);

    // The same person, with values that fit, gets through.
    let ok = submit(json!({ "amount": { "Number": 12.5 }, "files": { "Files": [choice(ds, &pdf, "In/a.pdf")] } })).await;
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
    let insider = crate::authorization_matrix::user_id(&app, "insider").await;
    let saved = app
        .call(
            "save_data_source_security",
            &[
                ("id", &ds.to_string()),
                ("users[0][User]", &insider.to_string()),
                ("read_only", "false"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let outsider = app.signed_in_browser("outsider", &[Role::User]).await;

    let fillable = body(
        app.call_from(&outsider, "get_fillable_form", &[("id", &form.to_string())])
            .await,
    )
    .await;
    assert!(
        fillable["refusals"]["files"]
            .as_str()
            .unwrap()
            .contains("not one of the connection users")
    );
    let listing = app
        .call_from(
            &outsider,
            "pick_files",
            &[("form_id", &form.to_string()), ("field", "files")],
        )
        .await;
    assert_eq!(listing.status(), StatusCode::FORBIDDEN);
    let submit = app
        .call_json(
            &outsider,
            "submit_form",
            json!({ "id": form, "values": { "files": { "Files": [choice(ds, &pdf, "a.pdf")] } } }),
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
        .call_json(
            &app.client,
            "save_form",
            json!({ "id": form, "title": "Versions", "draft": { "fields": [
                field("first", json!("Text"), true), field("second", json!("Date"), true),
            ]}}),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let user = app.signed_in_browser("vic", &[Role::User]).await;
    let fillable = body(
        app.call_from(&user, "get_fillable_form", &[("id", &form.to_string())])
            .await,
    )
    .await;
    assert_eq!(
        fillable["definition"]["fields"].as_array().unwrap().len(),
        1
    );
    assert_eq!(fillable["version"], 1);
    let preview = app
        .call_from(
            &user,
            "get_fillable_form",
            &[("id", &form.to_string()), ("preview", "true")],
        )
        .await;
    assert_eq!(preview.status(), StatusCode::FORBIDDEN);
    let ok = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": { "first": { "Text": "v1" } } }),
        )
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
    let save = |fields: Value| {
        app.call_json(
            &app.client,
            "save_form",
            json!({ "id": form, "title": "Checked", "draft": { "fields": fields } }),
        )
    };
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
        let r = save(fields.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields}");
        let answer = body(r).await;
        assert!(
            answer["Validation"]["fields"][at]
                .as_str()
                .unwrap()
                .contains(sentence),
            "{answer}"
        );
    }
    let view = body(app.call("get_form", &[("id", &form.to_string())]).await).await;
    assert_eq!(view["draft"]["fields"][0]["name"], "ok");
    assert_eq!(view["row"]["unpublished_changes"], false);
}

#[tokio::test]
async fn uploaded_files_go_in_with_the_submission_once_and_are_listed_with_a_download() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app
        .publish_form(
            "Receipts",
            json!([field("receipt", json!("FileUpload"), true)]),
        )
        .await;
    let user = app.signed_in_browser("ria", &[Role::User]).await;
    let upload = |name: &str, body: &'static [u8]| {
        user.post(format!(
            "{}/forms/{form}/uploads/receipt?name={name}",
            app.address
        ))
        .header("Content-Type", "text/plain")
        .body(body)
        .send()
    };
    let receipt = body(upload("taxi.txt", b"taxi 12.50 EUR").await.unwrap()).await;
    assert_eq!(receipt["name"], "taxi.txt");
    assert_eq!(receipt["size"], 14);
    let token = receipt["token"].as_str().unwrap().to_owned();

    // A token is not a value the browser can invent: a forged one is refused, nothing stored.
    let forged = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": { "receipt": { "UploadTokens": ["0".repeat(64)] } } }),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refusal_at(&body(forged).await, "receipt").is_empty());
    // Nor can it send what a submission stores.
    let stored_shape = app
        .call_json(&user, "submit_form", json!({ "id": form, "values": { "receipt": { "Uploads": [{ "id": 1, "name": "x", "size": 1 }] } } }))
        .await;
    assert_eq!(stored_shape.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ok = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": { "receipt": { "UploadTokens": [token.clone()] } } }),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let again = app
        .call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": { "receipt": { "UploadTokens": [token] } } }),
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let list = body(
        app.call("list_submissions", &[("id", &form.to_string())])
            .await,
    )
    .await;
    assert_eq!(list["total"], 1);
    let uploaded = &list["rows"][0]["values"]["receipt"]["Uploads"][0];
    assert_eq!(uploaded["name"], "taxi.txt");
    assert_eq!(uploaded["size"], 14);
    let download = app
        .client
        .get(format!("{}/uploads/{}", app.address, uploaded["id"]))
        .send()
        .await
        .unwrap();
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
    let submit = |values: Value| {
        app.call_json(
            &user,
            "submit_form",
            json!({ "id": form, "values": values }),
        )
    };
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
        let r = submit(values.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{values}");
        let answer = body(r).await;
        assert!(
            refusal_at(&answer, field).contains(sentence),
            "{values}: {answer}"
        );
    }
    let ok = submit(json!({
        "priority": { "Options": ["High"] },
        "tags": { "Options": ["red", "blue"] },
        "due": { "Date": "2026-12-24" },
        "amount": { "Number": 1250.5 },
    }))
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let list = body(
        app.call("list_submissions", &[("id", &form.to_string())])
            .await,
    )
    .await;
    let values = &list["rows"][0]["values"];
    assert_eq!(values["tags"]["Options"], json!(["red", "blue"]));
    assert_eq!(values["due"]["Date"], "2026-12-24");
    assert_eq!(values["amount"]["Number"], 1250.5);
}

/// The sentence a refused submission gives for `field` (a submission answers every field's problem
/// at once), or `""` when it names no problem there.
fn refusal_at(answer: &Value, field: &str) -> String {
    answer["Validation"]["fields"][field]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
