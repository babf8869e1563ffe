//! A submission's After submit work as a job, through real HTTP against the built-in sandbox: the
//! answer says it is queued, the worker runs it with the submitter's rights, a write that fails for
//! good needs attention until a designer retries, Dropbox outages are retried with one copy
//! written, a job whose worker died is taken over once, and two instances on one database run
//! each job exactly once.
use crate::helpers::{TestApp, decoded, field, refusal, spawn_app};
use app::dto::Submitted;
use dropbox_sandbox::{FaultKind, FaultSpec};
use entity::{form_submission, job, rule_run};
use reqwest::{Client, StatusCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;
use wharf_types::Role;
use wharf_types::forms::FieldValue;
use wharf_types::rules::{StepState, WritesProgress, WritesState};

fn rule(id: &str, action: Value) -> Value {
    json!({
        "id": id, "name": format!("Rule {id}"), "enabled": true, "trigger": "AfterSubmit",
        "conditions": { "combine": "And", "groups": [] }, "action": action,
    })
}

fn reaction() -> Value {
    json!({ "assignments": [], "message": "" })
}

/// Set `receipt` and say thank you: After submit rules that write nowhere.
fn quiet_rules() -> Value {
    json!([
        rule(
            "r1",
            json!({ "SetField": { "assignments": [
            { "field": "receipt", "value": { "Template": "{note} received" } },
        ] } })
        ),
        rule(
            "r2",
            json!({ "ShowMessage": { "text": "Thanks for {note}.", "level": "Info" } })
        ),
    ])
}

/// Create item: `Intake/{note}.txt` holding `Note: {note}` in `data_source`.
fn create_text(id: &str, data_source: i32, on_conflict: &str) -> Value {
    create_text_in("Intake", id, data_source, on_conflict)
}

/// Create item: `{folder}/{note}.txt` holding `Note: {note}` in `data_source`.
fn create_text_in(folder: &str, id: &str, data_source: i32, on_conflict: &str) -> Value {
    rule(
        id,
        json!({ "CreateItem": {
            "data_source_id": data_source, "folder": folder, "name": "{note}.txt",
            "content": { "Text": { "template": "Note: {note}" } },
            "on_conflict": on_conflict, "result": [],
            "on_success": reaction(), "on_error": reaction(),
        } }),
    )
}

fn fields() -> Value {
    json!([
        field("note", json!("Text"), true),
        field("receipt", json!("Text"), false),
    ])
}

fn note(text: &str) -> Value {
    json!({ "note": { "Text": text } })
}

impl TestApp {
    async fn publish_after_submit(&self, title: &str, rules: Value) -> i32 {
        let id: i32 = self.fetch("create_form", &[("title", title)]).await;
        self.publish_again(id, title, rules).await;
        id
    }

    /// Saves `rules` into form `id`'s draft and publishes it as the next version.
    async fn publish_again(&self, id: i32, title: &str, rules: Value) {
        let draft =
            json!({ "id": id, "title": title, "draft": { "fields": fields(), "rules": rules } });
        let saved = self.call_json(&self.client, "save_form", draft).await;
        assert_eq!(
            saved.status(),
            StatusCode::OK,
            "{}",
            saved.text().await.unwrap()
        );
        let published = self.call("publish_form", &[("id", &id.to_string())]).await;
        assert_eq!(published.status(), StatusCode::OK);
    }

    /// Submits and checks the answer says the writes are queued; the submission's id.
    async fn submit_queued(&self, browser: &Client, form: i32, values: Value) -> i32 {
        let submitted: Submitted = decoded(self.submit(browser, form, values).await).await;
        assert!(submitted.messages.is_empty(), "{submitted:?}");
        let writes = submitted.writes.expect("the writes are queued");
        assert_eq!(writes.state, WritesState::Queued);
        submitted.id
    }

    async fn content(&self, path: &str) -> Option<Vec<u8>> {
        let account = self.sandbox().accounts()[0].account_id.clone();
        self.sandbox().file_content(&account, path).await
    }

    /// Files directly in `folder` of the sandbox (through Wharf, as the administrator).
    async fn file_names(&self, data_source: i32, folder: &str) -> Vec<String> {
        let page = self.folder(data_source, folder).await;
        page.entries.into_iter().map(|e| e.name).collect()
    }

    /// Successful uploads Dropbox answered.
    fn uploads_done(&self) -> usize {
        let requests = self.sandbox().requests();
        let ok = requests
            .iter()
            .filter(|r| r.route == "files/upload" && r.status == 200);
        ok.count()
    }

    /// After submit rule runs of `form` (the run log).
    async fn after_submit_runs(&self, form: i32) -> u64 {
        rule_run::Entity::find()
            .filter(rule_run::Column::FormId.eq(form))
            .filter(rule_run::Column::Trigger.eq("after-submit"))
            .count(&self.db)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn after_submit_runs_as_a_job_and_writes_its_file_once() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Intake").await;
    let mut rules = quiet_rules();
    rules
        .as_array_mut()
        .unwrap()
        .push(create_text("r3", ds, "Fail"));
    let form = app.publish_after_submit("Invoice intake", rules).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    let id = app.submit_queued(&uma, form, note("ACME")).await;
    let writes = app.writes_settled(&uma, id).await;

    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!((writes.done, writes.total), (1, 1), "{writes:?}");
    assert_eq!(writes.steps.len(), 1);
    assert_eq!(writes.steps[0].state, StepState::Done);
    assert_eq!(writes.error, None);
    assert_eq!(writes.attempts, 1);
    let texts: Vec<&str> = writes.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Thanks for ACME."]);
    assert_eq!(
        app.content("/Intake/ACME.txt").await.as_deref(),
        Some(&b"Note: ACME"[..])
    );
    assert_eq!(app.file_names(ds, "Intake").await, ["ACME.txt"]);
    assert_eq!(app.uploads_done(), 1);
    // What the rules set is stored, and the list shows the writes with the submission.
    let listed = app.submissions(form).await.submissions.rows.remove(0);
    assert_eq!(listed.id, id);
    assert_eq!(
        listed.values["receipt"],
        FieldValue::Text("ACME received".into())
    );
    assert_eq!(listed.writes.map(|w| w.state), Some(WritesState::Done));
    assert_eq!(app.after_submit_runs(form).await, 3);

    // Only the submitter and designers follow a submission's writes.
    let stranger = app.signed_in_browser("stranger", &[Role::User]).await;
    let hidden = refusal(app.submission_writes(&stranger, id).await).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let missing = refusal(app.submission_writes(&uma, id + 1000).await).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.message, missing.message);
}

/// A published form "Scans" with a Text field `note` and a File upload field `scan` saving into
/// `Scans/{note}` of data source `ds`; answers its id.
/// An app with a connected data source (Intake), the Scans form whose `scan` File upload field saves
/// to `Scans/{note}` there with `on_conflict`, and uma signed in to fill it in.
struct Scans {
    app: TestApp,
    ds: i32,
    form: i32,
    uma: Client,
}

impl Scans {
    async fn new(on_conflict: &str) -> Self {
        let app = spawn_app().await;
        app.sign_in_as_admin().await;
        let ds = app.connected_data_source("Intake").await;
        let form = publish_scans_form(&app, ds, on_conflict).await;
        let uma = app.signed_in_browser("uma", &[Role::User]).await;
        Self { app, ds, form, uma }
    }

    /// Uploads `content` as `page.pdf`; answers the receipt's token.
    async fn upload(&self, content: &'static [u8]) -> String {
        let uploaded = self
            .uma
            .post(format!(
                "{}{}",
                self.app.address,
                app::urls::upload(self.form, "scan", "page.pdf")
            ))
            .header("Content-Type", "application/pdf")
            .body(content)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::OK);
        let receipt: wharf_types::forms::UploadReceipt = uploaded.json().await.unwrap();
        receipt.token
    }

    /// The only upload's row.
    async fn upload_row(&self) -> entity::form_upload::Model {
        entity::form_upload::Entity::find()
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// Submits note ACME with upload `token`; answers what Submit said and the writes once settled.
    async fn submit(&self, token: &str) -> (Submitted, WritesProgress) {
        let values = json!({ "note": { "Text": "ACME" }, "scan": { "UploadTokens": [token] } });
        let submitted: Submitted =
            decoded(self.app.submit(&self.uma, self.form, values).await).await;
        let writes = self.app.writes_settled(&self.uma, submitted.id).await;
        (submitted, writes)
    }

    /// Where the first submission's file was saved, as stored with it.
    async fn saved(&self) -> wharf_types::forms::FileChoice {
        let listed = self
            .app
            .submissions(self.form)
            .await
            .submissions
            .rows
            .remove(0);
        match &listed.values["scan"] {
            FieldValue::Uploads(files) => files[0].saved.clone().expect("saved"),
            other => panic!("{other:?}"),
        }
    }
}

async fn publish_scans_form(app: &TestApp, ds: i32, on_conflict: &str) -> i32 {
    let mut with_upload = fields();
    with_upload.as_array_mut().unwrap().push(field(
        "scan",
        json!({ "FileUpload": { "save_to": { "DataSource": {
            "data_source_id": ds, "folder": "Scans/{note}", "name": "Original",
            "on_conflict": on_conflict,
        } } } }),
        false,
    ));
    let id: i32 = app.fetch("create_form", &[("title", "Scans")]).await;
    let draft = json!({ "id": id, "title": "Scans", "draft": { "fields": with_upload } });
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

#[tokio::test]
async fn uploaded_files_are_sent_on_as_they_arrive_and_committed_by_the_job() {
    let scans = Scans::new("Fail").await;
    let app = &scans.app;
    let token = scans.upload(b"%PDF-1.4 page").await;
    // Already on its way to Dropbox (an open session), not yet a file there.
    assert_eq!(app.dropbox_calls("files/upload_session/start"), 1);
    assert_eq!(app.dropbox_calls("files/upload_session/finish"), 0);

    let (submitted, writes) = scans.submit(&token).await;
    let queued = submitted.writes.expect("queued");
    assert_eq!((queued.state, queued.total), (WritesState::Queued, 1));
    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!((writes.done, writes.total), (1, 1), "{writes:?}");
    assert_eq!(
        app.content("/Scans/ACME/page.pdf").await.as_deref(),
        Some(&b"%PDF-1.4 page"[..])
    );
    // The job only committed the session: the bytes were not sent a second time.
    assert_eq!(app.dropbox_calls("files/upload_session/finish"), 1);
    assert_eq!(app.dropbox_calls("files/upload"), 0);
    assert_eq!(app.dropbox_calls("files/upload_session/start"), 1);
    // Where the file went is stored with the submission.
    let saved = scans.saved().await;
    assert_eq!(
        (saved.data_source_id, saved.path.as_str()),
        (scans.ds, "Scans/ACME/page.pdf")
    );
}

#[tokio::test]
async fn a_session_dropbox_no_longer_knows_is_sent_again_from_wharf() {
    let scans = Scans::new("Fail").await;
    let app = &scans.app;
    let token = scans.upload(b"%PDF-1.4 expired").await;
    // As if Dropbox had let the session expire: it names a session Dropbox never opened.
    let row = scans.upload_row().await;
    let mut sent: Value = serde_json::from_str(row.dropbox_session.as_deref().unwrap()).unwrap();
    sent["pending"]["session_id"] = json!("pid_upload_session:expired");
    let mut active: entity::form_upload::ActiveModel = row.into();
    active.dropbox_session = Set(Some(sent.to_string()));
    active.update(&app.db).await.unwrap();

    let (_, writes) = scans.submit(&token).await;

    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!(
        app.content("/Scans/ACME/page.pdf").await.as_deref(),
        Some(&b"%PDF-1.4 expired"[..])
    );
    assert_eq!(app.dropbox_calls("files/upload"), 1);
}

#[tokio::test]
async fn an_upload_whose_session_failed_is_hashed_here_and_sent_from_wharf() {
    let scans = Scans::new("Fail").await;
    let app = &scans.app;
    // The session that was to carry (and hash) the file cannot start.
    app.sandbox().add_fault(FaultSpec::new(
        "files/upload_session/start",
        FaultKind::Status {
            status: 400,
            retry_after: None,
        },
    ));
    let content = b"%PDF-1.4 no session";
    let token = scans.upload(content).await;
    let row = scans.upload_row().await;
    assert_eq!(row.dropbox_session, None);
    // Still checked: hashed from the staged copy instead.
    assert_eq!(
        row.checksum,
        format!("dropbox:{}", dropbox::content_hash(content))
    );

    let (_, writes) = scans.submit(&token).await;

    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!(
        app.content("/Scans/ACME/page.pdf").await.as_deref(),
        Some(&content[..])
    );
    assert_eq!(app.dropbox_calls("files/upload"), 1);
}

#[tokio::test]
async fn an_upload_sent_ahead_to_a_taken_name_gets_a_number_from_dropbox() {
    let scans = Scans::new("Autorename").await;
    let app = &scans.app;
    app.seed_file("/Scans/ACME/page.pdf", b"someone else's")
        .await;
    app.seed_file("/Scans/ACME/page (1).pdf", b"and another")
        .await;
    let token = scans.upload(b"%PDF-1.4 ours").await;

    let (_, writes) = scans.submit(&token).await;

    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!(
        app.content("/Scans/ACME/page (2).pdf").await.as_deref(),
        Some(&b"%PDF-1.4 ours"[..])
    );
    assert_eq!(
        app.content("/Scans/ACME/page.pdf").await.as_deref(),
        Some(&b"someone else's"[..])
    );
    // Dropbox numbered it while committing the session: one commit, no lookups of free names.
    assert_eq!(app.dropbox_calls("files/upload_session/finish"), 1);
    assert_eq!(app.dropbox_calls("files/upload"), 0);
    assert_eq!(app.dropbox_calls("files/get_metadata"), 0);
    assert_eq!(scans.saved().await.path, "Scans/ACME/page (2).pdf");
}

#[tokio::test]
async fn a_form_without_after_submit_work_queues_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.publish_after_submit("Plain", json!([])).await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    let submitted: Submitted = decoded(app.submit(&uma, form, note("x")).await).await;

    assert_eq!(submitted.writes, None);
    assert_eq!(job::Entity::find().count(&app.db).await.unwrap(), 0);
    let none = refusal(app.submission_writes(&uma, submitted.id).await).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_write_that_fails_needs_attention_until_a_designer_retries() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Intake").await;
    app.seed_file("/Intake/ACME.txt", b"already here").await;
    let form = app
        .publish_after_submit("Invoice intake", json!([create_text("r1", ds, "Fail")]))
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;

    let id = app.submit_queued(&uma, form, note("ACME")).await;
    let failed = app.writes_settled(&uma, id).await;

    assert_eq!(failed.state, WritesState::NeedsAttention, "{failed:?}");
    let sentence = failed.error.clone().expect("a sentence");
    assert!(!sentence.trim().is_empty());
    assert_eq!(failed.steps.len(), 1);
    assert_eq!(failed.steps[0].state, StepState::Failed);
    assert_eq!(failed.steps[0].message, sentence);
    assert_eq!(failed.done, 0);
    let listed = app.submissions(form).await.submissions.rows.remove(0);
    let listed = listed.writes.expect("the list shows the writes");
    assert_eq!(listed.state, WritesState::NeedsAttention);
    assert_eq!(listed.error.as_deref(), Some(sentence.as_str()));
    assert_eq!(
        app.content("/Intake/ACME.txt").await.as_deref(),
        Some(&b"already here"[..])
    );

    // The submitter follows it but may not retry; a designer may, once the cause is gone.
    let by_submitter = refusal(app.retry_writes(&uma, id).await).await;
    assert_eq!(by_submitter.status, StatusCode::FORBIDDEN);
    let cleared = app
        .call(
            "delete_entry",
            &[("id", &ds.to_string()), ("path", "Intake/ACME.txt")],
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    let designer = app
        .signed_in_browser("dee", &[Role::DesignBusinessProcess])
        .await;
    let queued: WritesProgress = decoded(app.retry_writes(&designer, id).await).await;
    assert_eq!(queued.state, WritesState::Queued);
    assert!(
        queued.steps.is_empty(),
        "failed writes are forgotten: {queued:?}"
    );

    let done = app.writes_settled(&designer, id).await;
    assert_eq!(done.state, WritesState::Done, "{done:?}");
    assert_eq!(done.error, None);
    assert_eq!(done.attempts, 1);
    assert_eq!(
        app.content("/Intake/ACME.txt").await.as_deref(),
        Some(&b"Note: ACME"[..])
    );
    // Done writes are not retried.
    let again = refusal(app.retry_writes(&designer, id).await).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn writes_run_the_version_submitted_on_and_a_retry_the_version_published_now() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Intake").await;
    let title = "Invoice intake";
    let form = app
        .publish_after_submit(title, json!([create_text_in("Intake", "r1", ds, "Fail")]))
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    // Dropbox unavailable once: the job's next attempt comes after a new version is published.
    app.sandbox().add_fault(
        FaultSpec::new(
            "files/upload",
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(1),
    );
    let acme = app.submit_queued(&uma, form, note("ACME")).await;
    app.publish_again(
        form,
        title,
        json!([create_text_in("Archive", "r1", ds, "Fail")]),
    )
    .await;

    let written = app.writes_settled(&uma, acme).await;
    assert_eq!(written.state, WritesState::Done, "{written:?}");
    assert!(written.attempts >= 2, "{written:?}");
    assert_eq!(app.file_names(ds, "Intake").await, ["ACME.txt"]);
    assert!(app.content("/Archive/ACME.txt").await.is_none());

    // Filled in on version 2, failing there; the designer mends the rule in version 3 and
    // retries: the mended rule runs.
    app.seed_file("/Archive/BETA.txt", b"someone else's").await;
    let beta = app.submit_queued(&uma, form, note("BETA")).await;
    let failed = app.writes_settled(&uma, beta).await;
    assert_eq!(failed.state, WritesState::NeedsAttention, "{failed:?}");
    app.publish_again(
        form,
        title,
        json!([create_text_in("Archive", "r1", ds, "Autorename")]),
    )
    .await;
    let designer = app
        .signed_in_browser("dee", &[Role::DesignBusinessProcess])
        .await;
    let queued: WritesProgress = decoded(app.retry_writes(&designer, beta).await).await;
    assert_eq!(queued.state, WritesState::Queued);
    let mended = app.writes_settled(&designer, beta).await;
    assert_eq!(mended.state, WritesState::Done, "{mended:?}");
    assert_eq!(
        app.content("/Archive/BETA (1).txt").await.as_deref(),
        Some(&b"Note: BETA"[..])
    );
    let job = job::Entity::find()
        .filter(job::Column::SubmissionId.eq(beta))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.run_version, Some(3));
}

#[tokio::test]
async fn a_dropbox_outage_is_retried_and_one_copy_is_written() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Intake").await;
    let form = app
        .publish_after_submit(
            "Invoice intake",
            json!([create_text("r1", ds, "Autorename")]),
        )
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    // Dropbox unavailable for the first two uploads (an upload is not repeated blindly by the
    // client): two attempts fail, and the job is retried after 2 s, then 4 s.
    app.sandbox().add_fault(
        FaultSpec::new(
            "files/upload",
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(2),
    );

    let id = app.submit_queued(&uma, form, note("ACME")).await;
    let writes = app.writes_settled(&uma, id).await;

    assert_eq!(writes.state, WritesState::Done, "{writes:?}");
    assert_eq!(writes.attempts, 3, "{writes:?}");
    assert!(app.sandbox().faults().is_empty(), "every 503 was answered");
    assert_eq!(app.file_names(ds, "Intake").await, ["ACME.txt"]);
    assert_eq!(app.uploads_done(), 1);
}

/// Inserts `n` submissions of `form` by `user_id`, each with its After submit job, in one
/// transaction; `state` and `lease` as given (a worker that died leaves `running` and a lease).
async fn jobs_in_database(
    app: &TestApp,
    form: i32,
    user_id: i32,
    n: usize,
    state: &str,
    lease_until: Option<OffsetDateTime>,
) -> Vec<i32> {
    let txn = app.db.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let values = json!({ "note": { "Text": format!("n{i}") } }).to_string();
        let submission = form_submission::ActiveModel {
            form_id: Set(form),
            form_version: Set(1),
            submitted_by: Set(Some(user_id)),
            submitted_at: Set(OffsetDateTime::now_utc()),
            values: Set(values),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
        domain::jobs::enqueue_after_submit(&txn, submission.id, form, 0)
            .await
            .unwrap();
        if state != "queued" {
            let queued = job::Entity::find()
                .filter(job::Column::SubmissionId.eq(submission.id))
                .one(&txn)
                .await
                .unwrap()
                .unwrap();
            let mut left: job::ActiveModel = queued.into();
            left.state = Set(state.to_owned());
            left.attempts = Set(1);
            left.lease_owner = Set(Some("worker-that-died".into()));
            left.lease_until = Set(lease_until);
            left.update(&txn).await.unwrap();
        }
        ids.push(submission.id);
    }
    txn.commit().await.unwrap();
    ids
}

/// Waits until every job of `form` is done; fails after `patience`.
async fn all_done(app: &TestApp, form: i32, patience: Duration) -> Vec<job::Model> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let jobs = job::Entity::find()
            .filter(job::Column::FormId.eq(form))
            .all(&app.db)
            .await
            .unwrap();
        if jobs.iter().all(|j| j.state == "done") {
            return jobs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs not done: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_job_left_running_by_a_dead_worker_is_taken_over_once_its_lease_expires() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.publish_after_submit("Receipts", quiet_rules()).await;
    app.create_user("uma", &[Role::User]).await;
    let uma = crate::authorization_matrix::user_id(&app, "uma").await;
    let now = OffsetDateTime::now_utc();
    // Still leased by a live worker elsewhere: left alone.
    let held = jobs_in_database(
        &app,
        form,
        uma,
        1,
        "running",
        Some(now + time::Duration::hours(1)),
    )
    .await;
    let died = jobs_in_database(
        &app,
        form,
        uma,
        1,
        "running",
        Some(now - time::Duration::seconds(1)),
    )
    .await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let taken_over = loop {
        let progress = domain::jobs::progress(&app.db, died[0]).await.unwrap();
        if progress.state.is_final() {
            break progress;
        }
        assert!(tokio::time::Instant::now() < deadline, "{progress:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(taken_over.state, WritesState::Done, "{taken_over:?}");
    assert_eq!(taken_over.attempts, 2);
    assert_eq!(taken_over.messages[0].text, "Thanks for n0.");
    // Exactly once: one run of each of the two rules; the stored value set once.
    assert_eq!(app.after_submit_runs(form).await, 2);
    let stored = form_submission::Entity::find_by_id(died[0])
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.values.contains("n0 received"), "{}", stored.values);
    // A restart does not take a job whose lease is still held.
    let mut app = app;
    app.restart().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let still = domain::jobs::progress(&app.db, held[0]).await.unwrap();
    assert_eq!(still.state, WritesState::Writing);
    assert_eq!(app.after_submit_runs(form).await, 2);
}

#[tokio::test]
async fn a_submitter_who_was_disabled_leaves_writes_that_need_attention() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.publish_after_submit("Receipts", quiet_rules()).await;
    app.create_user("gone", &[Role::User]).await;
    let gone = crate::authorization_matrix::user_id(&app, "gone").await;
    let response = app
        .update_user(&gone.to_string(), "gone", &[Role::User], true)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let ids = jobs_in_database(&app, form, gone, 1, "queued", None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let progress = loop {
        let progress = domain::jobs::progress(&app.db, ids[0]).await.unwrap();
        if progress.state.is_final() {
            break progress;
        }
        assert!(tokio::time::Instant::now() < deadline, "{progress:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(progress.state, WritesState::NeedsAttention);
    let sentence = progress.error.unwrap_or_default();
    assert!(sentence.contains("disabled or deleted"), "{sentence}");
    assert_eq!(app.after_submit_runs(form).await, 0);
}

#[tokio::test]
async fn two_instances_on_one_database_run_each_job_exactly_once() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.publish_after_submit("Receipts", quiet_rules()).await;
    app.create_user("uma", &[Role::User]).await;
    let uma = crate::authorization_matrix::user_id(&app, "uma").await;
    let second = app.second_instance().await;

    const N: usize = 40;
    let ids = jobs_in_database(&app, form, uma, N, "queued", None).await;
    let jobs = all_done(&app, form, Duration::from_secs(60)).await;

    assert_eq!(jobs.len(), N);
    assert!(jobs.iter().all(|j| j.attempts == 1), "{jobs:?}");
    assert_eq!(app.after_submit_runs(form).await, 2 * N as u64);
    for id in ids {
        let stored = form_submission::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(stored.values.contains(" received"), "{}", stored.values);
    }
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_claims_on_two_connections_take_each_job_once() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let form = app.publish_after_submit("Nothing after", json!([])).await;
    app.create_user("uma", &[Role::User]).await;
    let uma = crate::authorization_matrix::user_id(&app, "uma").await;
    let connections = [
        app.another_connection().await,
        app.another_connection().await,
    ];

    const N: usize = 60;
    jobs_in_database(&app, form, uma, N, "queued", None).await;
    // Eight claimers on two connections, each claiming until nothing is due, racing each other
    // (and the application's own worker) for the same oldest job.
    let claimers = (0..8).map(|i| {
        let db = connections[i % 2].clone();
        tokio::spawn(async move {
            let owner = format!("claimer-{i}");
            let mut claimed = Vec::new();
            while let Some(job) = domain::jobs::claim(&db, &owner).await.unwrap() {
                claimed.push(job.id);
            }
            claimed
        })
    });
    let mut claimed: Vec<i32> = Vec::new();
    for claimer in claimers.collect::<Vec<_>>() {
        claimed.extend(claimer.await.unwrap());
    }
    let unique: std::collections::BTreeSet<i32> = claimed.iter().copied().collect();
    assert_eq!(unique.len(), claimed.len(), "a job was claimed twice");

    // Every job was claimed once: by a claimer (running, its lease held) or by the worker (done).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let jobs = job::Entity::find().all(&app.db).await.unwrap();
        if jobs
            .iter()
            .all(|j| j.state != "queued" && (j.state != "running" || unique.contains(&j.id)))
        {
            for j in &jobs {
                assert_eq!(j.attempts, 1, "{j:?}");
                let by_claimer = unique.contains(&j.id);
                assert_eq!(
                    j.state,
                    if by_claimer { "running" } else { "done" },
                    "{j:?}"
                );
            }
            assert_eq!(jobs.len(), N);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{jobs:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn shutting_down_lets_the_running_job_finish_its_write() {
    let mut app = spawn_app().await;
    app.sign_in_as_admin().await;
    let ds = app.connected_data_source("Intake").await;
    let form = app
        .publish_after_submit("Invoice intake", json!([create_text("r1", ds, "Fail")]))
        .await;
    let uma = app.signed_in_browser("uma", &[Role::User]).await;
    // A slow upload: the job is in the middle of its write when the server is asked to stop.
    app.sandbox().add_fault(FaultSpec::new(
        "files/upload",
        FaultKind::Delay { millis: 1500 },
    ));
    let id = app.submit_queued(&uma, form, note("ACME")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while domain::jobs::progress(&app.db, id)
        .await
        .unwrap()
        .steps
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the write never began"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dropbox = app.sandbox.clone().expect("the sandbox runs");

    app.restart().await;

    // Stopping waited for the write: done by the first attempt, not left to its lease.
    let done = domain::jobs::progress(&app.db, id).await.unwrap();
    assert_eq!(done.state, WritesState::Done, "{done:?}");
    assert_eq!(done.attempts, 1);
    let account = dropbox.accounts()[0].account_id.clone();
    assert_eq!(
        dropbox
            .file_content(&account, "/Intake/ACME.txt")
            .await
            .as_deref(),
        Some(&b"Note: ACME"[..])
    );
}
