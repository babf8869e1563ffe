use app::dto::{
    CurrentUser, DataSourceList, DataSourceView, DeleteResult, FillableForm, FolderPageView,
    FormView, GranteeView, GroupList, GroupView, MemberView, PickPage, SecurityView,
    SubmissionList, TestResult, UsableDataSourceList, UserList, UserRow,
};
use app::error::AppError;
use domain::identity::{NewUser, create_user};
use reqwest::{Client, Response, StatusCode, redirect};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use server::config::{Settings, leptos_options};
use server::startup::Application;
use std::net::SocketAddr;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wharf_types::Role;

/// The password of users made with [`TestApp::create_user`].
pub const PASSWORD: &str = "password123!";

/// A running Wharf, its database and a cookie-keeping client that does not follow redirects.
pub struct TestApp {
    pub address: String,
    /// The first browser: the administrator's, once a test signs in with [`TestApp::sign_in_as_admin`].
    pub client: Client,
    pub db: DatabaseConnection,
    pub data_dir: TempDir,
    /// The built-in Sandbox Dropbox this Wharf talks to.
    pub sandbox: Option<std::sync::Arc<dropbox_sandbox::Sandbox>>,
    database_url: String,
    session_idle: Duration,
    public_url: String,
    postgres: Option<PostgresDatabase>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop needs no runtime of its own: a short-lived one on another thread removes the database.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&admin_url).await {
                    let _ = db
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
            });
        })
        .join();
    }
}

async fn fresh_database(data_dir: &TempDir) -> (String, Option<PostgresDatabase>) {
    match std::env::var("TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let admin_url = std::env::var("TEST_POSTGRES_URL")
                .expect("TEST_DATABASE=postgres needs TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres");
            let name = format!("wharf_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("PostgreSQL reachable at TEST_POSTGRES_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            (
                format!("{base}/{name}"),
                Some(PostgresDatabase { admin_url, name }),
            )
        }
        Ok("sqlite") | Err(_) => (
            format!("sqlite://{}/wharf.db?mode=rwc", data_dir.path().display()),
            None,
        ),
        Ok(other) => panic!("TEST_DATABASE must be `sqlite` or `postgres`, not `{other}`"),
    }
}

/// A browser: its own cookies, redirects not followed (tests look at them). Also for tests that
/// need one before any Wharf runs.
pub fn new_browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Duration::from_secs(600), "http://127.0.0.1").await
}

/// A Wharf whose sessions end after `session_idle` without a request.
pub async fn spawn_app_with_idle_timeout(session_idle: Duration) -> TestApp {
    spawn_app_with(session_idle, "http://127.0.0.1").await
}

/// A Wharf that believes people reach it at `public_url` (behind a TLS-terminating proxy, say).
pub async fn spawn_app_behind(public_url: &str) -> TestApp {
    spawn_app_with(Duration::from_secs(600), public_url).await
}

async fn spawn_app_with(session_idle: Duration, public_url: &str) -> TestApp {
    // Logs go through the test harness, so they show only for failing tests.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info,sqlx=warn,sea_orm=warn")
        .try_init();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (database_url, postgres) = fresh_database(&data_dir).await;
    let db = Database::connect(&database_url)
        .await
        .expect("test database");
    let mut app = TestApp {
        address: String::new(),
        client: new_browser(),
        db,
        data_dir,
        sandbox: None,
        database_url,
        session_idle,
        public_url: public_url.to_owned(),
        postgres,
        stop: None,
        server: None,
    };
    app.start().await;
    app
}

impl TestApp {
    fn settings(&self) -> Settings {
        Settings {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.path().to_owned(),
            public_url: self.public_url.clone(),
            session_idle: self.session_idle,
            secret_key: None,
            dropbox_app: None,
            dropbox_base_url: None,
            sandbox_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            sandbox_control_api: false,
            leptos: leptos_options(SocketAddr::from(([127, 0, 0, 1], 0))),
        }
    }

    async fn start(&mut self) {
        let application = Application::build(&self.settings())
            .await
            .expect("application builds");
        self.address = format!("http://{}", application.local_addr());
        self.sandbox = application.sandbox();
        let (stop, stopped) = oneshot::channel::<()>();
        self.stop = Some(stop);
        self.server = Some(tokio::spawn(async move {
            application
                .run_until(async {
                    let _ = stopped.await;
                })
                .await
                .expect("server ran");
        }));
    }

    /// Stops the server and starts a new one on the same database (and data directory).
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server stopped cleanly");
        }
        self.start().await;
    }

    pub fn initial_password(&self) -> String {
        std::fs::read_to_string(
            self.data_dir
                .path()
                .join(domain::identity::INITIAL_PASSWORD_FILE),
        )
        .expect("initial password file")
        .trim()
        .to_owned()
    }

    /// Creates a user with `roles` and the password [`PASSWORD`].
    pub async fn create_user(&self, username: &str, roles: &[Role]) {
        create_user(
            &self.db,
            NewUser {
                username,
                display_name: username,
                email: None,
                password: PASSWORD,
                roles,
                must_change_password: false,
            },
        )
        .await
        .expect("user created");
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.call_from(&self.client, endpoint, form).await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        self.sign_in_from(&self.client, username, password).await
    }

    /// Signs in as the first administrator and replaces the initial password; returns the new one.
    pub async fn sign_in_as_admin(&self) -> String {
        let initial = self.initial_password();
        assert_eq!(
            self.sign_in("admin", &initial).await.status(),
            StatusCode::OK
        );
        let new_password = "a new admin password";
        let changed = self
            .change_password(&initial, new_password, new_password)
            .await;
        assert_eq!(
            changed.status(),
            StatusCode::OK,
            "{}",
            changed.text().await.unwrap_or_default()
        );
        new_password.to_owned()
    }

    /// Signs in as the first administrator with the initial password; answers the session cookie
    /// it sets (the whole `Set-Cookie` header).
    pub async fn admin_session_cookie(&self) -> String {
        let response = self.sign_in("admin", &self.initial_password()).await;
        let cookie = response.headers()["set-cookie"].to_str();
        cookie.expect("a session cookie").to_owned()
    }

    pub async fn change_password(&self, current: &str, new: &str, confirm: &str) -> Response {
        self.change_password_from(&self.client, current, new, confirm)
            .await
    }

    pub async fn get_page(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        // The PostgreSQL database (if any) is dropped after this, WITH (FORCE) closing what is left open.
        let _ = self.postgres.as_ref();
    }
}

// ---- Other browsers: a second person using the same Wharf ----------------------------------

impl TestApp {
    /// A browser of its own (its own cookies), signed in as nobody yet.
    pub fn another_browser(&self) -> Client {
        new_browser()
    }

    /// Creates `username` with `roles` and signs them in from a browser of their own.
    pub async fn signed_in_browser(&self, username: &str, roles: &[Role]) -> Client {
        self.create_user(username, roles).await;
        self.browser_signed_in_as(username, PASSWORD).await
    }

    /// A browser of its own, signed in as an existing user.
    pub async fn browser_signed_in_as(&self, username: &str, password: &str) -> Client {
        let browser = self.another_browser();
        let signed_in = self.sign_in_from(&browser, username, password).await;
        assert_eq!(signed_in.status(), StatusCode::OK, "{username} signs in");
        browser
    }

    /// A call of server function `endpoint` from `browser`, its arguments still to add.
    fn server_function(&self, browser: &Client, endpoint: &str) -> reqwest::RequestBuilder {
        let url = format!("{}/api/{endpoint}", self.address);
        browser.post(url).header("Accept", "application/json")
    }

    /// [`TestApp::call`] from `browser`.
    pub async fn call_from(
        &self,
        browser: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let request = self.server_function(browser, endpoint).form(form);
        request.send().await.expect("request sent")
    }

    /// A server function whose arguments are nested (forms, submissions), sent as JSON from `browser`.
    pub async fn call_json(&self, browser: &Client, endpoint: &str, args: Value) -> Response {
        let request = self.server_function(browser, endpoint).json(&args);
        request.send().await.expect("request sent")
    }

    /// `GET path` from `browser`.
    pub async fn get_from(&self, browser: &Client, path: &str) -> Response {
        browser
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn sign_in_from(&self, browser: &Client, username: &str, password: &str) -> Response {
        self.call_from(
            browser,
            "sign_in",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }

    pub async fn change_password_from(
        &self,
        browser: &Client,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Response {
        self.call_from(
            browser,
            "change_password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
    }
}

// ---- Answers: what a call returned, decoded into the wire types --------------------------

/// The body of a successful answer as the wire type `T`; fails the test (with the body) otherwise.
pub async fn decoded<T: DeserializeOwned>(response: Response) -> T {
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The id a create or save call answered.
pub async fn id_of(response: Response) -> String {
    decoded::<i32>(response).await.to_string()
}

/// A refused call: its status and the error it answered.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    /// The sentence the person is shown.
    pub message: String,
    error: Option<AppError>,
}

impl Refusal {
    /// The field a validation error names, if any.
    pub fn field(&self) -> Option<&str> {
        match &self.error {
            Some(AppError::Validation { fields, .. }) => fields.keys().next().map(String::as_str),
            _ => None,
        }
    }

    /// The sentence shown under `field` (a submission answers every field's problem at once), or `""`.
    pub fn at(&self, field: &str) -> String {
        self.error
            .as_ref()
            .and_then(|e| e.for_field(field))
            .unwrap_or_default()
    }
}

/// What a refused call answered. The one place that knows how errors are written: a server
/// function's JSON `AppError`, or a plain route's sentence as text.
pub async fn refusal(response: Response) -> Refusal {
    let status = response.status();
    assert!(!status.is_success(), "expected a refusal, got {status}");
    let body = response.text().await.expect("a body");
    let error = serde_json::from_str::<AppError>(&body).ok();
    Refusal {
        status,
        message: error.as_ref().map_or(body, AppError::to_string),
        error,
    }
}

/// The `field` and message of a 422 answer.
pub async fn validation(response: Response) -> (Option<String>, String) {
    let refused = refusal(response).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:?}"
    );
    match refused.field().map(str::to_owned) {
        Some(field) => {
            let message = refused.at(&field);
            (Some(field), message)
        }
        None => (None, refused.message),
    }
}

/// One method per server function the tests read, each answering its wire type (the signed-in
/// browser is the administrator's unless a `browser` is given).
impl TestApp {
    /// A successful call's answer as `T`.
    pub async fn fetch<T: DeserializeOwned>(&self, endpoint: &str, form: &[(&str, &str)]) -> T {
        decoded(self.call(endpoint, form).await).await
    }

    /// The signed-in user of `browser`, or `None` when nobody is.
    pub async fn current_user_of(&self, browser: &Client) -> Option<CurrentUser> {
        decoded(self.call_from(browser, "get_current_user", &[]).await).await
    }

    pub async fn current_user(&self) -> Option<CurrentUser> {
        self.current_user_of(&self.client).await
    }

    pub async fn users(&self, search: &str) -> UserList {
        self.fetch("list_users", &[("search", search)]).await
    }

    pub async fn user(&self, id: &str) -> UserRow {
        self.fetch("get_user", &[("id", id)]).await
    }

    /// The id of the user named `username` (searched as Administration > Users does).
    pub async fn user_id_of(&self, username: &str) -> String {
        let users = self.users(username).await;
        let user = users.rows.iter().find(|u| u.username == username);
        user.expect("the user is listed").id.to_string()
    }

    pub async fn groups(&self, search: &str) -> GroupList {
        self.fetch("list_groups", &[("search", search)]).await
    }

    pub async fn group(&self, id: &str) -> GroupView {
        self.fetch("get_group", &[("id", id)]).await
    }

    pub async fn group_candidates(&self, search: &str) -> Vec<MemberView> {
        self.fetch("find_group_candidates", &[("search", search)])
            .await
    }

    pub async fn data_sources(&self, search: &str) -> DataSourceList {
        self.fetch("list_data_sources", &[("search", search)]).await
    }

    pub async fn data_source(&self, id: &str) -> DataSourceView {
        self.fetch("get_data_source", &[("id", id)]).await
    }

    pub async fn test_data_source(&self, id: &str) -> TestResult {
        self.fetch("test_data_source", &[("id", id)]).await
    }

    pub async fn delete_data_source(&self, id: &str) -> DeleteResult {
        self.fetch("delete_data_source", &[("id", id)]).await
    }

    pub async fn security(&self, id: &str) -> SecurityView {
        self.fetch("get_data_source_security", &[("id", id)]).await
    }

    pub async fn grantees(&self, query: &str) -> Vec<GranteeView> {
        self.fetch("search_grantees", &[("query", query)]).await
    }

    /// The data sources the administrator may use, as Home (`ready_only`) or the designer lists them.
    pub async fn usable_data_sources(
        &self,
        search: &str,
        page: u64,
        ready_only: bool,
    ) -> UsableDataSourceList {
        let (page, ready_only) = (page.to_string(), ready_only.to_string());
        self.fetch(
            "list_usable_data_sources",
            &[
                ("search", search),
                ("page", &page),
                ("ready_only", &ready_only),
            ],
        )
        .await
    }

    pub async fn browse_folder(&self, id: i32, folder: &str) -> Response {
        self.call(
            "browse_folder",
            &[("id", &id.to_string()), ("folder", folder)],
        )
        .await
    }

    pub async fn folder(&self, id: i32, folder: &str) -> FolderPageView {
        decoded(self.browse_folder(id, folder).await).await
    }

    pub async fn form(&self, id: i32) -> FormView {
        self.fetch("get_form", &[("id", &id.to_string())]).await
    }

    pub async fn submissions(&self, form: i32) -> SubmissionList {
        self.fetch("list_submissions", &[("id", &form.to_string())])
            .await
    }

    /// Form `id` as the person in `browser` fills it in.
    pub async fn fillable_form(&self, browser: &Client, id: i32) -> FillableForm {
        decoded(
            self.call_from(browser, "get_fillable_form", &[("id", &id.to_string())])
                .await,
        )
        .await
    }

    /// A page of a List field's files as the person in `browser` sees it in the picker.
    pub async fn pick_files(&self, browser: &Client, pick: &Pick<'_>) -> Response {
        let form = pick.form.to_string();
        let mut args = vec![("form_id", form.as_str()), ("field", pick.field)];
        args.extend(pick.folder.map(|f| ("folder", f)));
        args.extend(pick.query.map(|q| ("query", q)));
        args.extend(pick.next.map(|n| ("next", n)));
        self.call_from(browser, "pick_files", &args).await
    }

    pub async fn picked(&self, browser: &Client, pick: &Pick<'_>) -> PickPage {
        decoded(self.pick_files(browser, pick).await).await
    }
}

/// What the picker asks for: a List field of a form, and optionally a folder, a search, a next page.
#[derive(Clone, Copy, Default)]
pub struct Pick<'a> {
    pub form: i32,
    pub field: &'a str,
    pub folder: Option<&'a str>,
    pub query: Option<&'a str>,
    pub next: Option<&'a str>,
}

// ---- Data sources --------------------------------------------------------------------------

/// What Administration > Data sources saves; [`Default`] is a Dropbox data source over the whole
/// account with every file allowed.
pub struct DataSourceForm<'a> {
    pub id: Option<&'a str>,
    pub display_name: &'a str,
    pub root_folder: &'a str,
    pub file_pattern: &'a str,
    pub search_scope: &'a str,
}

impl Default for DataSourceForm<'_> {
    fn default() -> Self {
        DataSourceForm {
            id: None,
            display_name: "Documents",
            root_folder: "",
            file_pattern: "",
            search_scope: "AllSubfolders",
        }
    }
}

impl<'a> DataSourceForm<'a> {
    /// The form as `save_data_source` reads it.
    pub fn fields(&self) -> Vec<(&'static str, &'a str)> {
        let mut form = vec![
            ("kind", "Dropbox"),
            ("display_name", self.display_name),
            ("root_folder", self.root_folder),
            ("file_pattern", self.file_pattern),
            ("search_scope", self.search_scope),
            ("space", "MyFiles"),
        ];
        form.extend(self.id.map(|id| ("id", id)));
        form
    }
}

impl TestApp {
    pub fn sandbox(&self) -> &dropbox_sandbox::Sandbox {
        self.sandbox.as_deref().expect("the built-in sandbox runs")
    }

    pub async fn save_data_source(&self, form: &DataSourceForm<'_>) -> Response {
        self.call("save_data_source", &form.fields()).await
    }

    /// Saves a new Dropbox data source named `name`; returns its id.
    pub async fn new_data_source(&self, name: &str) -> String {
        let form = DataSourceForm {
            display_name: name,
            ..Default::default()
        };
        id_of(self.save_data_source(&form).await).await
    }

    /// A data source named `name`, authorized (and so tested) with the sandbox's first account.
    pub async fn connected_data_source(&self, name: &str) -> i32 {
        let id = self.new_data_source(name).await;
        self.connect(&id).await;
        id.parse().expect("a numeric id")
    }

    /// Authorizes data source `id` with the sandbox's first account, as an administrator clicking Allow.
    pub async fn connect(&self, id: &str) {
        let callback = self.authorize_on_dropbox(id, "allow").await;
        assert_eq!(
            self.get_page(&callback).await.status(),
            StatusCode::SEE_OTHER
        );
    }

    /// Seeds `path` with `content` in the sandbox's first account; returns Dropbox's metadata.
    pub async fn seed_file(&self, path: &str, content: &[u8]) -> Value {
        let account = self.sandbox().accounts()[0].account_id.clone();
        self.sandbox()
            .seed_file(&account, path, content)
            .await
            .expect("file seeded")
    }

    /// Seeds `path` with `content`; returns Dropbox's file id.
    pub async fn seed(&self, path: &str, content: &[u8]) -> String {
        let metadata = self.seed_file(path, content).await;
        metadata["id"].as_str().expect("an id").to_owned()
    }

    /// How many times Wharf called Dropbox's `route`.
    pub fn dropbox_calls(&self, route: &str) -> usize {
        let requests = self.sandbox().requests();
        requests.iter().filter(|r| r.route == route).count()
    }

    /// Clicks Authorize and answers the Sandbox Dropbox page with `decision` ("allow" or "cancel") as a
    /// browser would; returns the callback path (with `code`/`error` and `state`) Dropbox redirects to.
    pub async fn authorize_on_dropbox(&self, data_source: &str, decision: &str) -> String {
        let url: String = self
            .fetch("authorize_data_source", &[("id", data_source)])
            .await;
        let url = reqwest::Url::parse(&url).unwrap();
        let browser = self.another_browser();
        assert_eq!(
            browser.get(url.clone()).send().await.unwrap().status(),
            StatusCode::OK
        );
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push((
            "account_id".into(),
            self.sandbox().accounts()[0].account_id.clone(),
        ));
        form.push(("decision".into(), decision.into()));
        let answer = browser
            .post(format!(
                "{}/oauth2/authorize",
                url.origin().ascii_serialization()
            ))
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(location.path(), "/oauth/dropbox/callback");
        format!(
            "{}?{}",
            location.path(),
            location.query().unwrap_or_default()
        )
    }
}

// ---- Administration > Users and Groups -----------------------------------------------------

impl TestApp {
    /// Adds a user through Administration > Users with the password [`FIRST_PASSWORD`]; answers the
    /// response (its body is the new id).
    pub async fn add_user(&self, username: &str, roles: &[Role]) -> Response {
        let roles = indexed("roles", roles.iter().map(|r| format!("{r:?}")));
        let mut form = vec![
            ("username", username),
            ("display_name", username),
            ("email", ""),
            ("password", FIRST_PASSWORD),
            ("confirm_password", FIRST_PASSWORD),
        ];
        form.extend(roles.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.call("create_user", &form).await
    }

    /// Saves a user's edit page.
    pub async fn update_user(
        &self,
        id: &str,
        display_name: &str,
        roles: &[Role],
        disabled: bool,
    ) -> Response {
        let roles = indexed("roles", roles.iter().map(|r| format!("{r:?}")));
        let disabled = disabled.to_string();
        let mut form = vec![
            ("id", id),
            ("display_name", display_name),
            ("email", ""),
            ("disabled", disabled.as_str()),
        ];
        form.extend(roles.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.call("update_user", &form).await
    }

    /// Saves a group's page (`id` empty for a new group) with these members.
    pub async fn save_group(&self, id: &str, name: &str, member_ids: &[&str]) -> Response {
        let members = indexed("member_ids", member_ids.iter().map(|m| m.to_string()));
        let mut form = vec![("name", name), ("description", "")];
        if !id.is_empty() {
            form.push(("id", id));
        }
        form.extend(members.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.call("save_group", &form).await
    }
}

/// The password of users added with [`TestApp::add_user`], which they must change at first sign-in.
pub const FIRST_PASSWORD: &str = "first password 1";

/// A list argument as server functions read it from a form: `name[0]=…&name[1]=…`.
pub fn indexed(name: &str, values: impl Iterator<Item = String>) -> Vec<(String, String)> {
    values
        .enumerate()
        .map(|(i, v)| (format!("{name}[{i}]"), v))
        .collect()
}

// ---- Forms ---------------------------------------------------------------------------------

impl TestApp {
    /// Creates, saves and publishes a form as the signed-in administrator; returns its id.
    pub async fn publish_form(&self, title: &str, fields: Value) -> i32 {
        let id: i32 = self.fetch("create_form", &[("title", title)]).await;
        let saved = self.save_form(id, title, fields).await;
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

    /// Saves form `id`'s draft with these fields.
    pub async fn save_form(&self, id: i32, title: &str, fields: Value) -> Response {
        let draft = json!({ "id": id, "title": title, "draft": { "fields": fields } });
        self.call_json(&self.client, "save_form", draft).await
    }

    /// Submits form `id` with `values` from `browser`.
    pub async fn submit(&self, browser: &Client, form: i32, values: Value) -> Response {
        let submission = json!({ "id": form, "values": values });
        self.call_json(browser, "submit_form", submission).await
    }
}

/// A form field definition as the designer sends it.
pub fn field(name: &str, kind: Value, required: bool) -> Value {
    json!({
        "title": name.to_uppercase(), "name": name, "help": "", "required": required,
        "enabled": true, "visible": true, "kind": kind,
    })
}

/// A List field's kind: a file browser over `folder` of `data_source`.
pub fn file_browser(
    data_source: i32,
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

/// A file chosen in the picker, as the browser sends it.
pub fn choice(data_source: i32, id: &str, path: &str) -> Value {
    json!({
        "data_source_id": data_source, "id": id, "path": path, "rev": null,
        "name": path.rsplit('/').next().unwrap(), "size": null, "value": "",
    })
}

// ---- Submissions' writes (jobs) ------------------------------------------------------------

/// Another Wharf on the same database (its own data directory and Sandbox Dropbox), as a second
/// instance behind a load balancer would be; stopped when dropped.
pub struct Instance {
    _data_dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl Instance {
    /// Stops it gracefully (a running job gets its grace period) and waits until it has.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("instance stopped cleanly");
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl TestApp {
    /// Starts a second Wharf on this one's database.
    pub async fn second_instance(&self) -> Instance {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            data_dir: data_dir.path().to_owned(),
            ..self.settings()
        };
        let application = Application::build(&settings)
            .await
            .expect("second instance builds");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            application
                .run_until(async {
                    let _ = stopped.await;
                })
                .await
                .expect("second instance ran");
        });
        Instance {
            _data_dir: data_dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// A connection pool of its own to this Wharf's database.
    pub async fn another_connection(&self) -> DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("test database")
    }

    pub async fn submission_writes(&self, browser: &Client, submission: i32) -> Response {
        let id = submission.to_string();
        self.call_from(browser, "submission_writes", &[("submission_id", &id)])
            .await
    }

    pub async fn retry_writes(&self, browser: &Client, submission: i32) -> Response {
        let id = submission.to_string();
        self.call_from(
            browser,
            "retry_submission_writes",
            &[("submission_id", &id)],
        )
        .await
    }

    /// Follows a submission's writes (as the person in `browser`) until they are Done or need
    /// attention; fails the test after 30 s.
    pub async fn writes_settled(
        &self,
        browser: &Client,
        submission: i32,
    ) -> wharf_types::rules::WritesProgress {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let progress: wharf_types::rules::WritesProgress =
                decoded(self.submission_writes(browser, submission).await).await;
            if progress.state.is_final() {
                return progress;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "submission {submission}'s writes did not settle: {progress:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
