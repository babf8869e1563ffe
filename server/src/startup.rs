//! Building the application: database, first administrator, sessions, routes — and serving it until
//! asked to stop.
use crate::config::{Secret, Settings};
use crate::failures;
use crate::guard::{GuardState, SameOrigin, identify_and_guard, refuse_cross_site_calls};
use crate::security_headers::{SecurityHeaders, add_security_headers, provide_request_nonce};
use app::api::context::ServerContext;
use app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use domain::sessions::DbSessionStore;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The name of Wharf's session cookie.
pub const SESSION_COOKIE: &str = "wharf_session";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(#[from] domain::db::ConnectError),
    #[error("cannot create the first administrator: {0}")]
    InitialAdmin(#[from] domain::identity::IdentityError),
    #[error("cannot open the token vault: {0}")]
    Vault(#[from] domain::vault::VaultError),
    #[error(transparent)]
    Dropbox(#[from] crate::dropbox_setup::DropboxSetupError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: DatabaseConnection,
    data_dir: PathBuf,
    pkg_dir: PathBuf,
    sandbox: Option<dropbox_sandbox::RunningSandbox>,
    /// Runs submissions' After submit writes; started by [`Application::run_until`].
    worker: domain::jobs::Worker,
}

/// How long shutting down waits for a running job before leaving it to its lease (the next start,
/// or another instance, takes it over; its ledger keeps every write once).
pub const JOB_GRACE: Duration = Duration::from_secs(10);

impl Application {
    /// Opens and migrates the database, creates the first administrator on an empty one (printing how
    /// to sign in), and binds the listener — port 0 picks a free port, as tests do.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        // Owner-only: it holds the database (by default), the key file and uploaded files.
        domain::files::create_private_dir(&settings.data_dir).map_err(|source| {
            StartupError::DataDir {
                path: settings.data_dir.clone(),
                source,
            }
        })?;
        let db = domain::db::connect_and_migrate(&settings.database_url).await?;
        let vault = domain::vault::Vault::open(
            settings.secret_key.as_ref().map(Secret::expose),
            &settings.data_dir,
        )?;
        let dropbox = crate::dropbox_setup::start(settings).await?;
        let connector =
            domain::connector::DropboxConnector::new(db.clone(), vault.clone(), dropbox.hub);
        announce_initial_admin(&db, settings).await?;
        let addr = settings.leptos.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let jobs = domain::jobs::Jobs::new();
        let worker = domain::jobs::Worker::new(
            db.clone(),
            connector.clone(),
            vault.clone(),
            settings.data_dir.clone(),
            jobs.clone(),
        );
        let ctx = ServerContext {
            db: db.clone(),
            data_dir: settings.data_dir.clone(),
            vault,
            connector,
            dropbox_label: dropbox.label,
        };
        let router = router(ctx, jobs, settings);
        Ok(Self {
            listener,
            router,
            db,
            data_dir: settings.data_dir.clone(),
            pkg_dir: pkg_dir(&settings.leptos),
            sandbox: dropbox.sandbox,
            worker,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The built-in Sandbox Dropbox, when no Dropbox app is configured.
    pub fn sandbox(&self) -> Option<std::sync::Arc<dropbox_sandbox::Sandbox>> {
        self.sandbox.as_ref().map(|s| s.sandbox())
    }

    /// Serves (and runs queued jobs) until `shutdown` completes, then finishes the requests in
    /// flight and lets a running job finish for up to [`JOB_GRACE`].
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sweeper = tokio::spawn(sweep_expired_sessions(DbSessionStore::new(self.db.clone())));
        // Unclaimed form uploads: once at start-up, then every hour.
        let upload_sweeper = tokio::spawn(sweep_stale_uploads(self.db.clone(), self.data_dir));
        let worker = self.worker.spawn();
        let purger = tokio::spawn(crate::memory::return_freed_memory_when_quiet());
        compress_static_files(self.pkg_dir).await;
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        upload_sweeper.abort();
        purger.abort();
        worker.stop(JOB_GRACE).await;
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
        let _ = self.db.close().await;
        served
    }
}

/// Every plain axum route (everything that is not a page or a server function). The authorization
/// matrix test walks each of these, so a route cannot be added without saying who may call it.
pub const PLAIN_ROUTES: [&str; 6] = [
    "/healthz",
    crate::oauth_callback::PATH,
    crate::file_download::PATH,
    crate::file_thumbnail::PATH,
    crate::uploads::UPLOAD_PATH,
    crate::uploads::DOWNLOAD_PATH,
];

fn plain_routes(ctx: &ServerContext) -> [(&'static str, MethodRouter<LeptosOptions>); 6] {
    let routes = [
        ("/healthz", get(healthz).with_state(ctx.db.clone())),
        (
            crate::oauth_callback::PATH,
            get(crate::oauth_callback::dropbox_callback).with_state(ctx.clone()),
        ),
        (
            crate::file_download::PATH,
            get(crate::file_download::download).with_state(ctx.clone()),
        ),
        (
            crate::file_thumbnail::PATH,
            get(crate::file_thumbnail::thumbnail).with_state(ctx.clone()),
        ),
        (
            crate::uploads::UPLOAD_PATH,
            post(crate::uploads::upload).with_state(ctx.clone()),
        ),
        (
            crate::uploads::DOWNLOAD_PATH,
            get(crate::uploads::download).with_state(ctx.clone()),
        ),
    ];
    debug_assert!(routes.iter().map(|(p, _)| *p).eq(PLAIN_ROUTES));
    routes
}

/// The application's routes; `jobs` wakes the worker when a server function queues a job.
pub fn router(ctx: ServerContext, jobs: domain::jobs::Jobs, settings: &Settings) -> Router {
    let leptos_options: LeptosOptions = settings.leptos.clone();
    crate::static_files::find_stylesheet(&leptos_options);
    let routes = generate_route_list(App);
    let security = SecurityHeaders::new(&settings.public_url, &leptos_options);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(ctx.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(settings.session_idle).unwrap_or(time::Duration::hours(8)),
        ));

    plain_routes(&ctx)
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            {
                let ctx = ctx.clone();
                move || {
                    provide_context(ctx.clone());
                    provide_context(jobs.clone());
                    provide_request_nonce();
                }
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            provide_request_nonce,
            shell,
        ))
        .with_state(leptos_options.clone())
        .layer(DefaultBodyLimit::max(failures::SERVER_FN_BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            GuardState::new(ctx, settings.session_idle),
            identify_and_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            SameOrigin::new(&settings.public_url),
            refuse_cross_site_calls,
        ))
        .layer(sessions)
        // Outermost last: every response, refusals and failures included, passes the layers below.
        .layer(axum::middleware::from_fn(failures::server_fn_statuses))
        .layer(CatchPanicLayer::custom(failures::panic_response))
        .layer(axum::middleware::from_fn(failures::report_failures))
        .layer(axum::middleware::from_fn_with_state(
            security.clone(),
            add_security_headers,
        ))
        .layer(PropagateRequestIdLayer::new(failures::request_id_header()))
        .layer(failures::trace_layer())
        .layer(SetRequestIdLayer::new(
            failures::request_id_header(),
            MakeRequestUuid,
        ))
        .layer(axum::middleware::from_fn(
            failures::forget_callers_request_id,
        ))
        .layer(axum::middleware::from_fn(crate::memory::note_request))
        // After the layers, so none of them runs for a built file: no session to load (a browser
        // sends its cookie with each of the page's ≈ 30 files), no span, no request id, no nonce.
        // Such a file is the same for everyone and carries its fixed security headers.
        .nest_service(
            "/pkg",
            crate::static_files::pkg_service(&pkg_dir(&leptos_options)).layer(
                axum::middleware::map_response_with_state(
                    security.static_file_headers(),
                    crate::security_headers::add_static_file_headers,
                ),
            ),
        )
}

/// Removes compressed copies a new build made stale, before serving; then, in a release build,
/// compresses what needs it in the background (`/healthz` and pages answer at once, the files go
/// uncompressed meanwhile). See `static_files`.
async fn compress_static_files(pkg_dir: PathBuf) {
    let dir = pkg_dir.clone();
    let removed =
        tokio::task::spawn_blocking(move || crate::static_files::remove_stale(&dir)).await;
    if let Ok(Err(e)) = removed {
        tracing::debug!(dir = %pkg_dir.display(), "static files not checked: {e}");
    }
    if crate::static_files::built_without_split(&pkg_dir) {
        tracing::error!(
            dir = %pkg_dir.display(),
            "the wasm was built without `--split`: pages will render but never become interactive \
             (build with `cargo leptos build --split`, as scripts/run.sh does)"
        );
    }
    if cfg!(debug_assertions) {
        return;
    }
    tokio::task::spawn_blocking(move || match crate::static_files::precompress(&pkg_dir) {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(files = n, "static files compressed (brotli and gzip)");
            // Brotli's windows and buffers (tens of MiB) are free now: back to the system at once.
            crate::memory::return_free_pages();
        }
        Err(e) => tracing::warn!(dir = %pkg_dir.display(), "static files not compressed: {e}"),
    });
}

/// Where cargo-leptos puts the wasm, JavaScript and CSS (`<site_root>/<site_pkg_dir>`).
pub fn pkg_dir(options: &LeptosOptions) -> PathBuf {
    Path::new(&*options.site_root).join(&*options.site_pkg_dir)
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(db): State<DatabaseConnection>) -> impl IntoResponse {
    match db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!("health check: database unreachable: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

async fn announce_initial_admin(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<(), StartupError> {
    let sign_in = format!("{}/sign-in", settings.public_url);
    match domain::identity::ensure_initial_admin(db, &settings.data_dir).await? {
        Some(admin) => {
            // Printed once, on purpose on standard output and not in the log: it is for the person
            // starting Wharf, and the log may be shipped elsewhere.
            println!(
                "\nWharf created the first administrator.\n  Sign in at {sign_in}\n  user name: {}\n  password:  {}\n  \
                 (also in {}; you will choose your own password at first sign-in)\n",
                admin.username,
                admin.password,
                admin.password_file.display()
            );
        }
        None => {
            let file = settings
                .data_dir
                .join(domain::identity::INITIAL_PASSWORD_FILE);
            if file.exists() {
                println!(
                    "\nSign in at {sign_in} as `{}` with the password in {} (not changed yet).\n",
                    domain::identity::INITIAL_ADMIN_USERNAME,
                    file.display()
                );
            } else {
                println!("\nWharf is starting; sign in at {sign_in}\n");
            }
        }
    }
    Ok(())
}

async fn sweep_expired_sessions(store: DbSessionStore) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!("could not delete expired sessions: {e}");
        }
    }
}

async fn sweep_stale_uploads(db: DatabaseConnection, data_dir: PathBuf) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        // The first tick completes at once: the sweep runs at start-up.
        every_hour.tick().await;
        if let Err(e) = domain::uploads::cleanup(&db, &data_dir).await {
            tracing::warn!("could not remove unclaimed uploads: {e:?}");
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
