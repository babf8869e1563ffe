//! dropbox.com is https only: the client must speak TLS. Checked against the sandbox serving https
//! with a self-signed certificate that the test's reqwest clients trust.
mod common;

use common::{config_for, issue, sandbox, token_set};
use dropbox::{DropboxHub, MemoryTokenStore, Space};
use dropbox_sandbox::SandboxConfig;
use std::process::Command;
use std::sync::Arc;

#[tokio::test]
async fn the_client_talks_to_dropbox_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    // A CA and a server certificate it signed: TLS verifiers refuse a CA certificate used as the server's.
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("openssl (scripts/setup.sh)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Wharf test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        path("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    let (cert, key, ca) = (path("cert.pem"), path("key.pem"), path("ca.pem"));
    let sb = sandbox(SandboxConfig {
        tls_cert: Some(cert.clone()),
        tls_key: Some(key),
        ..SandboxConfig::for_tests()
    })
    .await;
    assert!(sb.base_url().starts_with("https://"));
    let trusted = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let http = || {
        reqwest::Client::builder()
            .add_root_certificate(trusted.clone())
            .build()
            .unwrap()
    };
    let hub = DropboxHub::with_http_clients(config_for(&sb.base_url()), http(), http()).unwrap();
    let account = sb.accounts()[0].clone();
    let store = Arc::new(MemoryTokenStore::new(token_set(
        &issue(&sb, &account, 14_400),
        14_400,
    )));

    let info = hub
        .client("tls", store, Space::MyFiles)
        .test_connection()
        .await
        .unwrap();

    assert_eq!(info.email, account.email);
}
