//! Which Dropbox this Wharf talks to: dropbox.com with the configured app (or, with
//! `WHARF_DROPBOX_BASE_URL`, a Dropbox-compatible server there), or — with no app key — the built-in
//! Sandbox Dropbox, started in-process with Wharf registered on it and sample content seeded.
use crate::config::Settings;
use dropbox::{DropboxConfig, DropboxEndpoints, DropboxHub, OAuthApp, Secret};
use dropbox_sandbox::{AccountSpec, AppSpec, RunningSandbox, SandboxConfig, spawn};
use rand::Rng;

pub const SANDBOX_LABEL: &str = "Sandbox Dropbox";
pub const DROPBOX_LABEL: &str = "Dropbox";
const SANDBOX_APP_KEY: &str = "wharf-sandbox";

pub struct DropboxSetup {
    pub hub: DropboxHub,
    /// How the UI names the provider: "Sandbox Dropbox" wherever a real account would show.
    pub label: &'static str,
    pub sandbox: Option<RunningSandbox>,
}

#[derive(Debug, thiserror::Error)]
pub enum DropboxSetupError {
    #[error("cannot start the built-in Sandbox Dropbox on {addr}: {source}")]
    Sandbox {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("WHARF_DROPBOX_BASE_URL is not valid: {0}")]
    BaseUrl(String),
    #[error("cannot seed the Sandbox Dropbox: {0}")]
    Seed(String),
    #[error("{0}")]
    Client(#[from] dropbox::DropboxError),
}

pub async fn start(settings: &Settings) -> Result<DropboxSetup, DropboxSetupError> {
    let redirect_uri = settings.dropbox_redirect_uri();
    if let Some(configured) = &settings.dropbox_app {
        let app = OAuthApp {
            app_key: configured.key.clone(),
            app_secret: Some(configured.secret.clone()),
            redirect_uri,
        };
        let endpoints = match &settings.dropbox_base_url {
            // Checked by `Settings::from_env`.
            Some(url) => DropboxEndpoints::all_at(url)
                .map_err(|e| DropboxSetupError::BaseUrl(e.to_string()))?,
            None => DropboxEndpoints::real(),
        };
        let hub = DropboxHub::new(DropboxConfig::new(endpoints).with_app(app))?;
        return Ok(DropboxSetup {
            hub,
            label: DROPBOX_LABEL,
            sandbox: None,
        });
    }
    // A fresh secret each start: the app is re-registered under the same key every time.
    let secret: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    let addr = settings.sandbox_addr;
    let sandbox = spawn(SandboxConfig {
        addr,
        data_dir: Some(settings.data_dir.join("sandbox")),
        control_api: settings.sandbox_control_api,
        apps: vec![
            AppSpec::new(SANDBOX_APP_KEY, secret.clone())
                .name("Wharf")
                .redirect_uri(redirect_uri.clone()),
        ],
        accounts: vec![AccountSpec::new("sandbox@wharf.example").named("Sandy", "Sandbox")],
        ..SandboxConfig::default()
    })
    .await
    .map_err(|source| DropboxSetupError::Sandbox { addr, source })?;
    let account = sandbox
        .accounts()
        .into_iter()
        .next()
        .map(|a| a.account_id)
        .unwrap_or_default();
    if dropbox_sandbox::sample::seed_demo_account(&sandbox, &account)
        .await
        .map_err(|e| DropboxSetupError::Seed(e.to_string()))?
    {
        tracing::info!("seeded the Sandbox Dropbox with sample documents, images and invoices");
    }
    let endpoints = DropboxEndpoints::all_at(&sandbox.base_url())
        .map_err(|e| DropboxSetupError::Seed(e.to_string()))?;
    let app = OAuthApp {
        app_key: SANDBOX_APP_KEY.into(),
        app_secret: Some(Secret::new(secret)),
        redirect_uri,
    };
    let hub = DropboxHub::new(DropboxConfig::new(endpoints).with_app(app))?;
    tracing::info!(
        "no DROPBOX_APP_KEY: using the built-in {SANDBOX_LABEL} at {}",
        sandbox.base_url()
    );
    Ok(DropboxSetup {
        hub,
        label: SANDBOX_LABEL,
        sandbox: Some(sandbox),
    })
}
