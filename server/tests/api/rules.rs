//! Data rules through real HTTP against the built-in sandbox: triggers, conditions, Set form field,
//! Find items (filters pushed to Dropbox or applied while streaming, sorted, paged on the server),
//! who may run them, confinement, submit integration and the run log.
use crate::helpers::{TestApp, decoded, field, refusal, spawn_app};
use app::dto::{FillableForm, RuleRunList, Submitted};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use wharf_types::Role;
use wharf_types::rules::{Cell, MessageLevel, RuleOutcome, RunOutcome, TablePage};

/// A rule as the designer saves it.
fn rule(id: &str, trigger: Value, conditions: Value, action: Value) -> Value {
    json!({
        "id": id, "name": format!("Rule {id}"), "enabled": true,
        "trigger": trigger, "conditions": conditions, "action": action,
    })
}

fn always() -> Value {
    json!({ "combine": "And", "groups": [] })
}

/// Conditions of one group combining `comparisons` with And.
fn only_if(comparisons: Value) -> Value {
    json!({ "combine": "And", "groups": [{ "combine": "And", "comparisons": comparisons }] })
}

fn set(field: &str, value: Value) -> Value {
    json!({ "SetField": { "assignments": [{ "field": field, "value": value }] } })
}

fn reaction() -> Value {
    json!({ "assignments": [], "message": "" })
}

/// Find items into the `results` table (columns `name`, `size`, `file`).
fn find(data_source: i32, folder: Value, filters: Value, sort: Value, max_rows: u32) -> Value {
    json!({ "FindItems": {
        "data_source_id": data_source, "folder": folder, "include_subfolders": false,
        "filters": filters, "sort": sort, "max_rows": max_rows,
        "table": { "field": "results", "mode": "Override", "columns": [
            { "column": "name", "parameter": "Name" },
            { "column": "size", "parameter": "Size" },
            { "column": "file", "parameter": "Name" },
        ]},
        "first_match": [],
        "on_success": reaction(),
        "on_error": { "assignments": [{ "field": "status", "value": { "Text": "failed" } }], "message": "" },
        "no_match": { "clear": true, "message": "Nothing found for {Customer}.", "is_error": false },
    }})
}

fn results_table(page_size: u32) -> Value {
    json!({ "Table": {
        "columns": [
            { "name": "name", "title": "Name", "kind": "Text" },
            { "name": "size", "title": "Size", "kind": "Number" },
            { "name": "file", "title": "File", "kind": "File" },
        ],
        "editable": false, "page_size": page_size,
    }})
}

fn button(label: &str) -> Value {
    json!({ "Button": { "label": label } })
}

impl TestApp {
    /// Creates, saves (fields and rules) and publishes a form as the signed-in administrator.
    async fn publish_with_rules(&self, title: &str, fields: Value, rules: Value) -> i32 {
        let id: i32 = self.fetch("create_form", &[("title", title)]).await;
        let draft =
            json!({ "id": id, "title": title, "draft": { "fields": fields, "rules": rules } });
        let saved = self.call_json(&self.client, "save_form", draft).await;
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

    async fn run_rules(
        &self,
        browser: &Client,
        form: i32,
        event: Value,
        values: Value,
    ) -> RuleOutcome {
        let answer = self
            .call_json(
                browser,
                "run_rules",
                json!({ "form_id": form, "event": event, "values": values }),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        decoded(answer).await
    }

    async fn next_page(&self, browser: &Client, form: i32, more: &str) -> reqwest::Response {
        self.call_json(
            browser,
            "next_table_page",
            json!({ "form_id": form, "field": "results", "more": more }),
        )
        .await
    }

    async fn rule_runs(&self, form: i32, outcome: &str) -> RuleRunList {
        self.fetch(
            "list_rule_runs",
            &[("form_id", &form.to_string()), ("outcome", outcome)],
        )
        .await
    }
}

fn text(v: &str) -> Value {
    json!({ "Text": v })
}

#[tokio::test]
async fn load_and_change_rules_set_fields_in_order_when_their_conditions_hold() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("Amount", json!("Number"), false),
        field("Due", json!("Date"), false),
        field("Greeting", json!("Text"), false),
        field("Echo", json!("Text"), false),
        field("Big", json!("Text"), false),
    ]);
    let rules = json!([
        rule(
            "r1",
            json!("Load"),
            always(),
            set(
                "Greeting",
                json!({ "Template": "Hello {@user.name}, {Customer}" })
            )
        ),
        // Sees what r1 set.
        rule(
            "r2",
            json!("Load"),
            always(),
            set("Echo", json!({ "Template": "{Greeting}!" }))
        ),
        rule(
            "r3",
            json!("Load"),
            only_if(
                json!([{ "field": "Amount", "operator": "GreaterOrEqual", "value": text("100") }])
            ),
            set("Big", text("yes"))
        ),
        rule(
            "r4",
            json!("Load"),
            only_if(json!([
                { "field": "Due", "operator": "Before", "value": text("2026-01-01") },
                { "field": "Customer", "operator": "StartsWith", "value": text("ac") },
            ])),
            json!({ "ShowMessage": { "text": "{Customer} is overdue", "level": "Info" } })
        ),
        rule(
            "r5",
            json!({ "Change": { "field": "Customer" } }),
            always(),
            set("Amount", text("not a number"))
        ),
        rule(
            "r6",
            json!({ "Change": { "field": "Customer" } }),
            always(),
            set("Due", json!({ "Template": "{@today}" }))
        ),
    ]);
    let form = app.publish_with_rules("Greeter", fields, rules).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    let me: FillableForm = app.fillable_form(&uma, form).await;

    let values = json!({
        "Customer": text("Acme"), "Amount": { "Number": 150.0 }, "Due": { "Date": "2025-12-01" },
    });
    let loaded = app.run_rules(&uma, form, json!("Load"), values).await;
    let greeting = format!("Hello {}, Acme", me.user_name);
    assert_eq!(
        loaded.changes["Greeting"],
        wharf_types::forms::FieldValue::Text(greeting.clone())
    );
    assert_eq!(
        loaded.changes["Echo"],
        wharf_types::forms::FieldValue::Text(format!("{greeting}!"))
    );
    assert_eq!(
        loaded.changes["Big"],
        wharf_types::forms::FieldValue::Text("yes".into())
    );
    assert_eq!(loaded.messages.len(), 1);
    assert_eq!(loaded.messages[0].text, "Acme is overdue");
    assert_eq!(loaded.messages[0].level, MessageLevel::Info);

    // Number, date and text conditions that do not hold: those rules do not run.
    let values = json!({
        "Customer": text("Beta"), "Amount": { "Number": 99.5 }, "Due": { "Date": "2026-06-01" },
    });
    let loaded = app.run_rules(&uma, form, json!("Load"), values).await;
    assert!(!loaded.changes.contains_key("Big"), "{loaded:?}");
    assert!(loaded.messages.is_empty(), "{loaded:?}");

    // A change of Customer runs its rules, not the Load ones. r5 cannot make a number of its text:
    // it changes nothing and says why; r6 still runs.
    let changed = app
        .run_rules(
            &uma,
            form,
            json!({ "Change": { "field": "Customer" } }),
            json!({}),
        )
        .await;
    assert!(!changed.changes.contains_key("Amount"));
    assert!(!changed.changes.contains_key("Greeting"));
    assert!(
        matches!(&changed.changes["Due"], wharf_types::forms::FieldValue::Date(d) if d.len() == 10)
    );
    assert_eq!(changed.messages.len(), 1);
    assert_eq!(changed.messages[0].level, MessageLevel::Error);
    assert!(
        changed.messages[0].text.contains("needs a number"),
        "{changed:?}"
    );

    // The run log: every run that passed its conditions, filterable by outcome.
    let errors = app.rule_runs(form, "error").await;
    assert_eq!(errors.total, 1);
    assert_eq!(errors.rows[0].rule_id, "r5");
    assert_eq!(errors.rows[0].trigger, "change");
    assert_eq!(errors.rows[0].user.as_deref(), Some("uma"));
    let ok = app.rule_runs(form, "ok").await;
    // Load 1: r1 r2 r3 r4; load 2: r1 r2; change: r6.
    assert_eq!(ok.total, 7);

    // Only submitting raises Before / After submit.
    let refused = refusal(
        app.call_json(
            &uma,
            "run_rules",
            json!({ "form_id": form, "event": "BeforeSubmit", "values": {} }),
        )
        .await,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Names of `n` files for customers acme / beta / gamma in turn; sizes 0–9 bytes.
fn invoice(n: usize) -> (String, usize) {
    let customer = ["acme", "beta", "gamma"][n % 3];
    (format!("inv-{customer}-{n:04}.pdf"), n % 10)
}

#[tokio::test]
async fn find_items_filters_sorts_and_pages_a_3000_file_folder() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Invoices").await;
    for n in 0..3000 {
        let (name, size) = invoice(n);
        app.seed_file(&format!("/Big/{name}"), &vec![b'x'; size])
            .await;
    }
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("status", json!("Text"), false),
        field("find", button("Find invoices"), false),
        field("scan", button("Scan"), false),
        field("results", results_table(20), false),
    ]);
    let name_and_size = json!([
        { "parameter": "Name", "operator": "StartsWith", "value": { "Template": "inv-{Customer}-" } },
        { "parameter": "Size", "operator": "GreaterOrEqual", "value": text("5") },
    ]);
    let contains = json!([
        { "parameter": "Name", "operator": "Contains", "value": text("-beta-") },
        { "parameter": "Size", "operator": "Less", "value": text("3") },
    ]);
    let rules = json!([
        rule(
            "r1",
            json!({ "Button": { "field": "find" } }),
            always(),
            find(
                ds,
                json!("Big"),
                name_and_size,
                json!({ "parameter": "Name", "direction": "Descending" }),
                70
            )
        ),
        rule(
            "r2",
            json!({ "Button": { "field": "scan" } }),
            always(),
            find(
                ds,
                json!("/Big/"),
                contains,
                json!({ "parameter": "Size", "direction": "Ascending" }),
                20
            )
        ),
    ]);
    let form = app
        .publish_with_rules("Invoice lookup", fields, rules)
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    // Expected: acme's invoices of 5 bytes or more, by name, descending.
    let mut expected: Vec<String> = (0..3000)
        .map(invoice)
        .filter(|(name, size)| name.starts_with("inv-acme-") && *size >= 5)
        .map(|(name, _)| name)
        .collect();
    expected.sort();
    expected.reverse();
    expected.truncate(70);

    let searches = app.dropbox_calls("files/search_v2");
    let found = app
        .run_rules(
            &uma,
            form,
            json!({ "Button": { "field": "find" } }),
            json!({ "Customer": text("acme") }),
        )
        .await;
    assert!(
        app.dropbox_calls("files/search_v2") > searches,
        "the name filter went to Dropbox"
    );
    let first = &found.tables["results"];
    let names =
        |page: &TablePage| -> Vec<String> { page.rows.iter().map(|r| r["name"].text()).collect() };
    assert_eq!(names(first), expected[..20]);
    let row = &first.rows[0];
    let Cell::File(file) = &row["file"] else {
        panic!("a File cell: {row:?}")
    };
    assert_eq!(file.path, format!("Big/{}", expected[0]));
    assert_eq!(file.data_source_id, ds);
    assert!(matches!(row["size"], Cell::Number(n) if n >= 5.0));

    // Server paging: pages of 20 until `more` runs out, never past Max rows (70).
    let mut all = names(first);
    let mut more = first.more.clone();
    let mut pages = 1;
    while let Some(token) = more {
        let answer = app.next_page(&uma, form, &token).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let page: TablePage = decoded(answer).await;
        all.extend(names(&page));
        more = page.more;
        pages += 1;
        assert!(pages <= 4, "at most 70 rows: 4 pages");
    }
    assert_eq!(all, expected);

    // A token is the person's own, for that form and field; a forged one is refused.
    let token = first.more.clone().expect("more after the first page");
    let vic = app.signed_in_browser("vic", &[Role::User]).await;
    assert_eq!(
        app.next_page(&vic, form, &token).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other_field = app
        .call_json(
            &uma,
            "next_table_page",
            json!({ "form_id": form, "field": "status", "more": token }),
        )
        .await;
    assert_eq!(other_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut forged = token.clone();
    forged.replace_range(10..12, if &token[10..12] == "AA" { "BB" } else { "AA" });
    assert_eq!(
        app.next_page(&uma, form, &forged).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A filter Dropbox cannot answer: the folder is listed and filtered while streaming, sorted.
    let listings = app.dropbox_calls("files/list_folder");
    let scanned = app
        .run_rules(
            &uma,
            form,
            json!({ "Button": { "field": "scan" } }),
            json!({}),
        )
        .await;
    assert!(app.dropbox_calls("files/list_folder") > listings);
    let mut expected: Vec<(usize, String)> = (0..3000)
        .map(invoice)
        .filter(|(name, size)| name.contains("-beta-") && *size < 3)
        .map(|(name, size)| (size, format!("big/{name}")))
        .collect();
    expected.sort();
    let expected: Vec<String> = expected
        .into_iter()
        .take(20)
        .map(|(_, path)| path.trim_start_matches("big/").to_owned())
        .collect();
    let page = &scanned.tables["results"];
    assert_eq!(names(page), expected);
    assert!(page.more.is_none(), "Max rows 20 = one page");

    // No match: the table is cleared and the message says so.
    let none = app
        .run_rules(
            &uma,
            form,
            json!({ "Button": { "field": "find" } }),
            json!({ "Customer": text("zeta") }),
        )
        .await;
    assert!(none.tables["results"].rows.is_empty());
    assert_eq!(none.messages[0].text, "Nothing found for zeta.");
    assert_eq!(app.rule_runs(form, "no-match").await.total, 1);
}

#[tokio::test]
async fn find_items_is_refused_to_people_outside_connection_users_and_logged() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Private ledger").await;
    app.seed("/Secret/inv-acme-1.pdf", b"12345").await;
    app.create_user("uma", &[Role::User]).await;
    let uma_id = app.user_id_of("uma").await;
    let saved = app
        .call(
            "save_data_source_security",
            &[
                ("id", &ds.to_string()),
                ("users[0][User]", &uma_id),
                ("read_only", "false"),
            ],
        )
        .await;
    assert_eq!(
        saved.status(),
        StatusCode::OK,
        "{}",
        saved.text().await.unwrap()
    );
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("status", json!("Text"), false),
        field("find", button("Find"), false),
        field("results", results_table(20), false),
    ]);
    let rules = json!([rule(
        "r1",
        json!({ "Button": { "field": "find" } }),
        always(),
        find(ds, json!("Secret"), json!([]), json!(null), 10)
    )]);
    let form = app.publish_with_rules("Ledger lookup", fields, rules).await;

    let uma = app
        .browser_signed_in_as("uma", crate::helpers::PASSWORD)
        .await;
    let allowed = app
        .run_rules(
            &uma,
            form,
            json!({ "Button": { "field": "find" } }),
            json!({}),
        )
        .await;
    assert_eq!(allowed.tables["results"].rows.len(), 1);

    let nora = app.signed_in_browser("nora", &[Role::User]).await;
    let answer = app
        .call_json(
            &nora,
            "run_rules",
            json!({ "form_id": form, "event": { "Button": { "field": "find" } }, "values": {} }),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = answer.text().await.unwrap();
    assert!(
        !body.contains("Private ledger") && !body.contains("Secret"),
        "{body}"
    );
    let refused: RuleOutcome = serde_json::from_str(&body).unwrap();
    assert!(refused.tables.is_empty(), "{refused:?}");
    assert_eq!(
        refused.changes["status"],
        wharf_types::forms::FieldValue::Text("failed".into())
    );
    assert_eq!(refused.messages[0].level, MessageLevel::Error);
    assert!(
        refused.messages[0].text.contains("connection users"),
        "{refused:?}"
    );

    let runs = app.rule_runs(form, "refused").await;
    assert_eq!(runs.total, 1);
    assert_eq!(runs.rows[0].outcome, RunOutcome::Refused);
    assert_eq!(runs.rows[0].user.as_deref(), Some("nora"));
    assert_eq!(
        runs.rows[0].data_source_name.as_deref(),
        Some("Private ledger")
    );
    assert_eq!(app.rule_runs(form, "ok").await.total, 1);

    // The data source's administrators see its runs; a plain user does not.
    let per_source: RuleRunList = app
        .fetch(
            "list_data_source_rule_runs",
            &[("data_source_id", &ds.to_string())],
        )
        .await;
    assert_eq!(per_source.total, 2);
    let denied = app
        .call_from(
            &nora,
            "list_data_source_rule_runs",
            &[("data_source_id", &ds.to_string())],
        )
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let denied = app
        .call_from(&nora, "list_rule_runs", &[("form_id", &form.to_string())])
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_file_pattern_holds_and_folder_templates_cannot_climb_out() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form_fields = crate::helpers::DataSourceForm {
        display_name: "PDFs",
        root_folder: "/Root",
        file_pattern: "*.pdf",
        ..Default::default()
    };
    app.seed("/Root/Mixed/a.pdf", b"a").await;
    app.seed("/Root/Mixed/b.txt", b"b").await;
    app.seed("/Root/Mixed/c.PDF", b"c").await;
    app.seed("/Outside/secret.pdf", b"s").await;
    let ds = crate::helpers::id_of(app.save_data_source(&form_fields).await).await;
    app.connect(&ds).await;
    let ds: i32 = ds.parse().unwrap();
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("Folder", json!("Text"), false),
        field("status", json!("Text"), false),
        field("find", button("Find"), false),
        field("results", results_table(20), false),
    ]);
    let rules = json!([rule(
        "r1",
        json!({ "Button": { "field": "find" } }),
        always(),
        find(
            ds,
            json!("{Folder}"),
            json!([]),
            json!({ "parameter": "Name", "direction": "Ascending" }),
            100
        )
    )]);
    let form = app.publish_with_rules("Pattern", fields, rules).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    let click = json!({ "Button": { "field": "find" } });

    let found = app
        .run_rules(
            &uma,
            form,
            click.clone(),
            json!({ "Folder": text("Mixed") }),
        )
        .await;
    let names: Vec<String> = found.tables["results"]
        .rows
        .iter()
        .map(|r| r["name"].text())
        .collect();
    assert_eq!(names, ["a.pdf", "c.PDF"]);

    for climbing in [
        "../Outside",
        "Mixed/../../Outside",
        "Mixed/%2e%2e/%2e%2e/Outside",
    ] {
        let refused = app
            .run_rules(
                &uma,
                form,
                click.clone(),
                json!({ "Folder": text(climbing) }),
            )
            .await;
        assert!(refused.tables.is_empty(), "{climbing}: {refused:?}");
        assert_eq!(
            refused.changes["status"],
            wharf_types::forms::FieldValue::Text("failed".into())
        );
        assert_eq!(refused.messages[0].level, MessageLevel::Error, "{climbing}");
    }
    assert_eq!(app.rule_runs(form, "refused").await.total, 3);
}

#[tokio::test]
async fn before_submit_can_refuse_and_after_submit_changes_are_stored() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    // Hidden fields: what server-side rules set is kept; what the browser sends is kept only for a
    // field some rule may set (`reference`), never for one nobody could fill (`secret`).
    let hidden = |mut f: Value| {
        f["visible"] = json!(false);
        f
    };
    let fields = json!([
        field("note", json!("Text"), true),
        hidden(field("checked", json!("Text"), false)),
        hidden(field("receipt", json!("Text"), false)),
        hidden(field("reference", json!("Text"), false)),
        hidden(field("secret", json!("Text"), false)),
        field("go", button("Go"), false),
        field(
            "lines",
            json!({ "Table": {
                "columns": [{ "name": "what", "title": "What", "kind": "Text" },
                            { "name": "qty", "title": "Qty", "kind": "Number" }],
                "editable": true, "page_size": 20,
            }}),
            false
        ),
    ]);
    let rules = json!([
        rule(
            "r1",
            json!("BeforeSubmit"),
            only_if(json!([{ "field": "note", "operator": "Equals", "value": text("stop") }])),
            json!({ "ShowMessage": { "text": "Not with “{note}”.", "level": "Error" } })
        ),
        rule(
            "r2",
            json!("BeforeSubmit"),
            always(),
            set("checked", text("before"))
        ),
        rule(
            "r3",
            json!("AfterSubmit"),
            always(),
            set(
                "receipt",
                json!({ "Template": "{note} by {@user.name} ({checked})" })
            )
        ),
        rule(
            "r4",
            json!("AfterSubmit"),
            always(),
            json!({ "ShowMessage": { "text": "Thank you.", "level": "Info" } })
        ),
        rule(
            "r5",
            json!({ "Change": { "field": "note" } }),
            always(),
            set("reference", json!({ "Template": "REF-{note}" }))
        ),
    ]);
    let form = app.publish_with_rules("Receipts", fields, rules).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    let refused = refusal(
        app.submit(&uma, form, json!({ "note": text("stop") }))
            .await,
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.message, "Not with “stop”.");
    assert_eq!(app.submissions(form).await.submissions.total, 0);

    // A button holds no value; table cells must fit their columns.
    let button_value = refusal(
        app.submit(&uma, form, json!({ "note": text("go"), "go": text("x") }))
            .await,
    )
    .await;
    assert_eq!(button_value.field(), Some("go"));
    let bad_cell = refusal(
        app.submit(
            &uma,
            form,
            json!({ "note": text("go"), "lines": { "Table": [{ "qty": { "Text": "three" } }] } }),
        )
        .await,
    )
    .await;
    assert_eq!(bad_cell.field(), Some("lines"));
    let no_column = refusal(
        app.submit(
            &uma,
            form,
            json!({ "note": text("go"), "lines": { "Table": [{ "nope": { "Text": "x" } }] } }),
        )
        .await,
    )
    .await;
    assert_eq!(no_column.field(), Some("lines"));

    let answer = app
        .submit(
            &uma,
            form,
            json!({
                "note": text("go"),
                "reference": text("REF-go"),
                "secret": text("forged"),
                "lines": { "Table": [{ "what": { "Text": "Pens" }, "qty": { "Number": 3.0 } }] },
            }),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let submitted: Submitted = decoded(answer).await;
    // After submit runs as a job: the answer says it is queued, and the submitter follows it.
    assert!(submitted.messages.is_empty(), "{submitted:?}");
    assert_eq!(
        submitted.writes.map(|w| w.state),
        Some(wharf_types::rules::WritesState::Queued)
    );
    let writes = app.writes_settled(&uma, submitted.id).await;
    assert_eq!(writes.state, wharf_types::rules::WritesState::Done);
    assert_eq!(writes.messages.len(), 1);
    assert_eq!(writes.messages[0].text, "Thank you.");
    let stored = app.submissions(form).await.submissions.rows.remove(0);
    assert_eq!(stored.id, submitted.id);
    assert_eq!(
        stored.values["checked"],
        wharf_types::forms::FieldValue::Text("before".into())
    );
    assert_eq!(
        stored.values["receipt"],
        wharf_types::forms::FieldValue::Text("go by uma (before)".into())
    );
    assert!(
        matches!(&stored.values["lines"], wharf_types::forms::FieldValue::Table(rows) if rows.len() == 1)
    );
    assert_eq!(
        stored.values["reference"],
        wharf_types::forms::FieldValue::Text("REF-go".into())
    );
    assert!(
        !stored.values.contains_key("secret"),
        "a hidden field no rule sets keeps nothing the browser sent"
    );
    let after = app.rule_runs(form, "").await;
    assert!(after.rows.iter().any(|r| r.trigger == "after-submit"));
}

#[tokio::test]
async fn a_dropbox_failure_ends_the_rule_with_its_on_error_reaction_and_its_own_sentence() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    // Never authorized: every call to it fails before Dropbox is asked.
    let ds: i32 = app.new_data_source("Unplugged").await.parse().unwrap();
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("status", json!("Text"), false),
        field("find", button("Find"), false),
        field("results", results_table(20), false),
    ]);
    let rules = json!([
        rule(
            "r1",
            json!({ "Button": { "field": "find" } }),
            always(),
            find(ds, json!(""), json!([]), json!(null), 10)
        ),
        // Runs after the failure, on the values as the failed rule left them.
        rule(
            "r2",
            json!({ "Button": { "field": "find" } }),
            always(),
            set("Customer", json!({ "Template": "after {status}" }))
        ),
    ]);
    let form = app
        .publish_with_rules("Unplugged lookup", fields, rules)
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    let failed = app
        .run_rules(
            &uma,
            form,
            json!({ "Button": { "field": "find" } }),
            json!({}),
        )
        .await;
    assert!(failed.tables.is_empty(), "{failed:?}");
    assert_eq!(
        failed.changes["status"],
        wharf_types::forms::FieldValue::Text("failed".into())
    );
    assert_eq!(
        failed.changes["Customer"],
        wharf_types::forms::FieldValue::Text("after failed".into())
    );
    assert_eq!(failed.messages.len(), 1);
    assert_eq!(failed.messages[0].level, MessageLevel::Error);
    assert!(
        failed.messages[0].text.contains("not connected to Dropbox"),
        "{failed:?}"
    );
    let errors = app.rule_runs(form, "error").await;
    assert_eq!(errors.total, 1);
    assert!(errors.rows[0].message.contains("not connected to Dropbox"));
}

/// Every filter operator, through the server against the sandbox: a designer's preview run of one
/// Find items per (parameter, operator, value) over four files, compared with what each must select.
#[tokio::test]
async fn every_filter_operator_selects_the_files_it_should() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    for (name, size) in [
        ("alpha.pdf", 1),
        ("Beta report.txt", 10),
        ("gamma.PDF", 100),
        ("delta.docx", 1000),
    ] {
        app.seed_file(&format!("/Ops/{name}"), &vec![b'x'; size])
            .await;
    }
    let ds = app.connected_data_source("Operators").await;
    let fields = json!([
        field("Customer", json!("Text"), false),
        field("status", json!("Text"), false),
        field("find", button("Find"), false),
        field("results", results_table(20), false),
    ]);
    let form: i32 = app.fetch("create_form", &[("title", "Operators")]).await;
    let all = ["alpha.pdf", "Beta report.txt", "delta.docx", "gamma.PDF"];
    let today = json!({ "Template": "{@today}" });
    let cases: Vec<(&str, &str, Value, Vec<&str>)> = vec![
        ("Name", "Equals", text("ALPHA.pdf"), vec!["alpha.pdf"]),
        ("Name", "NotEquals", text("alpha.pdf"), all[1..].to_vec()),
        ("Name", "Contains", text("ET"), vec!["Beta report.txt"]),
        ("Name", "StartsWith", text("ga"), vec!["gamma.PDF"]),
        (
            "Name",
            "EndsWith",
            text(".pdf"),
            vec!["alpha.pdf", "gamma.PDF"],
        ),
        (
            "NameNoExtension",
            "Equals",
            text("delta"),
            vec!["delta.docx"],
        ),
        ("Extension", "IsNotEmpty", text(""), all.to_vec()),
        ("Extension", "IsEmpty", text(""), vec![]),
        ("Size", "Equals", text("10"), vec!["Beta report.txt"]),
        ("Size", "NotEquals", text("1"), all[1..].to_vec()),
        ("Size", "Less", text("10"), vec!["alpha.pdf"]),
        (
            "Size",
            "LessOrEqual",
            text("10"),
            vec!["alpha.pdf", "Beta report.txt"],
        ),
        (
            "Size",
            "Greater",
            text("10"),
            vec!["delta.docx", "gamma.PDF"],
        ),
        (
            "Size",
            "GreaterOrEqual",
            text("100"),
            vec!["delta.docx", "gamma.PDF"],
        ),
        ("Modified", "On", today.clone(), all.to_vec()),
        ("Modified", "Before", today.clone(), vec![]),
        ("Modified", "After", today, vec![]),
        ("Modified", "WithinLastDays", text("0"), all.to_vec()),
        ("Modified", "IsEmpty", text(""), vec![]),
    ];
    for (parameter, operator, value, expected) in cases {
        let filters = json!([{ "parameter": parameter, "operator": operator, "value": value }]);
        let rules = json!([rule(
            "r1",
            json!({ "Button": { "field": "find" } }),
            always(),
            find(
                ds,
                json!("Ops"),
                filters,
                json!({ "parameter": "Name", "direction": "Ascending" }),
                100
            )
        )]);
        let draft = json!({ "id": form, "title": "Operators",
            "draft": { "fields": fields.clone(), "rules": rules } });
        let saved = app.call_json(&app.client, "save_form", draft).await;
        assert_eq!(saved.status(), StatusCode::OK, "{parameter} {operator}");
        let answer = app
            .call_json(
                &app.client,
                "run_rules",
                json!({ "form_id": form, "preview": true,
                        "event": { "Button": { "field": "find" } }, "values": {} }),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "{parameter} {operator}");
        let outcome: RuleOutcome = decoded(answer).await;
        let names: Vec<String> = outcome
            .tables
            .get("results")
            .map(|t| t.rows.iter().map(|r| r["name"].text()).collect())
            .unwrap_or_default();
        assert_eq!(names, expected, "{parameter} {operator}");
    }
}
