//! Conformance: the official Dropbox Python SDK (PyPI `dropbox`, whose validators are strict) runs a
//! scenario against the sandbox over https: files, batch uploads and batch jobs, concurrent sessions,
//! shared links, scopes and the legacy `/1/oauth2/` paths. It uses the workspace's `tools/venv` (made by
//! `scripts/setup.sh`) when there is one, else `python3` on the PATH. Skipped, with a note, when that
//! python cannot `import dropbox` or `openssl` is unavailable — unless `DROPBOX_SANDBOX_REQUIRE_PYTHON=1`,
//! which turns the skip into a failure.

use dropbox_sandbox::{AppSpec, SandboxConfig, TokenSpec, spawn};
use std::path::PathBuf;
use std::process::Command;

/// The python to run: the workspace's venv, else the one on the PATH.
fn python() -> PathBuf {
    let venv = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/venv/bin/python3"
    ));
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn available() -> bool {
    let python = Command::new(python())
        .args(["-c", "import dropbox"])
        .output()
        .is_ok_and(|o| o.status.success());
    let openssl = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    python && openssl
}

#[tokio::test]
async fn official_python_sdk_scenario_passes_over_https() {
    if !available() {
        assert!(
            std::env::var("DROPBOX_SANDBOX_REQUIRE_PYTHON").as_deref() != Ok("1"),
            "python3 with the `dropbox` package and openssl are required"
        );
        eprintln!("skipped: needs python3 with `pip install dropbox` and openssl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        // A self-signed certificate for 127.0.0.1 with a fresh unencrypted key, good for a day.
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let sb = spawn(
        SandboxConfig {
            tls_cert: Some(cert.clone()),
            tls_key: Some(key),
            ..SandboxConfig::for_tests()
        }
        .with_app(AppSpec::new("py-key", "py-secret")),
    )
    .await
    .unwrap();
    assert!(sb.base_url().starts_with("https://"));
    let account = sb.accounts()[0].clone();
    let tokens = sb
        .issue_token(TokenSpec {
            app_key: "py-key".into(),
            offline: true,
            ..TokenSpec::new(&account.account_id)
        })
        .unwrap();
    let host = sb.addr().to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/scenario.py");
    let mut cmd = Command::new(python());
    cmd.arg(script)
        .env("DROPBOX_API_HOST", &host)
        .env("DROPBOX_API_CONTENT_HOST", &host)
        .env("DROPBOX_API_NOTIFY_HOST", &host)
        .env("DROPBOX_WEB_HOST", &host)
        .env("REQUESTS_CA_BUNDLE", &cert)
        .env("SANDBOX_APP_KEY", "py-key")
        .env("SANDBOX_APP_SECRET", "py-secret")
        .env("SANDBOX_REFRESH_TOKEN", tokens.refresh_token.unwrap());
    // The server runs on this test's runtime: wait for Python off it.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("PYTHON SDK SCENARIO OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = sb.requests();
    let served = |route: &str| log.iter().any(|r| r.route == route && r.status == 200);
    assert!(served("oauth2/token"), "SDK refreshed its token");
    for route in [
        "1/oauth2/authorize",
        "1/oauth2/token",
        "files/upload_session/finish_batch_v2",
        "files/upload_session/finish_batch/check",
        "files/copy_batch/check_v2",
        "files/move_batch/check_v2",
        "files/delete_batch/check",
        "sharing/get_shared_link_file",
    ] {
        assert!(served(route), "the scenario called {route}");
    }
    assert!(
        log.iter()
            .any(|r| r.route == "files/upload" && r.status == 401),
        "a narrowed token was refused with missing_scope"
    );
    sb.shutdown().await;
}
