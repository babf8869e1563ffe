//! Settings, read once from the environment at start-up. Every variable is listed in the README.
pub use dropbox::Secret;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/wharf.db?mode=rwc`) or `postgres://…`.
    pub database_url: String,
    /// `WHARF_DATA_DIR` (default `data`): the initial password file, the key file, uploads and (by
    /// default) the SQLite database. Created owner-only (0700) at start-up.
    pub data_dir: PathBuf,
    /// `WHARF_PUBLIC_URL`: the address people use to reach Wharf (default `http://<site address>`).
    /// Cookies are marked Secure when it starts with `https://`.
    pub public_url: String,
    /// `WHARF_SESSION_IDLE_MINUTES` (default 480): a session ends after this long without a request.
    pub session_idle: Duration,
    /// `WHARF_SECRET_KEY`: base64 of the 32-byte key that encrypts tokens at rest; when unset, a key
    /// is generated once into `<data_dir>/secret.key`.
    /// A [`Secret`], so the settings can be logged with `{:?}` without it.
    pub secret_key: Option<Secret>,
    /// `DROPBOX_APP_KEY` and `DROPBOX_APP_SECRET`: talk to dropbox.com with this app. Unset: Wharf
    /// starts its built-in Sandbox Dropbox instead.
    pub dropbox_app: Option<DropboxApp>,
    /// `WHARF_DROPBOX_BASE_URL` (needs the app key and secret): talk to a Dropbox-compatible server at
    /// this one base URL for every Dropbox host (API, content, OAuth), as `dropbox-sandbox` serves
    /// them, instead of dropbox.com. For benchmarks and staging; unset in production.
    pub dropbox_base_url: Option<String>,
    /// `WHARF_SANDBOX_ADDR` (default `127.0.0.1:3002`): where the built-in Sandbox Dropbox listens; the
    /// browser opens its authorize page there.
    pub sandbox_addr: SocketAddr,
    /// `WHARF_SANDBOX_CONTROL_API=1`: serve the sandbox's test control API (`/__sandbox/…`: faults,
    /// request log). For browser tests only; off by default.
    pub sandbox_control_api: bool,
    /// `LEPTOS_SITE_ADDR` (default `127.0.0.1:3000`) and the other `LEPTOS_*` variables cargo-leptos sets.
    pub leptos: LeptosOptions,
}

/// The Dropbox app Wharf signs in with; the secret never shows in `Debug`.
#[derive(Clone, Debug)]
pub struct DropboxApp {
    pub key: String,
    pub secret: Secret,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let site_addr: SocketAddr = match var("LEPTOS_SITE_ADDR") {
            Some(v) => v
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    name: "LEPTOS_SITE_ADDR",
                    reason: e.to_string(),
                })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let session_idle_minutes: u64 = match var("WHARF_SESSION_IDLE_MINUTES") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|m| *m > 0)
                .ok_or(ConfigError::Invalid {
                    name: "WHARF_SESSION_IDLE_MINUTES",
                    reason: format!("`{v}` is not a positive number of minutes"),
                })?,
            None => 480,
        };
        let public_url = var("WHARF_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "WHARF_PUBLIC_URL",
                reason: "it must start with http:// or https://".into(),
            });
        }
        let dropbox_app = match (var("DROPBOX_APP_KEY"), var("DROPBOX_APP_SECRET")) {
            (Some(key), Some(secret)) => Some(DropboxApp {
                key,
                secret: Secret::new(secret),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "DROPBOX_APP_KEY",
                    reason: "set DROPBOX_APP_KEY and DROPBOX_APP_SECRET together".into(),
                });
            }
        };
        let dropbox_base_url =
            dropbox_base_url(var("WHARF_DROPBOX_BASE_URL"), dropbox_app.is_some())?;
        let sandbox_addr: SocketAddr = match var("WHARF_SANDBOX_ADDR") {
            Some(v) => v
                .parse()
                .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                    name: "WHARF_SANDBOX_ADDR",
                    reason: e.to_string(),
                })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3002)),
        };
        Ok(Settings {
            dropbox_app,
            dropbox_base_url,
            sandbox_addr,
            sandbox_control_api: var("WHARF_SANDBOX_CONTROL_API").is_some_and(|v| v == "1"),
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/wharf.db?mode=rwc".to_owned()),
            data_dir: PathBuf::from(var("WHARF_DATA_DIR").unwrap_or_else(|| "data".to_owned())),
            public_url: public_url.trim_end_matches('/').to_owned(),
            session_idle: Duration::from_secs(session_idle_minutes * 60),
            secret_key: var("WHARF_SECRET_KEY").map(Secret::new),
            leptos: leptos_options(site_addr),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `WHARF_DROPBOX_BASE_URL`'s value: an http(s) URL, only together with the app key and secret (a
/// server of our choosing needs an app registered on it; the built-in sandbox registers its own).
fn dropbox_base_url(value: Option<String>, app_set: bool) -> Result<Option<String>, ConfigError> {
    let Some(url) = value else {
        return Ok(None);
    };
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "WHARF_DROPBOX_BASE_URL",
        reason: reason.into(),
    };
    let url = url.trim().trim_end_matches('/').to_owned();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || dropbox::DropboxEndpoints::all_at(&url).is_err()
    {
        return Err(invalid("it must be an http:// or https:// URL"));
    }
    if !app_set {
        return Err(invalid(
            "it needs DROPBOX_APP_KEY and DROPBOX_APP_SECRET of an app registered there",
        ));
    }
    Ok(Some(url))
}

/// The Leptos options cargo-leptos passes in `LEPTOS_*` variables, with the workspace's values as
/// defaults so that the built binary also runs on its own.
pub fn leptos_options(site_addr: SocketAddr) -> LeptosOptions {
    let mut options = LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "wharf".to_owned()))
        .site_root(var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".to_owned()))
        .site_addr(site_addr)
        .build();
    if let Some(port) = var("LEPTOS_RELOAD_PORT").and_then(|p| p.parse().ok()) {
        options.reload_port = port;
    }
    if var("LEPTOS_ENV")
        .is_some_and(|e| e.eq_ignore_ascii_case("prod") || e.eq_ignore_ascii_case("production"))
    {
        options.env = leptos::config::Env::PROD;
    }
    // cargo-leptos names the built files after their content (`hash-files`) and lists the hashes in
    // hash.txt beside the binary; a binary started on its own finds that file itself, or its pages
    // would ask for `wharf.js`, which no longer exists.
    let hash_file = var("LEPTOS_HASH_FILE_NAME").unwrap_or_else(|| "hash.txt".to_owned());
    options.hash_files = match var("LEPTOS_HASH_FILES") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(&hash_file)))
            .is_some_and(|path| path.exists()),
    };
    options.hash_file = hash_file.into();
    options
}

impl Settings {
    /// The exact redirect URI registered with Dropbox.
    pub fn dropbox_redirect_uri(&self) -> String {
        format!("{}/oauth/dropbox/callback", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_no_secret() {
        let settings = Settings {
            database_url: "sqlite::memory:".into(),
            data_dir: PathBuf::from("data"),
            public_url: "http://127.0.0.1:3000".into(),
            session_idle: Duration::from_secs(60),
            secret_key: Some(Secret::new("the-vault-key-c2VjcmV0")),
            dropbox_app: Some(DropboxApp {
                key: "app-key".into(),
                secret: Secret::new("the-app-secret-8f3k"),
            }),
            dropbox_base_url: None,
            sandbox_addr: SocketAddr::from(([127, 0, 0, 1], 3002)),
            sandbox_control_api: false,
            leptos: leptos_options(SocketAddr::from(([127, 0, 0, 1], 3000))),
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("the-vault-key-c2VjcmV0"), "{shown}");
        assert!(!shown.contains("the-app-secret-8f3k"), "{shown}");
        // The rest is still there to debug with.
        assert!(shown.contains("app-key"), "{shown}");
        assert!(shown.contains("Secret(***)"), "{shown}");
    }

    #[test]
    fn the_dropbox_base_url_is_optional_and_needs_an_app() {
        assert!(dropbox_base_url(None, false).unwrap().is_none());
        assert!(dropbox_base_url(None, true).unwrap().is_none());
        assert_eq!(
            dropbox_base_url(Some("http://127.0.0.1:4010/".into()), true)
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:4010")
        );
        assert_eq!(
            dropbox_base_url(Some(" https://dropbox.staging.example ".into()), true)
                .unwrap()
                .as_deref(),
            Some("https://dropbox.staging.example")
        );
        for bad in ["127.0.0.1:4010", "ftp://host", "http://", "http://[::1"] {
            assert!(
                matches!(
                    dropbox_base_url(Some(bad.into()), true),
                    Err(ConfigError::Invalid {
                        name: "WHARF_DROPBOX_BASE_URL",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let no_app = dropbox_base_url(Some("http://127.0.0.1:4010".into()), false).unwrap_err();
        assert!(no_app.to_string().contains("DROPBOX_APP_KEY"), "{no_app}");
    }
}
