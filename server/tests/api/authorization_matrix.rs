//! Every server function and every plain route × every kind of caller, with the exact HTTP status
//! each must get. A server function or route without a row here fails the test: nobody can add an
//! entry point without deciding who may call it.
use crate::helpers::{TestApp, new_browser, spawn_app};
use app::error::AppError;
use app::urls;
use domain::identity::find_active_user;
use domain::policy::Grantee;
use entity::user;
use reqwest::{Client, StatusCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use std::collections::BTreeSet;
use wharf_types::Role;
use wharf_types::forms::{
    DataSourceList, FieldDefinition, FieldKind, FormDefinition, ListField, ListFormat, ListSource,
};

const SUBJECTS: [&str; 9] = [
    "anonymous",
    "disabled user",
    "user",
    "designer",
    "data-source manager",
    "connection administrator",
    "connection user",
    "non-member",
    "administrator",
];

/// What a caller gets, by kind. Each kind has ONE status, whichever kind of entry point answers it
/// (server function or plain route), and every refusal's body is the `AppError` of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Allowed,
    /// The page guard sending a navigation (a plain GET) without a session to sign-in.
    SignInPage,
    /// Not signed in, or not with these credentials.
    SignIn,
    /// Signed in, but the policy (or the file pattern) refuses.
    Refused,
    /// What was sent cannot be used (a path climbing out, a forged state, a field that takes no file).
    Invalid,
    /// The data source was never authorized (or, generally, what has to happen first).
    NotConnected,
    /// Not there for this caller: answered as if it did not exist.
    Hidden,
}
use Answer::{Allowed, Hidden, Invalid, NotConnected, Refused, SignIn, SignInPage};

impl Answer {
    fn status(self) -> u16 {
        match self {
            Allowed => 200,
            SignInPage => 303,
            SignIn => 401,
            Refused => 403,
            Hidden => 404,
            NotConnected => 409,
            Invalid => 422,
        }
    }

    /// The kind an error body stands for.
    fn of(error: &AppError) -> Option<Answer> {
        match error {
            AppError::Unauthenticated | AppError::InvalidCredentials => Some(SignIn),
            AppError::Forbidden(_) | AppError::PasswordChangeRequired => Some(Refused),
            AppError::Validation { .. } => Some(Invalid),
            AppError::Conflict(_) => Some(NotConnected),
            AppError::NotFound(_) => Some(Hidden),
            _ => None,
        }
    }
}

// Column order as SUBJECTS.
const EVERYONE_OK: [Answer; 9] = [Allowed; 9];
const SIGNED_IN: [Answer; 9] = [
    SignIn, SignIn, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed,
];
const DATA_SOURCE_AREA: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Allowed, Allowed, Refused, Refused, Allowed,
];
const CREATORS: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Allowed, Refused, Refused, Refused, Allowed,
];
const ADMINISTER_RESTRICTED: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Refused, Allowed, Refused, Refused, Allowed,
];
const USE_RESTRICTED: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Refused, Allowed, Allowed, Refused, Allowed,
];
const USE_RESTRICTED_CLIMBING_OUT: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Refused, Invalid, Invalid, Refused, Invalid,
];
const WRITE_READ_ONLY: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Refused, Refused, Refused, Refused, Refused,
];
const ADMINISTRATORS: [Answer; 9] = [
    SignIn, SignIn, Refused, Refused, Refused, Refused, Refused, Refused, Allowed,
];
const DESIGNERS: [Answer; 9] = [
    SignIn, SignIn, Refused, Allowed, Refused, Refused, Refused, Refused, Allowed,
];
/// Using a data source open to every signed-in user that was never authorized: 409, never a 5xx.
const USE_NOT_CONNECTED: [Answer; 9] = [
    SignIn,
    SignIn,
    NotConnected,
    NotConnected,
    NotConnected,
    NotConnected,
    NotConnected,
    NotConnected,
    NotConnected,
];
const SIGNED_IN_INVALID: [Answer; 9] = [
    SignIn, SignIn, Invalid, Invalid, Invalid, Invalid, Invalid, Invalid, Invalid,
];

/// A plain GET row: the same answers as its server-function twin, except that a navigation without
/// a session is sent to sign-in by the page guard (the disabled user's session is gone too).
const fn navigation(answers: [Answer; 9]) -> [Answer; 9] {
    let mut out = answers;
    out[0] = SignInPage;
    out[1] = SignInPage;
    out
}

/// The download and thumbnail routes: data source files, under the data source.
const DOWNLOAD: &str = "route:/data-sources/{id}/files/download";
const THUMBNAIL: &str = "route:/data-sources/{id}/files/thumbnail";

/// Routes that answer a browser with a page whatever it accepts (Dropbox redirects to them), so
/// only their status is checked.
const PAGES_ONLY: [&str; 1] = ["route:/oauth/dropbox/callback"];

/// (entry point, variant) → expected answers. Entry points are `fn:<endpoint>` or `route:<path>`.
fn rows() -> Vec<(String, [Answer; 9])> {
    let rows: Vec<(&str, [Answer; 9])> = vec![
        ("fn:get_current_user", EVERYONE_OK),
        ("fn:sign_in#unknown account", [SignIn; 9]),
        (
            "fn:change_password#wrong current password",
            SIGNED_IN_INVALID,
        ),
        ("fn:list_data_sources", DATA_SOURCE_AREA),
        ("fn:get_data_source", ADMINISTER_RESTRICTED),
        ("fn:save_data_source#existing", ADMINISTER_RESTRICTED),
        ("fn:save_data_source#new", CREATORS),
        ("fn:delete_data_source", ADMINISTER_RESTRICTED),
        ("fn:authorize_data_source", ADMINISTER_RESTRICTED),
        ("fn:test_data_source", ADMINISTER_RESTRICTED),
        ("fn:get_data_source_security", ADMINISTER_RESTRICTED),
        ("fn:save_data_source_security", ADMINISTER_RESTRICTED),
        ("fn:search_grantees", DATA_SOURCE_AREA),
        ("fn:list_usable_data_sources", SIGNED_IN),
        ("fn:browse_folder", USE_RESTRICTED),
        ("fn:browse_folder#climbing out", USE_RESTRICTED_CLIMBING_OUT),
        ("fn:browse_folder#not connected", USE_NOT_CONNECTED),
        ("fn:create_folder", USE_RESTRICTED),
        ("fn:create_folder#read-only", WRITE_READ_ONLY),
        ("fn:delete_entry", USE_RESTRICTED),
        ("fn:delete_entry#read-only", WRITE_READ_ONLY),
        ("fn:list_users", ADMINISTRATORS),
        ("fn:get_user", ADMINISTRATORS),
        ("fn:create_user", ADMINISTRATORS),
        ("fn:update_user", ADMINISTRATORS),
        ("fn:set_user_password", ADMINISTRATORS),
        ("fn:delete_user", ADMINISTRATORS),
        ("fn:list_groups", ADMINISTRATORS),
        ("fn:get_group", ADMINISTRATORS),
        ("fn:find_group_candidates", ADMINISTRATORS),
        ("fn:save_group", ADMINISTRATORS),
        ("fn:delete_group", ADMINISTRATORS),
        ("fn:list_forms", DESIGNERS),
        ("fn:list_published_forms", SIGNED_IN),
        ("fn:get_form", DESIGNERS),
        ("fn:create_form", DESIGNERS),
        ("fn:save_form", DESIGNERS),
        ("fn:publish_form", DESIGNERS),
        ("fn:delete_form", DESIGNERS),
        ("fn:get_fillable_form", SIGNED_IN),
        ("fn:get_fillable_form#preview", DESIGNERS),
        ("fn:pick_files", USE_RESTRICTED),
        ("fn:pick_files#climbing out", USE_RESTRICTED_CLIMBING_OUT),
        ("fn:pick_files#search", USE_RESTRICTED),
        ("fn:submit_form", SIGNED_IN),
        ("fn:submit_form#a file", USE_RESTRICTED),
        ("fn:list_submissions", DESIGNERS),
        ("fn:run_rules", SIGNED_IN),
        ("#preview", DESIGNERS),
        // Only submitting raises Before / After submit.
        ("#before submit", SIGNED_IN_INVALID),
        // A forged token is refused as unusable input, whoever sends it.
        ("fn:next_table_page", SIGNED_IN_INVALID),
        ("fn:list_rule_runs", DESIGNERS),
        // A submission of `user`'s: its writes are the submitter's and the designers' to follow.
        (
            "fn:submission_writes",
            [
                SignIn, SignIn, Allowed, Allowed, Hidden, Hidden, Hidden, Hidden, Allowed,
            ],
        ),
        // Each caller a submission of its own that needs attention.
        ("fn:retry_submission_writes", DESIGNERS),
        ("fn:list_data_source_rule_runs", ADMINISTER_RESTRICTED),
        ("route:/healthz", EVERYONE_OK),
        // A forged state is refused as Invalid, like any unusable input.
        (
            "route:/oauth/dropbox/callback",
            navigation([
                SignIn, SignIn, Refused, Refused, Invalid, Invalid, Refused, Refused, Invalid,
            ]),
        ),
        (DOWNLOAD, navigation(USE_RESTRICTED)),
        ("#climbing out", navigation(USE_RESTRICTED_CLIMBING_OUT)),
        ("#not connected", navigation(USE_NOT_CONNECTED)),
        (THUMBNAIL, navigation(USE_RESTRICTED)),
        ("#climbing out", navigation(USE_RESTRICTED_CLIMBING_OUT)),
        ("#not connected", navigation(USE_NOT_CONNECTED)),
        ("route:/forms/{id}/uploads/{field}", SIGNED_IN),
        (
            "route:/forms/{id}/uploads/{field}#not a file upload field",
            SIGNED_IN_INVALID,
        ),
        // Designers read every upload; `user` uploaded this one.
        (
            "route:/uploads/{id}",
            navigation([
                SignIn, SignIn, Allowed, Allowed, Refused, Refused, Refused, Refused, Allowed,
            ]),
        ),
        // Last: it ends the session.
        ("fn:sign_out", EVERYONE_OK),
    ];
    // A row named only `#variant` is a variant of the entry point above it.
    let mut entry = "";
    rows.into_iter()
        .map(|(name, answers)| {
            if name.starts_with('#') {
                (format!("{entry}{name}"), answers)
            } else {
                entry = name;
                (name.to_owned(), answers)
            }
        })
        .collect()
}

struct Fixture {
    app: TestApp,
    /// One cookie-keeping client per subject, signed in as that subject (except anonymous).
    clients: Vec<Client>,
    restricted: i32,
    /// Read-only, open to every signed-in user, and never authorized.
    frozen: i32,
    conn_admin: i32,
    finance: i32,
    account_id: String,
    /// A published form with a Text field `note`, a File browser `files` on `restricted` and a
    /// File upload field `attachment`.
    form: i32,
    report_id: String,
    /// A file `user` (the plain user) uploaded into `attachment`.
    upload: i32,
}

fn text_field(name: &str) -> serde_json::Value {
    serde_json::json!({
        "title": name, "name": name, "help": "", "required": false,
        "enabled": true, "visible": true, "kind": "Text",
    })
}

enum Call {
    Fn(&'static str, Vec<(String, String)>),
    /// Server functions whose arguments are nested (a form definition, submitted values).
    Json(&'static str, serde_json::Value),
    Get(String),
    /// A plain POST with a raw body.
    Post(String, &'static [u8]),
}

fn form(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

impl Fixture {
    /// The request a row makes for `subject` (index into SUBJECTS). Rows that change things get a
    /// target of their own per subject, so the cells do not depend on each other.
    async fn request(&self, row: &str, subject: usize) -> Call {
        let restricted = self.restricted.to_string();
        let tag = format!("s{subject}");
        match row {
            "fn:get_current_user" => Call::Fn("get_current_user", vec![]),
            "fn:sign_in#unknown account" => Call::Fn(
                "sign_in",
                form(&[
                    ("username", format!("nobody-{tag}")),
                    ("password", "wrong password".into()),
                    ("next", "/".into()),
                ]),
            ),
            "fn:change_password#wrong current password" => Call::Fn(
                "change_password",
                form(&[
                    ("current_password", "not my password".into()),
                    ("new_password", "something long enough".into()),
                    ("confirm_password", "something long enough".into()),
                ]),
            ),
            "fn:list_data_sources" => Call::Fn("list_data_sources", form(&[("search", "".into())])),
            "fn:get_data_source" => Call::Fn("get_data_source", form(&[("id", restricted)])),
            "fn:save_data_source#existing" => Call::Fn(
                "save_data_source",
                form(&[
                    ("id", restricted),
                    ("kind", "Dropbox".into()),
                    ("display_name", "Restricted".into()),
                    ("root_folder", "".into()),
                    ("file_pattern", "".into()),
                    ("search_scope", "AllSubfolders".into()),
                    ("space", "MyFiles".into()),
                ]),
            ),
            "fn:save_data_source#new" => Call::Fn(
                "save_data_source",
                form(&[
                    ("kind", "Dropbox".into()),
                    ("display_name", format!("New {tag}")),
                    ("root_folder", "".into()),
                    ("file_pattern", "".into()),
                    ("search_scope", "AllSubfolders".into()),
                    ("space", "MyFiles".into()),
                ]),
            ),
            "fn:delete_data_source" => {
                let id = self.restricted_copy(&format!("Doomed {tag}")).await;
                Call::Fn("delete_data_source", form(&[("id", id.to_string())]))
            }
            "fn:authorize_data_source" => {
                Call::Fn("authorize_data_source", form(&[("id", restricted)]))
            }
            "fn:test_data_source" => Call::Fn("test_data_source", form(&[("id", restricted)])),
            "fn:get_data_source_security" => {
                Call::Fn("get_data_source_security", form(&[("id", restricted)]))
            }
            "fn:save_data_source_security" => Call::Fn(
                "save_data_source_security",
                // The same lists it has: allowed cells change nothing.
                form(&[
                    ("id", restricted),
                    ("administrators[0][User]", self.conn_admin.to_string()),
                    ("users[0][Group]", self.finance.to_string()),
                    ("read_only", "false".into()),
                ]),
            ),
            "fn:search_grantees" => Call::Fn("search_grantees", form(&[("query", "fin".into())])),
            "fn:list_usable_data_sources" => {
                Call::Fn("list_usable_data_sources", form(&[("search", "".into())]))
            }
            "fn:browse_folder" => Call::Fn(
                "browse_folder",
                form(&[("id", restricted), ("folder", "".into())]),
            ),
            "fn:browse_folder#climbing out" => Call::Fn(
                "browse_folder",
                form(&[("id", restricted), ("folder", "../other".into())]),
            ),
            "fn:browse_folder#not connected" => Call::Fn(
                "browse_folder",
                form(&[("id", self.frozen.to_string()), ("folder", "".into())]),
            ),
            "fn:create_folder" => Call::Fn(
                "create_folder",
                form(&[
                    ("id", restricted),
                    ("parent", "".into()),
                    ("name", format!("Folder {tag}")),
                ]),
            ),
            "fn:create_folder#read-only" => Call::Fn(
                "create_folder",
                form(&[
                    ("id", self.frozen.to_string()),
                    ("parent", "".into()),
                    ("name", tag),
                ]),
            ),
            "fn:delete_entry" => {
                let name = format!("delete-me-{tag}.txt");
                self.app
                    .sandbox()
                    .seed_file(&self.account_id, &format!("/{name}"), b"x")
                    .await
                    .unwrap();
                Call::Fn("delete_entry", form(&[("id", restricted), ("path", name)]))
            }
            "fn:delete_entry#read-only" => Call::Fn(
                "delete_entry",
                form(&[
                    ("id", self.frozen.to_string()),
                    ("path", "report.pdf".into()),
                ]),
            ),
            "fn:list_users" => Call::Fn("list_users", vec![]),
            "fn:get_user" => Call::Fn("get_user", form(&[("id", self.conn_admin.to_string())])),
            "fn:create_user" => Call::Fn(
                "create_user",
                form(&[
                    ("username", format!("made-{tag}")),
                    ("display_name", format!("Made {tag}")),
                    ("password", "a long password 1".into()),
                    ("confirm_password", "a long password 1".into()),
                    ("roles[0]", "User".into()),
                ]),
            ),
            "fn:update_user" => Call::Fn(
                "update_user",
                form(&[
                    (
                        "id",
                        self.throwaway_user(&format!("upd-{tag}")).await.to_string(),
                    ),
                    ("display_name", "Renamed".into()),
                    ("roles[0]", "User".into()),
                ]),
            ),
            "fn:set_user_password" => Call::Fn(
                "set_user_password",
                form(&[
                    (
                        "id",
                        self.throwaway_user(&format!("pwd-{tag}")).await.to_string(),
                    ),
                    ("password", "a long password 2".into()),
                    ("confirm_password", "a long password 2".into()),
                ]),
            ),
            "fn:delete_user" => Call::Fn(
                "delete_user",
                form(&[(
                    "id",
                    self.throwaway_user(&format!("del-{tag}")).await.to_string(),
                )]),
            ),
            "fn:list_groups" => Call::Fn("list_groups", vec![]),
            "fn:get_group" => Call::Fn("get_group", form(&[("id", self.finance.to_string())])),
            "fn:find_group_candidates" => {
                Call::Fn("find_group_candidates", form(&[("search", "conn".into())]))
            }
            "fn:save_group" => Call::Fn("save_group", form(&[("name", format!("Group {tag}"))])),
            "fn:delete_group" => {
                let id = new_group(&self.app, &format!("Doomed {tag}"), &[]).await;
                Call::Fn("delete_group", form(&[("id", id.to_string())]))
            }
            "fn:list_forms" => Call::Fn("list_forms", vec![]),
            "fn:list_published_forms" => Call::Fn("list_published_forms", vec![]),
            "fn:get_form" => Call::Fn("get_form", form(&[("id", self.form.to_string())])),
            "fn:create_form" => Call::Fn("create_form", form(&[("title", format!("Form {tag}"))])),
            "fn:save_form" => Call::Json(
                "save_form",
                serde_json::json!({
                    "id": self.new_form(&tag).await,
                    "title": format!("Saved {tag}"),
                    "draft": { "fields": [text_field("note")] },
                }),
            ),
            "fn:publish_form" => Call::Fn(
                "publish_form",
                form(&[("id", self.new_form(&tag).await.to_string())]),
            ),
            "fn:delete_form" => Call::Fn(
                "delete_form",
                form(&[("id", self.new_form(&tag).await.to_string())]),
            ),
            "fn:get_fillable_form" => {
                Call::Fn("get_fillable_form", form(&[("id", self.form.to_string())]))
            }
            "fn:get_fillable_form#preview" => Call::Fn(
                "get_fillable_form",
                form(&[("id", self.form.to_string()), ("preview", "true".into())]),
            ),
            "fn:pick_files" => Call::Fn(
                "pick_files",
                form(&[
                    ("form_id", self.form.to_string()),
                    ("field", "files".into()),
                ]),
            ),
            "fn:pick_files#climbing out" => Call::Fn(
                "pick_files",
                form(&[
                    ("form_id", self.form.to_string()),
                    ("field", "files".into()),
                    ("folder", "../other".into()),
                ]),
            ),
            "fn:pick_files#search" => Call::Fn(
                "pick_files",
                form(&[
                    ("form_id", self.form.to_string()),
                    ("field", "files".into()),
                    ("query", "report".into()),
                ]),
            ),
            "fn:submit_form" => Call::Json(
                "submit_form",
                serde_json::json!({ "id": self.form, "values": { "note": { "Text": "hello" } } }),
            ),
            "fn:submit_form#a file" => Call::Json(
                "submit_form",
                serde_json::json!({ "id": self.form, "values": { "files": { "Files": [self.report_choice()] } } }),
            ),
            "fn:list_submissions" => {
                Call::Fn("list_submissions", form(&[("id", self.form.to_string())]))
            }
            "fn:run_rules" => Call::Json(
                "run_rules",
                serde_json::json!({ "form_id": self.form, "event": "Load", "values": {} }),
            ),
            "fn:run_rules#preview" => Call::Json(
                "run_rules",
                serde_json::json!({
                    "form_id": self.form, "preview": true, "event": "Load", "values": {},
                }),
            ),
            "fn:run_rules#before submit" => Call::Json(
                "run_rules",
                serde_json::json!({ "form_id": self.form, "event": "BeforeSubmit", "values": {} }),
            ),
            "fn:next_table_page" => Call::Json(
                "next_table_page",
                serde_json::json!({ "form_id": self.form, "field": "rows", "more": "forged" }),
            ),
            "fn:list_rule_runs" => Call::Fn(
                "list_rule_runs",
                form(&[("form_id", self.form.to_string())]),
            ),
            "fn:list_data_source_rule_runs" => Call::Fn(
                "list_data_source_rule_runs",
                form(&[("data_source_id", restricted)]),
            ),
            "fn:submission_writes" => Call::Fn(
                "submission_writes",
                form(&[("submission_id", self.writes_of_user().await.to_string())]),
            ),
            "fn:retry_submission_writes" => Call::Fn(
                "retry_submission_writes",
                form(&[("submission_id", self.writes_of_user().await.to_string())]),
            ),
            "fn:sign_out" => Call::Fn("sign_out", vec![]),
            "route:/healthz" => Call::Get("/healthz".into()),
            "route:/oauth/dropbox/callback" => {
                Call::Get("/oauth/dropbox/callback?state=forged&code=x".into())
            }
            "route:/data-sources/{id}/files/download" => {
                Call::Get(urls::file_download(self.restricted, "report.pdf"))
            }
            "route:/data-sources/{id}/files/download#climbing out" => {
                Call::Get(urls::file_download(self.restricted, "../secret.txt"))
            }
            "route:/data-sources/{id}/files/download#not connected" => {
                Call::Get(urls::file_download(self.frozen, "report.pdf"))
            }
            "route:/data-sources/{id}/files/thumbnail" => {
                Call::Get(urls::file_thumbnail(self.restricted, "photo.png", None))
            }
            "route:/data-sources/{id}/files/thumbnail#climbing out" => {
                Call::Get(urls::file_thumbnail(self.restricted, "../secret.png", None))
            }
            "route:/data-sources/{id}/files/thumbnail#not connected" => {
                Call::Get(urls::file_thumbnail(self.frozen, "photo.png", None))
            }
            "route:/forms/{id}/uploads/{field}" => Call::Post(
                urls::upload(self.form, "attachment", "notes.txt"),
                b"some notes",
            ),
            "route:/forms/{id}/uploads/{field}#not a file upload field" => {
                Call::Post(urls::upload(self.form, "note", "notes.txt"), b"some notes")
            }
            "route:/uploads/{id}" => Call::Get(urls::uploaded_file(self.upload)),
            other => panic!("no request for row {other}"),
        }
    }

    /// A draft form of its own, for rows that change or delete one.
    async fn new_form(&self, tag: &str) -> i32 {
        let admin = find_active_user(&self.app.db, 1).await.unwrap().unwrap();
        let id = domain::forms::create(&self.app.db, &admin, &format!("Own {tag}"))
            .await
            .unwrap();
        let draft: FormDefinition =
            serde_json::from_value(serde_json::json!({ "fields": [text_field("note")] })).unwrap();
        domain::forms::save_draft(&self.app.db, &admin, id, &format!("Own {tag}"), &draft)
            .await
            .unwrap();
        id
    }

    /// A new submission of the form by `user` (the plain user) whose writes need attention (no
    /// worker touches it until someone retries).
    async fn writes_of_user(&self) -> i32 {
        use sea_orm::TransactionTrait;
        let plain = user_id(&self.app, "plain").await;
        let txn = self.app.db.begin().await.unwrap();
        let submission = entity::form_submission::ActiveModel {
            form_id: Set(self.form),
            form_version: Set(1),
            submitted_by: Set(Some(plain)),
            submitted_at: Set(time::OffsetDateTime::now_utc()),
            values: Set("{}".into()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .unwrap();
        domain::jobs::enqueue_after_submit(&txn, submission.id, self.form, 0)
            .await
            .unwrap();
        entity::job::Entity::update_many()
            .col_expr(
                entity::job::Column::State,
                sea_orm::sea_query::Expr::value("needs-attention"),
            )
            .filter(entity::job::Column::SubmissionId.eq(submission.id))
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
        submission.id
    }

    /// `report.pdf` as the picker hands it to the browser.
    fn report_choice(&self) -> serde_json::Value {
        serde_json::json!({
            "data_source_id": self.restricted,
            "id": self.report_id,
            "path": "report.pdf",
            "rev": null,
            "name": "report.pdf",
            "size": 25,
            "value": "/report.pdf",
        })
    }

    async fn throwaway_user(&self, name: &str) -> i32 {
        self.app.create_user(name, &[Role::User]).await;
        user_id(&self.app, name).await
    }

    /// A new data source with the same Security as the restricted one.
    async fn restricted_copy(&self, name: &str) -> i32 {
        let admin = find_active_user(&self.app.db, 1).await.unwrap().unwrap();
        let id = domain::data_sources::create(
            &self.app.db,
            wharf_types::DataSourceKind::Dropbox,
            wharf_types::ConnectorSettings::new(name, Default::default()),
            &admin,
        )
        .await
        .unwrap();
        domain::security::save(
            &self.app.db,
            id,
            vec![Grantee::User(self.conn_admin)],
            vec![Grantee::Group(self.finance)],
            false,
            &admin,
        )
        .await
        .unwrap();
        id
    }

    /// The status, and the error the body carries (`None` when it is no `AppError`).
    async fn send(&self, subject: usize, call: Call) -> (StatusCode, Option<AppError>) {
        let client = &self.clients[subject];
        let response = match call {
            Call::Fn(endpoint, form) => client
                .post(format!("{}/api/{endpoint}", self.app.address))
                .header("Accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap(),
            Call::Json(endpoint, body) => client
                .post(format!("{}/api/{endpoint}", self.app.address))
                .header("Accept", "application/json")
                .json(&body)
                .send()
                .await
                .unwrap(),
            Call::Get(path) => client
                .get(format!("{}{path}", self.app.address))
                .send()
                .await
                .unwrap(),
            Call::Post(path, body) => client
                .post(format!("{}{path}", self.app.address))
                .header("Content-Type", "text/plain")
                .body(body)
                .send()
                .await
                .unwrap(),
        };
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice(&body).ok())
    }
}

/// A group of `members` (user ids), made directly in the database.
async fn new_group(app: &TestApp, name: &str, members: &[i32]) -> i32 {
    domain::testing::group_of(&app.db, name, members).await
}

pub(crate) async fn user_id(app: &TestApp, name: &str) -> i32 {
    user::Entity::find()
        .filter(user::Column::Username.eq(name))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let restricted: i32 = app.new_data_source("Restricted").await.parse().unwrap();
    let callback = app
        .authorize_on_dropbox(&restricted.to_string(), "allow")
        .await;
    assert_eq!(
        app.get_page(&callback).await.status(),
        StatusCode::SEE_OTHER
    );
    let frozen: i32 = app.new_data_source("Frozen").await.parse().unwrap();
    let account_id = app.sandbox().accounts()[0].account_id.clone();
    app.sandbox()
        .seed_file(
            &account_id,
            "/photo.png",
            &dropbox_sandbox::sample::gradient_png([20, 90, 160]),
        )
        .await
        .unwrap();

    let roles: [(&str, &[Role]); 7] = [
        ("disabled", &[Role::User]),
        ("plain", &[Role::User]),
        ("designer", &[Role::DesignBusinessProcess]),
        ("manager", &[Role::ManageDataSources]),
        ("connadmin", &[Role::User]),
        ("connuser", &[Role::User]),
        ("nonmember", &[Role::User]),
    ];
    for (name, roles) in roles {
        app.create_user(name, roles).await;
    }
    let conn_admin = user_id(&app, "connadmin").await;
    let finance = new_group(&app, "Finance", &[user_id(&app, "connuser").await]).await;
    new_group(&app, "Sales", &[user_id(&app, "nonmember").await]).await;
    let admin = find_active_user(&app.db, 1).await.unwrap().unwrap();
    domain::security::save(
        &app.db,
        restricted,
        vec![Grantee::User(conn_admin)],
        vec![Grantee::Group(finance)],
        false,
        &admin,
    )
    .await
    .unwrap();
    domain::security::save(&app.db, frozen, vec![], vec![], true, &admin)
        .await
        .unwrap();

    let mut clients = vec![new_browser()];
    for (name, _) in roles {
        let c = new_browser();
        let signed_in = c
            .post(format!("{}/api/sign_in", app.address))
            .form(&[
                ("username", name),
                ("password", "password123!"),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::OK, "{name} signs in");
        clients.push(c);
    }
    clients.push(app.client.clone());
    // Disabled after signing in: the session must be worth nothing from the next request on.
    let disabled = user::Entity::find_by_id(user_id(&app, "disabled").await)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut disabled = disabled.into_active_model();
    disabled.disabled = Set(true);
    disabled.update(&app.db).await.unwrap();

    let report_id = match app
        .sandbox()
        .seed_file(&account_id, "/report.pdf", b"%PDF-1.4 quarterly report")
        .await
        .unwrap()
    {
        serde_json::Value::Object(m) => m["id"].as_str().unwrap().to_owned(),
        other => panic!("seeded {other}"),
    };
    let form = published_form(&app, restricted).await;
    let plain = find_active_user(&app.db, user_id(&app, "plain").await)
        .await
        .unwrap()
        .unwrap();
    let body = futures::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from_static(
        b"uploaded by the plain user",
    ))]);
    let receipt = domain::uploads::store(
        &app.db,
        app.data_dir.path(),
        &plain,
        form,
        "attachment",
        "plain.txt",
        Some("text/plain"),
        body,
        None,
    )
    .await
    .unwrap();
    let upload = entity::form_upload::Entity::find()
        .filter(entity::form_upload::Column::Token.eq(receipt.token))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    Fixture {
        app,
        clients,
        restricted,
        frozen,
        conn_admin,
        finance,
        account_id,
        form,
        report_id,
        upload,
    }
}

async fn published_form(app: &TestApp, data_source: i32) -> i32 {
    let admin = find_active_user(&app.db, 1).await.unwrap().unwrap();
    let id = domain::forms::create(&app.db, &admin, "Matrix")
        .await
        .unwrap();
    let mut files = DataSourceList::new(data_source);
    files.extensions = vec!["pdf".into()];
    let mut draft: FormDefinition =
        serde_json::from_value(serde_json::json!({ "fields": [text_field("note")] })).unwrap();
    draft.fields.push(FieldDefinition {
        title: "Files".into(),
        name: "files".into(),
        help: String::new(),
        required: false,
        enabled: true,
        visible: true,
        kind: FieldKind::List(ListField {
            source: ListSource::DataSource(files),
            format: ListFormat::FileBrowser,
        }),
    });
    draft.fields.push(FieldDefinition {
        title: "Attachment".into(),
        name: "attachment".into(),
        help: String::new(),
        required: false,
        enabled: true,
        visible: true,
        kind: FieldKind::FileUpload(Default::default()),
    });
    domain::forms::save_draft(&app.db, &admin, id, "Matrix", &draft)
        .await
        .unwrap();
    domain::forms::publish(&app.db, &admin, id).await.unwrap();
    id
}

fn entry_point(row: &str) -> &str {
    row.split('#').next().unwrap()
}

#[test]
fn every_server_function_and_route_has_a_row() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| format!("fn:{}", path.trim_start_matches("/api/")))
        .chain(
            server::startup::PLAIN_ROUTES
                .iter()
                .map(|p| format!("route:{p}")),
        )
        .collect();
    let covered: BTreeSet<String> = rows()
        .iter()
        .map(|(r, _)| entry_point(r).to_owned())
        .collect();
    for route in [DOWNLOAD, THUMBNAIL] {
        assert!(registered.contains(route), "{route} is routed");
    }
    let missing: Vec<_> = registered.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "entry points without a matrix row: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows for entry points that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_entry_point_answers_every_kind_of_caller_exactly_as_the_policy_says() {
    let fx = fixture().await;
    let mut wrong = Vec::new();
    for (row, expected) in rows() {
        for (subject, expected) in expected.iter().enumerate() {
            let call = fx.request(&row, subject).await;
            let (got, error) = fx.send(subject, call).await;
            let who = SUBJECTS[subject];
            if got.as_u16() != expected.status() {
                wrong.push(format!(
                    "{row} as {who}: expected {expected:?} ({}), got {got}",
                    expected.status()
                ));
                continue;
            }
            // A refusal says in its body what kind it is, in the one JSON shape of every entry
            // point; a plain route that answered text, or another kind, fails here.
            let refusal = !matches!(expected, Allowed | SignInPage);
            if refusal && !PAGES_ONLY.contains(&entry_point(&row)) {
                let kind = error.as_ref().and_then(Answer::of);
                if kind != Some(*expected) {
                    wrong.push(format!(
                        "{row} as {who}: expected a {expected:?} body, got {error:?}"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong cells:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
