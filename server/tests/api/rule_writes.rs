//! Create item, Update item and Delete item through the server's `run_rules` (a Button) against the
//! built-in sandbox over real HTTP: each content kind and On conflict mode, result mappings,
//! rename / move / replace with rev checks, deletes, who may write, confinement, big uploads through
//! upload sessions, and — with a ledger, as a job runs them — faults mid-write that leave one copy.
use crate::helpers::{TestApp, decoded, field, spawn_app};
use app::dto::RuleRunList;
use domain::identity::find_active_user;
use domain::rules::{MemoryLedger, RuleEnv, RuleForm, RulesError};
use dropbox_sandbox::{FaultKind, FaultSpec};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wharf_types::Role;
use wharf_types::forms::{FieldValue, UploadReceipt};
use wharf_types::rules::{RuleOutcome, RunOutcome, TriggerEvent};

const ROOT: &str = "Writes";

fn reaction() -> Value {
    json!({ "assignments": [], "message": "" })
}

fn failed() -> Value {
    json!({ "assignments": [{ "field": "status", "value": { "Text": "failed" } }], "message": "" })
}

/// A rule run by the Button field `button`.
fn on(button: &str, id: &str, action: Value) -> Value {
    json!({
        "id": id, "name": format!("Rule {id}"), "enabled": true,
        "trigger": { "Button": { "field": button } },
        "conditions": { "combine": "And", "groups": [] },
        "action": action,
    })
}

fn results() -> Value {
    json!([
        { "field": "out_path", "parameter": "Path" },
        { "field": "out_id", "parameter": "Id" },
        { "field": "out_rev", "parameter": "Rev" },
        { "field": "out_size", "parameter": "Size" },
        { "field": "out_hash", "parameter": "ContentHash" },
    ])
}

fn create(ds: i32, folder: &str, name: &str, content: Value, on_conflict: &str) -> Value {
    json!({ "CreateItem": {
        "data_source_id": ds, "folder": folder, "name": name, "content": content,
        "on_conflict": on_conflict, "result": results(),
        "on_success": reaction(), "on_error": failed(),
    }})
}

#[allow(clippy::too_many_arguments)]
fn update(
    ds: i32,
    target: Value,
    rename: &str,
    move_to: &str,
    content: Value,
    ignore_blank: bool,
    check_rev: bool,
    on_conflict: &str,
) -> Value {
    json!({ "UpdateItem": {
        "data_source_id": ds, "target": target, "rename": rename, "move_to": move_to,
        "content": content, "ignore_blank": ignore_blank, "check_rev": check_rev,
        "on_conflict": on_conflict, "result": results(),
        "on_success": reaction(), "on_error": failed(),
    }})
}

fn delete(ds: i32, target: Value, check_rev: bool) -> Value {
    json!({ "DeleteItem": {
        "data_source_id": ds, "target": target, "check_rev": check_rev,
        "on_success": reaction(), "on_error": failed(),
    }})
}

fn text(template: &str) -> Value {
    json!({ "Text": { "template": template } })
}

fn chosen() -> Value {
    json!({ "Chosen": { "field": "picked" } })
}

/// The fields every test form has: values, a File upload, a file picker, result fields, buttons.
fn fields(ds: i32, buttons: &[&str]) -> Value {
    let mut fields = vec![
        field("customer", json!("Text"), false),
        field("amount", json!("Number"), false),
        field("notes", json!("Text"), false),
        field(
            "attachment",
            json!({ "FileUpload": { "save_to": "Wharf" } }),
            false,
        ),
        field(
            "picked",
            crate::helpers::file_browser(ds, "", &[], true),
            false,
        ),
        field("out_path", json!("Text"), false),
        field("out_id", json!("Text"), false),
        field("out_rev", json!("Text"), false),
        field("out_size", json!("Number"), false),
        field("out_hash", json!("Text"), false),
        field("status", json!("Text"), false),
    ];
    for b in buttons {
        fields.push(field(b, json!({ "Button": { "label": b } }), false));
    }
    Value::Array(fields)
}

/// Signed in as the administrator, with a connected data source over the whole sandbox account.
async fn world() -> (TestApp, i32) {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Documents").await;
    (app, ds)
}

async fn publish(app: &TestApp, ds: i32, buttons: &[&str], rules: Value) -> i32 {
    publish_fields(app, fields(ds, buttons), rules).await
}

async fn publish_fields(app: &TestApp, fields: Value, rules: Value) -> i32 {
    let id: i32 = app.fetch("create_form", &[("title", "Writes")]).await;
    let draft = json!({ "id": id, "title": "Writes",
        "draft": { "fields": fields, "rules": rules } });
    let saved = app.call_json(&app.client, "save_form", draft).await;
    assert_eq!(
        saved.status(),
        StatusCode::OK,
        "{}",
        saved.text().await.unwrap()
    );
    let published = app.call("publish_form", &[("id", &id.to_string())]).await;
    assert_eq!(published.status(), StatusCode::OK);
    id
}

async fn press(
    app: &TestApp,
    browser: &Client,
    form: i32,
    button: &str,
    values: Value,
) -> RuleOutcome {
    let answer = app
        .call_json(
            browser,
            "run_rules",
            json!({ "form_id": form, "event": { "Button": { "field": button } }, "values": values }),
        )
        .await;
    assert_eq!(
        answer.status(),
        StatusCode::OK,
        "{}",
        answer.text().await.unwrap()
    );
    decoded(answer).await
}

fn changed<'o>(outcome: &'o RuleOutcome, field: &str) -> Option<&'o str> {
    match outcome.changes.get(field) {
        Some(FieldValue::Text(t)) => Some(t),
        _ => None,
    }
}

fn errors(outcome: &RuleOutcome) -> Vec<String> {
    outcome
        .messages
        .iter()
        .filter(|m| m.level == wharf_types::rules::MessageLevel::Error)
        .map(|m| m.text.clone())
        .collect()
}

async fn runs(app: &TestApp, form: i32) -> RuleRunList {
    app.fetch("list_rule_runs", &[("form_id", &form.to_string())])
        .await
}

async fn content(app: &TestApp, path: &str) -> Option<Vec<u8>> {
    let account = app.sandbox().accounts()[0].account_id.clone();
    app.sandbox().file_content(&account, path).await
}

/// The names in `folder` (relative to the root), sorted.
async fn names(app: &TestApp, ds: i32, folder: &str) -> Vec<String> {
    let mut names: Vec<String> = app
        .folder(ds, folder)
        .await
        .entries
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    names
}

async fn upload(
    app: &TestApp,
    browser: &Client,
    form: i32,
    name: &str,
    body: Vec<u8>,
) -> UploadReceipt {
    let r = browser
        .post(format!("{}/forms/{form}/uploads/attachment", app.address))
        .query(&[("name", name)])
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// A chosen file as the picker sends it, with the rev the person saw.
fn picked(ds: i32, metadata: &Value) -> Value {
    let path = metadata["path_display"]
        .as_str()
        .unwrap()
        .trim_start_matches('/');
    json!([{
        "data_source_id": ds, "id": metadata["id"], "path": path, "rev": metadata["rev"],
        "name": metadata["name"], "size": metadata["size"], "value": path,
    }])
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn create_item_writes_every_kind_of_content_and_fills_the_result_fields() {
    let (app, ds) = world().await;
    let source = app
        .seed_file(&format!("/{ROOT}/source/contract.pdf"), b"%PDF contract")
        .await;
    let rules = json!([
        on(
            "go",
            "folder",
            create(ds, ROOT, "{customer}", json!("Folder"), "Fail")
        ),
        on(
            "go",
            "text",
            create(
                ds,
                &format!("{ROOT}/{{customer}}"),
                "note",
                text("Dear {customer}, {amount} due."),
                "Fail"
            )
        ),
        on(
            "go",
            "csv",
            create(
                ds,
                &format!("{ROOT}/{{customer}}"),
                "order",
                json!({ "Csv": { "fields": ["customer", "amount"] } }),
                "Fail"
            )
        ),
        on(
            "go",
            "json",
            create(
                ds,
                &format!("{ROOT}/{{customer}}"),
                "order",
                json!({ "Json": { "fields": ["customer", "amount"] } }),
                "Fail"
            )
        ),
        on(
            "go",
            "uploads",
            create(
                ds,
                &format!("{ROOT}/{{customer}}/uploads"),
                "",
                json!({ "Uploads": { "field": "attachment" } }),
                "Fail"
            )
        ),
        on(
            "go",
            "copy",
            create(
                ds,
                &format!("{ROOT}/{{customer}}/copies"),
                "",
                json!({ "Copy": { "field": "picked" } }),
                "Fail"
            )
        ),
    ]);
    let form = publish(&app, ds, &["go"], rules).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    let a = upload(&app, &uma, form, "scan one.pdf", b"first scan".to_vec()).await;
    let b = upload(&app, &uma, form, "scan two.png", b"second scan".to_vec()).await;

    let outcome = press(
        &app,
        &uma,
        form,
        "go",
        json!({
            "customer": { "Text": "ACME, Inc" }, "amount": { "Number": 12.5 },
            "attachment": { "UploadTokens": [a.token, b.token] },
            "picked": { "Files": picked(ds, &source) },
        }),
    )
    .await;

    assert_eq!(errors(&outcome), Vec::<String>::new());
    let dir = format!("/{ROOT}/ACME, Inc");
    assert_eq!(
        content(&app, &format!("{dir}/note.txt")).await.unwrap(),
        b"Dear ACME, Inc, 12.5 due."
    );
    assert_eq!(
        String::from_utf8(content(&app, &format!("{dir}/order.csv")).await.unwrap()).unwrap(),
        "CUSTOMER,AMOUNT\r\n\"ACME, Inc\",12.5\r\n"
    );
    let json: Value =
        serde_json::from_slice(&content(&app, &format!("{dir}/order.json")).await.unwrap())
            .unwrap();
    assert_eq!(json, json!({ "customer": "ACME, Inc", "amount": 12.5 }));
    assert_eq!(
        content(&app, &format!("{dir}/uploads/scan one.pdf"))
            .await
            .unwrap(),
        b"first scan"
    );
    assert_eq!(
        content(&app, &format!("{dir}/uploads/scan two.png"))
            .await
            .unwrap(),
        b"second scan"
    );
    assert_eq!(
        content(&app, &format!("{dir}/copies/contract.pdf"))
            .await
            .unwrap(),
        b"%PDF contract"
    );
    assert_eq!(
        names(&app, ds, &format!("{ROOT}/ACME, Inc")).await,
        ["copies", "note.txt", "order.csv", "order.json", "uploads"]
    );
    // The last rule to fill them wins: the copy.
    assert_eq!(
        changed(&outcome, "out_path"),
        Some(format!("{dir}/copies/contract.pdf").as_str())
    );
    let copied = app
        .folder(ds, &format!("{ROOT}/ACME, Inc/copies"))
        .await
        .entries
        .remove(0);
    assert_eq!(changed(&outcome, "out_id"), Some(copied.id.as_str()));
    assert_eq!(changed(&outcome, "out_rev"), copied.rev.as_deref());
    assert_eq!(
        outcome.changes.get("out_size"),
        Some(&FieldValue::Number(13.0))
    );
    assert_eq!(
        changed(&outcome, "out_hash"),
        Some(dropbox::content_hash(b"%PDF contract").as_str())
    );
    let log = runs(&app, form).await;
    assert_eq!(log.rows.len(), 6);
    assert!(
        log.rows.iter().all(|r| r.outcome == RunOutcome::Ok),
        "{:?}",
        log.rows
    );
    let uploads_run = log.rows.iter().find(|r| r.rule_id == "uploads").unwrap();
    let inputs: Value = serde_json::from_str(&uploads_run.inputs).unwrap();
    assert_eq!(inputs["bytes_written"], json!(21));
    assert_eq!(
        inputs["paths"][0],
        json!(format!("{dir}/uploads/scan one.pdf"))
    );
    assert!(
        !uploads_run.inputs.contains("first scan"),
        "never the content"
    );
}

#[tokio::test]
async fn on_conflict_fails_with_the_items_name_adds_a_number_or_overwrites() {
    let (app, ds) = world().await;
    app.seed_file(&format!("/{ROOT}/Invoice.txt"), b"old").await;
    let rules = json!([
        on(
            "fail",
            "r1",
            create(ds, ROOT, "Invoice.txt", text("new {customer}"), "Fail")
        ),
        on(
            "number",
            "r2",
            create(
                ds,
                ROOT,
                "Invoice.txt",
                text("new {customer}"),
                "Autorename"
            )
        ),
        on(
            "overwrite",
            "r3",
            create(ds, ROOT, "Invoice.txt", text("new {customer}"), "Overwrite")
        ),
    ]);
    let form = publish(&app, ds, &["fail", "number", "overwrite"], rules).await;
    let values = json!({ "customer": { "Text": "ACME" } });

    let refused = press(&app, &app.client, form, "fail", values.clone()).await;
    assert_eq!(
        errors(&refused),
        [format!(
            "“{ROOT}/Invoice.txt” already exists in the data source."
        )]
    );
    assert_eq!(changed(&refused, "status"), Some("failed"));
    assert_eq!(
        content(&app, &format!("/{ROOT}/Invoice.txt"))
            .await
            .unwrap(),
        b"old"
    );

    let numbered = press(&app, &app.client, form, "number", values.clone()).await;
    assert_eq!(
        changed(&numbered, "out_path"),
        Some(format!("/{ROOT}/Invoice (1).txt").as_str())
    );
    assert_eq!(
        content(&app, &format!("/{ROOT}/Invoice (1).txt"))
            .await
            .unwrap(),
        b"new ACME"
    );

    let replaced = press(&app, &app.client, form, "overwrite", values).await;
    assert_eq!(errors(&replaced), Vec::<String>::new());
    assert_eq!(
        content(&app, &format!("/{ROOT}/Invoice.txt"))
            .await
            .unwrap(),
        b"new ACME"
    );
    assert_eq!(
        names(&app, ds, ROOT).await,
        ["Invoice (1).txt", "Invoice.txt"]
    );
}

#[tokio::test]
async fn update_item_renames_moves_replaces_content_and_ignores_blank_parts() {
    let (app, ds) = world().await;
    let file = app
        .seed_file(&format!("/{ROOT}/inbox/scan.pdf"), b"v1")
        .await;
    app.seed_file(&format!("/{ROOT}/done/acme/acme.pdf"), b"taken")
        .await;
    let by_id = json!({ "Id": { "id": "{out_id}" } });
    let rules = json!([
        on(
            "rename",
            "r1",
            update(
                ds,
                chosen(),
                "{customer}",
                "",
                Value::Null,
                true,
                true,
                "Fail"
            )
        ),
        on(
            "move",
            "r2",
            update(
                ds,
                json!({ "Path": { "path": format!("{ROOT}/inbox/{{customer}}.pdf") } }),
                "",
                &format!("{ROOT}/done/{{customer}}"),
                Value::Null,
                true,
                false,
                "Autorename"
            )
        ),
        on(
            "replace",
            "r3",
            update(
                ds,
                by_id.clone(),
                "{notes}",
                "",
                text("{notes}"),
                true,
                false,
                "Fail"
            )
        ),
        on(
            "strict",
            "r4",
            update(ds, by_id, "{notes}", "", Value::Null, false, false, "Fail")
        ),
    ]);
    let form = publish(&app, ds, &["rename", "move", "replace", "strict"], rules).await;
    let id = file["id"].as_str().unwrap();

    // Renamed as chosen (its rev still the one the person saw).
    let renamed = press(
        &app,
        &app.client,
        form,
        "rename",
        json!({
            "customer": { "Text": "acme.pdf" }, "picked": { "Files": picked(ds, &file) },
        }),
    )
    .await;
    assert_eq!(errors(&renamed), Vec::<String>::new());
    assert_eq!(
        changed(&renamed, "out_path"),
        Some(format!("/{ROOT}/inbox/acme.pdf").as_str())
    );
    assert_eq!(changed(&renamed, "out_id"), Some(id), "the same file");

    // Moved by path into a folder made for it; the name there is taken, so it gets a number.
    let moved = press(
        &app,
        &app.client,
        form,
        "move",
        json!({ "customer": { "Text": "acme" } }),
    )
    .await;
    assert_eq!(errors(&moved), Vec::<String>::new());
    let moved_to = format!("/{ROOT}/done/acme/acme (1).pdf");
    assert_eq!(changed(&moved, "out_path"), Some(moved_to.as_str()));
    assert_eq!(content(&app, &moved_to).await.unwrap(), b"v1");
    assert_eq!(
        content(&app, &format!("/{ROOT}/done/acme/acme.pdf"))
            .await
            .unwrap(),
        b"taken"
    );

    // Ignore blank: a blank name and a blank content leave the file as it is.
    let kept = press(
        &app,
        &app.client,
        form,
        "replace",
        json!({ "out_id": { "Text": id }, "notes": { "Text": "" } }),
    )
    .await;
    assert_eq!(errors(&kept), Vec::<String>::new());
    assert_eq!(changed(&kept, "out_path"), Some(moved_to.as_str()));
    assert_eq!(content(&app, &moved_to).await.unwrap(), b"v1");

    // With a value: the content replaced and the file renamed, still the same file.
    let both = press(
        &app,
        &app.client,
        form,
        "replace",
        json!({ "out_id": { "Text": id }, "notes": { "Text": "final.txt" } }),
    )
    .await;
    assert_eq!(errors(&both), Vec::<String>::new());
    let final_path = format!("/{ROOT}/done/acme/final.txt");
    assert_eq!(changed(&both, "out_path"), Some(final_path.as_str()));
    assert_eq!(changed(&both, "out_id"), Some(id));
    assert_eq!(content(&app, &final_path).await.unwrap(), b"final.txt");
    assert!(content(&app, &moved_to).await.is_none());

    // Without Ignore blank, a name that renders blank is an error and nothing changes.
    let strict = press(
        &app,
        &app.client,
        form,
        "strict",
        json!({ "out_id": { "Text": id }, "notes": { "Text": " " } }),
    )
    .await;
    assert_eq!(errors(&strict), ["The new name renders blank."]);
    assert_eq!(changed(&strict, "status"), Some("failed"));
    assert_eq!(content(&app, &final_path).await.unwrap(), b"final.txt");
}

#[tokio::test]
async fn an_update_whose_new_name_is_taken_writes_nothing_not_even_the_new_content() {
    let (app, ds) = world().await;
    let draft = app.seed_file(&format!("/{ROOT}/draft.txt"), b"draft").await;
    let notes = app.seed_file(&format!("/{ROOT}/notes.txt"), b"notes").await;
    app.seed_file(&format!("/{ROOT}/final.txt"), b"someone else's")
        .await;
    let rules = json!([on(
        "sign",
        "r1",
        update(
            ds,
            chosen(),
            "{notes}",
            "",
            text("signed"),
            true,
            true,
            "Fail"
        )
    )]);
    let form = publish(&app, ds, &["sign"], rules).await;
    let sign = |name: &str, picked: Value| json!({ "notes": { "Text": name }, "picked": { "Files": picked } });
    let unchanged = || async {
        assert_eq!(
            names(&app, ds, ROOT).await,
            ["draft.txt", "final.txt", "notes.txt"]
        );
        for (name, was) in [("draft", "draft"), ("notes", "notes")] {
            let now = content(&app, &format!("/{ROOT}/{name}.txt")).await.unwrap();
            assert_eq!(now, was.as_bytes(), "{name}.txt kept its content");
        }
    };

    // Taken in Dropbox: the content is not replaced ahead of a rename that cannot happen.
    let taken = press(
        &app,
        &app.client,
        form,
        "sign",
        sign("final.txt", picked(ds, &draft)),
    )
    .await;
    assert_eq!(
        errors(&taken),
        [format!(
            "“{ROOT}/final.txt” already exists in the data source."
        )]
    );
    unchanged().await;

    // Two chosen files would both take the new name: neither is touched.
    let mut both = picked(ds, &draft);
    both.as_array_mut()
        .unwrap()
        .extend(picked(ds, &notes).as_array().unwrap().clone());
    let twice = press(&app, &app.client, form, "sign", sign("signed.txt", both)).await;
    assert_eq!(
        errors(&twice),
        [format!(
            "More than one chosen file would become “{ROOT}/signed.txt”: give each its own \
             name, or choose Add a number when the name exists."
        )]
    );
    unchanged().await;
}

#[tokio::test]
async fn a_file_changed_since_it_was_chosen_is_neither_updated_nor_deleted() {
    let (app, ds) = world().await;
    let seen = app
        .seed_file(&format!("/{ROOT}/report.txt"), b"as chosen")
        .await;
    app.seed_file(&format!("/{ROOT}/report.txt"), b"changed by someone else")
        .await;
    let rules = json!([
        on(
            "replace",
            "r1",
            update(ds, chosen(), "", "", text("mine"), true, true, "Fail")
        ),
        on(
            "rename",
            "r2",
            update(
                ds,
                chosen(),
                "renamed.txt",
                "",
                Value::Null,
                true,
                true,
                "Fail"
            )
        ),
        on("delete", "r3", delete(ds, chosen(), true)),
    ]);
    let form = publish(&app, ds, &["replace", "rename", "delete"], rules).await;
    let values = json!({ "picked": { "Files": picked(ds, &seen) } });

    for button in ["replace", "rename", "delete"] {
        let outcome = press(&app, &app.client, form, button, values.clone()).await;
        assert_eq!(
            errors(&outcome),
            ["The file was changed by someone else since it was chosen."],
            "{button}"
        );
    }
    assert_eq!(
        content(&app, &format!("/{ROOT}/report.txt")).await.unwrap(),
        b"changed by someone else"
    );
    assert_eq!(names(&app, ds, ROOT).await, ["report.txt"]);
    let log = runs(&app, form).await;
    assert!(log.rows.iter().all(|r| r.outcome == RunOutcome::Error));
}

#[tokio::test]
async fn delete_item_removes_a_file_or_a_folder_and_logs_how_many_entries_went() {
    let (app, ds) = world().await;
    let file = app.seed_file(&format!("/{ROOT}/old.txt"), b"old").await;
    app.seed_file(&format!("/{ROOT}/archive/a.txt"), b"a").await;
    app.seed_file(&format!("/{ROOT}/archive/b.txt"), b"b").await;
    app.seed_file(&format!("/{ROOT}/archive/2025/c.txt"), b"c")
        .await;
    let rules = json!([
        on("file", "r1", delete(ds, chosen(), true)),
        on(
            "folder",
            "r2",
            delete(
                ds,
                json!({ "Path": { "path": format!("{ROOT}/{{notes}}") } }),
                false
            )
        ),
    ]);
    let form = publish(&app, ds, &["file", "folder"], rules).await;

    let one = press(
        &app,
        &app.client,
        form,
        "file",
        json!({ "picked": { "Files": picked(ds, &file) } }),
    )
    .await;
    assert_eq!(errors(&one), Vec::<String>::new());
    let all = press(
        &app,
        &app.client,
        form,
        "folder",
        json!({ "notes": { "Text": "archive" } }),
    )
    .await;
    assert_eq!(errors(&all), Vec::<String>::new());

    assert_eq!(names(&app, ds, ROOT).await, Vec::<String>::new());
    let log = runs(&app, form).await;
    let inputs = |rule: &str| -> Value {
        serde_json::from_str(&log.rows.iter().find(|r| r.rule_id == rule).unwrap().inputs).unwrap()
    };
    assert_eq!(inputs("r1")["entries_deleted"], json!(1));
    // The folder, a.txt, b.txt, 2025 and c.txt.
    assert_eq!(inputs("r2")["entries_deleted"], json!(5));
    assert_eq!(inputs("r2")["paths"], json!([format!("/{ROOT}/archive")]));
}

#[tokio::test]
async fn people_without_write_rights_and_read_only_data_sources_are_refused_and_nothing_is_written()
{
    let (app, ds) = world().await;
    let rules = json!([on(
        "go",
        "r1",
        create(ds, ROOT, "note.txt", text("hello"), "Fail")
    )]);
    let form = publish(&app, ds, &["go"], rules).await;
    app.create_user("uma", &[Role::User]).await;
    app.create_user("otto", &[Role::User]).await;
    let uma_id = app.user_id_of("uma").await;
    let admin = &app;
    let security = |read_only: &'static str| {
        let (ds, uma_id) = (ds.to_string(), uma_id.clone());
        async move {
            let saved = admin
                .call(
                    "save_data_source_security",
                    &[
                        ("id", &ds),
                        ("users[0][User]", &uma_id),
                        ("read_only", read_only),
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
    };
    security("false").await;
    let otto = app
        .browser_signed_in_as("otto", crate::helpers::PASSWORD)
        .await;
    let outsider = press(&app, &otto, form, "go", json!({})).await;
    assert_eq!(errors(&outsider).len(), 1);
    assert_eq!(changed(&outsider, "status"), Some("failed"));

    security("true").await;
    let uma = app
        .browser_signed_in_as("uma", crate::helpers::PASSWORD)
        .await;
    let read_only = press(&app, &uma, form, "go", json!({})).await;
    assert!(
        errors(&read_only)[0].contains("read-only"),
        "{:?}",
        read_only.messages
    );

    assert!(content(&app, &format!("/{ROOT}/note.txt")).await.is_none());
    assert_eq!(app.dropbox_calls("files/upload"), 0);
    let log = runs(&app, form).await;
    assert_eq!(log.rows.len(), 2);
    assert!(
        log.rows.iter().all(|r| r.outcome == RunOutcome::Refused),
        "{:?}",
        log.rows
    );
}

#[tokio::test]
async fn templates_that_climb_out_of_the_data_source_are_refused() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = crate::helpers::DataSourceForm {
        display_name: "Confined",
        root_folder: "/Confined",
        ..Default::default()
    };
    app.seed_file("/Confined/keep.txt", b"keep").await;
    let ds: i32 = crate::helpers::id_of(app.save_data_source(&form).await)
        .await
        .parse()
        .unwrap();
    app.connect(&ds.to_string()).await;
    let rules = json!([
        on(
            "folder",
            "r1",
            create(ds, "{notes}", "x.txt", text("escaped"), "Fail")
        ),
        on(
            "name",
            "r2",
            create(ds, "", "{notes}", text("escaped"), "Fail")
        ),
    ]);
    let form = publish(&app, ds, &["folder", "name"], rules).await;

    let up = press(
        &app,
        &app.client,
        form,
        "folder",
        json!({ "notes": { "Text": "../Outside" } }),
    )
    .await;
    assert_eq!(
        errors(&up),
        ["The path must not climb out of the data source's folder."]
    );
    let slash = press(
        &app,
        &app.client,
        form,
        "name",
        json!({ "notes": { "Text": "../x.txt" } }),
    )
    .await;
    assert_eq!(errors(&slash).len(), 1);

    assert!(content(&app, "/Outside/x.txt").await.is_none());
    assert!(content(&app, "/x.txt").await.is_none());
    let log = runs(&app, form).await;
    assert!(
        log.rows.iter().all(|r| r.outcome == RunOutcome::Refused),
        "{:?}",
        log.rows
    );
}

#[tokio::test]
async fn a_20_mib_upload_goes_through_an_upload_session_with_the_right_hash() {
    let (app, ds) = world().await;
    let rules = json!([on(
        "go",
        "r1",
        create(
            ds,
            ROOT,
            "",
            json!({ "Uploads": { "field": "attachment" } }),
            "Fail"
        )
    )]);
    let form = publish(&app, ds, &["go"], rules).await;
    // Nothing uploaded: nothing to create, and no error.
    let none = press(
        &app,
        &app.client,
        form,
        "go",
        json!({ "attachment": { "UploadTokens": [] } }),
    )
    .await;
    assert_eq!(errors(&none), Vec::<String>::new());
    assert_eq!(changed(&none, "out_path"), None);
    let body = pattern(20 * 1024 * 1024);
    let receipt = upload(&app, &app.client, form, "big.bin", body.clone()).await;

    let outcome = press(
        &app,
        &app.client,
        form,
        "go",
        json!({ "attachment": { "UploadTokens": [receipt.token] } }),
    )
    .await;

    assert_eq!(errors(&outcome), Vec::<String>::new());
    assert_eq!(
        changed(&outcome, "out_hash"),
        Some(dropbox::content_hash(&body).as_str())
    );
    assert!(app.dropbox_calls("files/upload_session/finish") >= 1);
    assert_eq!(
        content(&app, &format!("/{ROOT}/big.bin")).await.unwrap(),
        body
    );
}

#[tokio::test]
async fn a_connection_reset_in_an_upload_session_is_resumed_with_the_right_hash() {
    let (app, ds) = world().await;
    let rules = json!([on(
        "go",
        "r1",
        create(
            ds,
            ROOT,
            "",
            json!({ "Uploads": { "field": "attachment" } }),
            "Fail"
        )
    )]);
    let form = publish(&app, ds, &["go"], rules).await;
    let body = pattern(20 * 1024 * 1024);
    let receipt = upload(&app, &app.client, form, "big.bin", body.clone()).await;
    // The append lands but its answer is cut: the client asks again and resumes where Dropbox is.
    app.sandbox().add_fault(FaultSpec::new(
        "files/upload_session/append_v2",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));

    let outcome = press(
        &app,
        &app.client,
        form,
        "go",
        json!({ "attachment": { "UploadTokens": [receipt.token] } }),
    )
    .await;

    assert_eq!(errors(&outcome), Vec::<String>::new());
    assert_eq!(
        changed(&outcome, "out_hash"),
        Some(dropbox::content_hash(&body).as_str())
    );
    assert_eq!(
        content(&app, &format!("/{ROOT}/big.bin")).await.unwrap(),
        body
    );
    let appends: Vec<_> = app
        .sandbox()
        .requests()
        .into_iter()
        .filter(|r| r.route == "files/upload_session/append_v2")
        .collect();
    assert_eq!(appends.iter().filter(|r| r.fault.is_some()).count(), 1);
    assert!(appends.len() >= 2, "the cut append was sent again");
}

/// Runs form `form`'s rules for `button` as a job would: with a writer and `ledger`.
async fn run_as_job(
    app: &TestApp,
    ledger: &MemoryLedger,
    form: i32,
    button: &str,
    values: BTreeMap<String, FieldValue>,
) -> Result<RuleOutcome, RulesError> {
    let vault = domain::vault::Vault::open(None, app.data_dir.path()).unwrap();
    let endpoints = dropbox::DropboxEndpoints::all_at(&app.sandbox().public_base()).unwrap();
    let retry = dropbox::RetryPolicy {
        max_attempts: 2,
        base_delay: std::time::Duration::from_millis(10),
        ..Default::default()
    };
    let hub =
        dropbox::DropboxHub::new(dropbox::DropboxConfig::new(endpoints).with_retry(retry)).unwrap();
    let connector = domain::connector::DropboxConnector::new(app.db.clone(), vault.clone(), hub);
    let writer = domain::connector::DropboxWriter::new(&connector, app.data_dir.path());
    let env = RuleEnv {
        db: &app.db,
        items: &connector,
        vault: &vault,
        writer: Some(&writer),
        ledger: Some(ledger),
    };
    let person = find_active_user(&app.db, 1).await.unwrap().unwrap();
    let (version, definition) = domain::rules::load_form(&app.db, form, false)
        .await
        .unwrap();
    let form = RuleForm {
        id: form,
        version,
        draft: false,
        definition: &definition,
    };
    let event = TriggerEvent::Button {
        field: button.to_owned(),
    };
    domain::rules::run(env, &person, form, &event, values).await
}

#[tokio::test]
async fn in_a_job_429_and_503_mid_write_retry_later_and_the_next_attempt_leaves_one_copy() {
    let (app, ds) = world().await;
    let rules = json!([
        on(
            "small",
            "r1",
            create(ds, ROOT, "note.txt", text("hello {customer}"), "Autorename")
        ),
        on(
            "big",
            "r2",
            create(
                ds,
                ROOT,
                "",
                json!({ "Uploads": { "field": "attachment" } }),
                "Autorename"
            )
        ),
    ]);
    let form = publish(&app, ds, &["small", "big"], rules).await;
    let values = BTreeMap::from([("customer".to_owned(), FieldValue::Text("ACME".into()))]);

    // The upload lands but its answer is lost (a 503 after the write, as a proxy might give): the job
    // is told to retry, and the next attempt finds the file by its content_hash instead of writing
    // `note (1).txt`.
    let ledger = MemoryLedger::default();
    app.sandbox().add_fault(FaultSpec::new(
        "files/upload",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));
    let first = run_as_job(&app, &ledger, form, "small", values.clone()).await;
    assert!(matches!(first, Err(RulesError::RetryLater(_))), "{first:?}");
    assert!(matches!(
        ledger.entry("r1:0"),
        Some(domain::rules::LedgerEntry::Started { .. })
    ));
    assert_eq!(app.dropbox_calls("files/upload"), 1);
    let second = run_as_job(&app, &ledger, form, "small", values.clone()).await;
    assert_eq!(
        app.dropbox_calls("files/upload"),
        1,
        "found, not written again"
    );
    assert!(matches!(
        ledger.entry("r1:0"),
        Some(domain::rules::LedgerEntry::Done { .. })
    ));
    let outcome = second.unwrap();
    assert_eq!(errors(&outcome), Vec::<String>::new());
    assert_eq!(names(&app, ds, ROOT).await, ["note.txt"]);

    // 429 with a wait longer than the client holds on: the run stops with Dropbox's wait.
    app.sandbox().add_fault(FaultSpec::new(
        "files/get_metadata",
        FaultKind::RateLimit { retry_after: 300 },
    ));
    let limited = run_as_job(&app, &ledger, form, "small", values.clone()).await;
    // A finished write is reused from the ledger without asking Dropbox anything.
    assert!(limited.is_ok(), "{limited:?}");
    app.sandbox().clear_faults();

    // A 20 MiB upload whose session keeps failing with 503 stops the run; the retry writes it once.
    let body = pattern(20 * 1024 * 1024);
    let receipt = upload(&app, &app.client, form, "big.bin", body.clone()).await;
    let values = BTreeMap::from([(
        "attachment".to_owned(),
        FieldValue::UploadTokens(vec![receipt.token]),
    )]);
    let ledger = MemoryLedger::default();
    app.sandbox().add_fault(
        FaultSpec::new(
            "files/upload_session/finish",
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(2),
    );
    let stopped = run_as_job(&app, &ledger, form, "big", values.clone()).await;
    assert!(
        matches!(stopped, Err(RulesError::RetryLater(_))),
        "{stopped:?}"
    );
    app.sandbox().add_fault(FaultSpec::new(
        "files/get_metadata",
        FaultKind::RateLimit { retry_after: 300 },
    ));
    let limited = run_as_job(&app, &ledger, form, "big", values.clone()).await;
    match limited {
        Err(RulesError::RetryLater(r)) => {
            assert_eq!(r.retry_after, Some(std::time::Duration::from_secs(300)))
        }
        other => panic!("expected a retry later, got {other:?}"),
    }
    let done = run_as_job(&app, &ledger, form, "big", values)
        .await
        .unwrap();
    assert_eq!(errors(&done), Vec::<String>::new());
    assert_eq!(names(&app, ds, ROOT).await, ["big.bin", "note.txt"]);
    assert_eq!(
        content(&app, &format!("/{ROOT}/big.bin")).await.unwrap(),
        body
    );
}

#[tokio::test]
async fn a_copy_from_another_data_source_is_streamed_into_this_one() {
    let (app, ds) = world().await;
    let other = app.connected_data_source("Archive").await;
    let source = app
        .seed_file("/Archive/contract.pdf", b"%PDF from the archive")
        .await;
    let rules = json!([on(
        "go",
        "r1",
        create(
            ds,
            ROOT,
            "",
            json!({ "Copy": { "field": "picked" } }),
            "Fail"
        )
    )]);
    // The picker offers the other data source's files; the rule writes into this one.
    let form = publish_fields(&app, fields(other, &["go"]), rules).await;

    let outcome = press(
        &app,
        &app.client,
        form,
        "go",
        json!({ "picked": { "Files": picked(other, &source) } }),
    )
    .await;

    assert_eq!(errors(&outcome), Vec::<String>::new());
    assert_eq!(
        content(&app, &format!("/{ROOT}/contract.pdf"))
            .await
            .unwrap(),
        b"%PDF from the archive"
    );
    assert_eq!(
        app.dropbox_calls("files/copy_v2"),
        0,
        "streamed, not copied"
    );
    assert_eq!(app.dropbox_calls("files/download"), 1);

    // A file the field does not offer (of another data source) is refused, whatever the browser sends.
    let mine = app.seed_file(&format!("/{ROOT}/mine.txt"), b"mine").await;
    let forged = press(
        &app,
        &app.client,
        form,
        "go",
        json!({ "picked": { "Files": picked(ds, &mine) } }),
    )
    .await;
    assert_eq!(
        errors(&forged),
        ["A file chosen in “PICKED” is not one of the files it offers."]
    );
    assert_eq!(app.dropbox_calls("files/copy_v2"), 0);
}

/// The stored form with its File upload field saving to `ds` under `folder` / `name`.
fn saving_to(
    definition: &mut wharf_types::forms::FormDefinition,
    ds: i32,
    folder: &str,
    name: &str,
) {
    use wharf_types::forms::{FieldKind, SaveLocation, SaveToDataSource, UploadField, UploadName};
    use wharf_types::rules::OnConflict;
    let field = definition
        .fields
        .iter_mut()
        .find(|f| f.name == "attachment")
        .unwrap();
    field.kind = FieldKind::FileUpload(UploadField {
        save_to: SaveLocation::DataSource(SaveToDataSource {
            data_source_id: ds,
            folder: folder.into(),
            name: if name.is_empty() {
                UploadName::Original
            } else {
                UploadName::Template(name.into())
            },
            on_conflict: OnConflict::Autorename,
        }),
    });
}

#[tokio::test]
async fn save_uploads_writes_each_submitted_file_once_and_records_where_it_went() {
    let (app, ds) = world().await;
    let form = publish(&app, ds, &["go"], json!([])).await;
    let a = upload(&app, &app.client, form, "scan.pdf", b"scan".to_vec()).await;
    let b = upload(&app, &app.client, form, "photo.jpg", b"photo".to_vec()).await;
    let submitted = app
        .submit(
            &app.client,
            form,
            json!({
                "customer": { "Text": "ACME" },
                "attachment": { "UploadTokens": [a.token, b.token] },
            }),
        )
        .await;
    assert_eq!(
        submitted.status(),
        StatusCode::OK,
        "{}",
        submitted.text().await.unwrap()
    );
    let claimed: Vec<entity::form_upload::Model> = {
        use sea_orm::{EntityTrait, QueryOrder};
        entity::form_upload::Entity::find()
            .order_by_asc(entity::form_upload::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
    };
    assert!(claimed.iter().all(|u| u.submission_id.is_some()));
    let files: Vec<wharf_types::forms::UploadedFile> = claimed
        .iter()
        .map(|u| wharf_types::forms::UploadedFile {
            id: u.id,
            name: u.file_name.clone(),
            size: u.size as u64,
            saved: None,
        })
        .collect();
    let (version, mut definition) = domain::rules::load_form(&app.db, form, false)
        .await
        .unwrap();
    saving_to(
        &mut definition,
        ds,
        &format!("{ROOT}/{{customer}}"),
        "{customer}-{@today}",
    );
    let rule_form = RuleForm {
        id: form,
        version,
        draft: false,
        definition: &definition,
    };
    let mut values = BTreeMap::from([
        ("customer".to_owned(), FieldValue::Text("ACME".into())),
        ("attachment".to_owned(), FieldValue::Uploads(files.clone())),
    ]);
    let ledger = MemoryLedger::default();

    // Twice, as a retried job would: the second finds both in its ledger and writes nothing.
    let connector = job_connector(&app);
    let original = values.clone();
    for _ in 0..2 {
        let mut again = original.clone();
        save_as_job(&app, &connector, &ledger, rule_form, &mut again)
            .await
            .unwrap();
        values = again;
    }

    let today = time::OffsetDateTime::now_utc().date();
    let saved: Vec<_> = match &values["attachment"] {
        FieldValue::Uploads(files) => files.iter().map(|f| f.saved.clone().unwrap()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(saved[0].path, format!("{ROOT}/ACME/ACME-{today}.pdf"));
    assert_eq!(saved[1].path, format!("{ROOT}/ACME/ACME-{today}.jpg"));
    assert_eq!(saved[0].data_source_id, ds);
    assert_eq!(
        content(&app, &format!("/{}", saved[0].path)).await.unwrap(),
        b"scan"
    );
    assert_eq!(
        content(&app, &format!("/{}", saved[1].path)).await.unwrap(),
        b"photo"
    );
    assert_eq!(app.dropbox_calls("files/upload"), 2);
    assert!(
        ledger
            .entry(&format!("save:attachment:{}", files[0].id))
            .is_some()
    );

    // Someone else's run cannot save them (they are not this person's uploads)…
    app.create_user("otto", &[Role::User]).await;
    let otto_id: i32 = app.user_id_of("otto").await.parse().unwrap();
    let otto = find_active_user(&app.db, otto_id).await.unwrap().unwrap();
    let mut theirs = BTreeMap::from([("attachment".to_owned(), FieldValue::Uploads(files))]);
    let refused = save_with(&app, &connector, &ledger, &otto, rule_form, &mut theirs).await;
    assert!(
        matches!(refused, Err(RulesError::Refused(_))),
        "{refused:?}"
    );
}

fn job_connector(app: &TestApp) -> domain::connector::DropboxConnector {
    let vault = domain::vault::Vault::open(None, app.data_dir.path()).unwrap();
    let endpoints = dropbox::DropboxEndpoints::all_at(&app.sandbox().public_base()).unwrap();
    let hub = dropbox::DropboxHub::new(dropbox::DropboxConfig::new(endpoints)).unwrap();
    domain::connector::DropboxConnector::new(app.db.clone(), vault, hub)
}

async fn save_as_job(
    app: &TestApp,
    connector: &domain::connector::DropboxConnector,
    ledger: &MemoryLedger,
    form: RuleForm<'_>,
    values: &mut BTreeMap<String, FieldValue>,
) -> Result<(), RulesError> {
    let admin = find_active_user(&app.db, 1).await.unwrap().unwrap();
    save_with(app, connector, ledger, &admin, form, values).await
}

async fn save_with(
    app: &TestApp,
    connector: &domain::connector::DropboxConnector,
    ledger: &MemoryLedger,
    person: &domain::AuthenticatedUser,
    form: RuleForm<'_>,
    values: &mut BTreeMap<String, FieldValue>,
) -> Result<(), RulesError> {
    let vault = domain::vault::Vault::open(None, app.data_dir.path()).unwrap();
    let writer = domain::connector::DropboxWriter::new(connector, app.data_dir.path());
    let env = RuleEnv {
        db: &app.db,
        items: connector,
        vault: &vault,
        writer: Some(&writer),
        ledger: Some(ledger),
    };
    domain::rules::save_uploads(env, person, form, values).await
}

#[tokio::test]
async fn in_a_job_a_move_and_a_delete_whose_answers_were_lost_are_not_done_twice() {
    let (app, ds) = world().await;
    app.seed_file(&format!("/{ROOT}/in/acme.pdf"), b"invoice")
        .await;
    app.seed_file(&format!("/{ROOT}/old/acme.txt"), b"old")
        .await;
    let rules = json!([
        on(
            "archive",
            "r1",
            update(
                ds,
                json!({ "Path": { "path": format!("{ROOT}/in/{{customer}}.pdf") } }),
                "",
                &format!("{ROOT}/done"),
                Value::Null,
                true,
                false,
                "Fail"
            )
        ),
        on(
            "archive",
            "r2",
            delete(
                ds,
                json!({ "Path": { "path": format!("{ROOT}/old/{{customer}}.txt") } }),
                false
            )
        ),
    ]);
    let form = publish(&app, ds, &["archive"], rules).await;
    let values = BTreeMap::from([("customer".to_owned(), FieldValue::Text("acme".into()))]);
    let ledger = MemoryLedger::default();

    // Each lands at Dropbox but its answer is cut: the job is told to come back later.
    app.sandbox().add_fault(FaultSpec::new(
        "files/move_v2",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));
    let first = run_as_job(&app, &ledger, form, "archive", values.clone()).await;
    assert!(matches!(first, Err(RulesError::RetryLater(_))), "{first:?}");
    app.sandbox().add_fault(FaultSpec::new(
        "files/delete_v2",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));
    let second = run_as_job(&app, &ledger, form, "archive", values.clone()).await;
    assert!(
        matches!(second, Err(RulesError::RetryLater(_))),
        "{second:?}"
    );
    let third = run_as_job(&app, &ledger, form, "archive", values)
        .await
        .unwrap();

    assert_eq!(errors(&third), Vec::<String>::new());
    assert_eq!(
        changed(&third, "out_path"),
        Some(format!("/{ROOT}/done/acme.pdf").as_str())
    );
    assert_eq!(app.dropbox_calls("files/move_v2"), 1);
    assert_eq!(app.dropbox_calls("files/delete_v2"), 1);
    assert_eq!(names(&app, ds, &format!("{ROOT}/done")).await, ["acme.pdf"]);
    assert_eq!(
        names(&app, ds, &format!("{ROOT}/old")).await,
        Vec::<String>::new()
    );
    for key in ["r1:0", "r2:0"] {
        assert!(
            matches!(
                ledger.entry(key),
                Some(domain::rules::LedgerEntry::Done { .. })
            ),
            "{key}: {:?}",
            ledger.entry(key)
        );
    }
}
