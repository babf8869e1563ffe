//! What the integration tests against the sandbox share: the sandbox with Wharf's app registered,
//! and a Dropbox hub pointed at it.
// Each test binary uses its own part of this module.
#![allow(dead_code)]
use dropbox::{DropboxConfig, DropboxEndpoints, DropboxHub, OAuthApp, Secret};
use dropbox_sandbox::{AppSpec, RunningSandbox, SandboxConfig, spawn};

pub const REDIRECT: &str = "http://wharf.test/oauth/dropbox/callback";

/// A sandbox that knows the app `wharf` (secret `wharf-secret`, redirect [`REDIRECT`]), and a hub
/// that talks to it as that app.
pub async fn sandbox_and_hub() -> (RunningSandbox, DropboxHub) {
    let sandbox = spawn(
        SandboxConfig::for_tests()
            .with_app(AppSpec::new("wharf", "wharf-secret").redirect_uri(REDIRECT)),
    )
    .await
    .unwrap();
    let app = OAuthApp {
        app_key: "wharf".into(),
        app_secret: Some(Secret::new("wharf-secret")),
        redirect_uri: REDIRECT.into(),
    };
    let hub = DropboxHub::new(
        DropboxConfig::new(DropboxEndpoints::all_at(&sandbox.base_url()).unwrap()).with_app(app),
    )
    .unwrap();
    (sandbox, hub)
}
