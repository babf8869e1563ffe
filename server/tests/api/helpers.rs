use domain::identity::{NewUser, create_user};
use reqwest::{Response, StatusCode, redirect};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::config::{Settings, leptos_options};
use server::startup::Application;
use std::net::SocketAddr;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wharf_types::Role;

/// A running Wharf, its database and a cookie-keeping client that does not follow redirects.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
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
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut app = TestApp {
        address: String::new(),
        client,
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

    /// Creates a user with `roles` and the password `password123!`.
    pub async fn create_user(&self, username: &str, roles: &[Role]) {
        create_user(
            &self.db,
            NewUser {
                username,
                display_name: username,
                email: None,
                password: "password123!",
                roles,
                must_change_password: false,
            },
        )
        .await
        .expect("user created");
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Response {
        self.call(
            "sign_in",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
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

    pub async fn change_password(&self, current: &str, new: &str, confirm: &str) -> Response {
        self.call(
            "change_password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await
    }

    pub async fn current_user(&self) -> serde_json::Value {
        let response = self.call("get_current_user", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
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

pub async fn json(response: Response) -> serde_json::Value {
    response.json().await.expect("json body")
}

impl TestApp {
    pub fn sandbox(&self) -> &dropbox_sandbox::Sandbox {
        self.sandbox.as_deref().expect("the built-in sandbox runs")
    }

    /// Saves a new Dropbox data source named `name`; returns its id.
    pub async fn new_data_source(&self, name: &str) -> String {
        let response = self
            .call(
                "save_data_source",
                &[
                    ("kind", "Dropbox"),
                    ("display_name", name),
                    ("root_folder", ""),
                    ("file_pattern", ""),
                    ("search_scope", "AllSubfolders"),
                    ("space", "MyFiles"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        json(response).await.as_i64().unwrap().to_string()
    }

    /// Clicks Authorize and answers the Sandbox Dropbox page with `decision` ("allow" or "cancel") as a
    /// browser would; returns the callback path (with `code`/`error` and `state`) Dropbox redirects to.
    pub async fn authorize_on_dropbox(&self, data_source: &str, decision: &str) -> String {
        let response = self
            .call("authorize_data_source", &[("id", data_source)])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let url = reqwest::Url::parse(json(response).await.as_str().unwrap()).unwrap();
        let browser = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
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

/// Administration > Users and Groups, and a second browser for the person being administered.
impl TestApp {
    /// A browser of its own (its own cookies), for a second person using the same Wharf.
    pub fn another_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    /// [`TestApp::call`] from `browser`.
    pub async fn call_from(
        &self,
        browser: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        browser
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Adds a user through Administration > Users with the password `first password 1`; answers the
    /// response (its body is the new id).
    pub async fn add_user(&self, username: &str, roles: &[Role]) -> Response {
        let roles = indexed("roles", roles.iter().map(|r| format!("{r:?}")));
        let mut form = vec![
            ("username", username),
            ("display_name", username),
            ("email", ""),
            ("password", "first password 1"),
            ("confirm_password", "first password 1"),
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

/// A list argument as server functions read it from a form: `name[0]=…&name[1]=…`.
pub fn indexed(name: &str, values: impl Iterator<Item = String>) -> Vec<(String, String)> {
    values
        .enumerate()
        .map(|(i, v)| (format!("{name}[{i}]"), v))
        .collect()
}

/// The id a create or save call answered.
pub async fn id_of(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await.as_i64().expect("an id").to_string()
}

/// The field and message of a 422 answer (no field: a message for the whole form).
pub async fn validation(response: Response) -> (Option<String>, String) {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(response).await;
    let v = &body["Validation"];
    if let Some(message) = v["message"].as_str() {
        return (None, message.to_owned());
    }
    let (field, message) = v["fields"]
        .as_object()
        .and_then(|fields| fields.iter().next())
        .expect("a field's message");
    (
        Some(field.clone()),
        message.as_str().expect("a message").to_owned(),
    )
}
