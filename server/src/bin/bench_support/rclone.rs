//! rclone as a peer: the tool a person would otherwise use to list or copy Dropbox files, run
//! against the same sandbox. rclone only speaks https to `*.dropboxapi.com`, so it goes through an
//! HTTPS CONNECT proxy in this process (`HTTPS_PROXY`) that answers each tunnel with a certificate of
//! its own CA (handed to rclone with `--ca-cert`) and passes the decrypted requests to the sandbox
//! unchanged. rclone thus pays for TLS as it would against Dropbox; Wharf talks plain HTTP to the
//! sandbox (the rows say so).
use super::BenchResult;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The hosts rclone calls (API, content, long-poll).
const DROPBOX_HOSTS: [&str; 3] = [
    "api.dropboxapi.com",
    "content.dropboxapi.com",
    "notify.dropboxapi.com",
];
/// The remote's name in rclone's config.
const REMOTE: &str = "sandbox";

pub struct Rclone {
    dir: tempfile::TempDir,
    proxy: String,
    tunnels: tokio::task::JoinHandle<()>,
    pub version: String,
}

impl Drop for Rclone {
    fn drop(&mut self) {
        self.tunnels.abort();
    }
}

impl Rclone {
    /// rclone set up for the sandbox at `sandbox_url` with `access_token`; `None` when rclone is
    /// not installed (scripts/setup.sh installs Debian's).
    pub async fn start(sandbox_url: &str, access_token: &str) -> BenchResult<Option<Self>> {
        let Ok(out) = Command::new("rclone").arg("version").output() else {
            return Ok(None);
        };
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("rclone")
            .trim()
            .to_owned();
        let dir = tempfile::tempdir()?;
        let (ca_pem, acceptor) = certificates()?;
        std::fs::write(dir.path().join("ca.pem"), ca_pem)?;
        // A token rclone takes as valid for good: it never tries to refresh it.
        let token = serde_json::json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expiry": "2999-01-01T00:00:00Z",
        });
        std::fs::write(
            dir.path().join("rclone.conf"),
            format!("[{REMOTE}]\ntype = dropbox\ntoken = {token}\n"),
        )?;
        let upstream = sandbox_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let proxy = format!("http://{}", listener.local_addr()?);
        let tunnels = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
                tokio::spawn(async move {
                    if let Err(e) = tunnel(client, acceptor, &upstream).await {
                        eprintln!("rclone proxy: a tunnel failed: {e}");
                    }
                });
            }
        });
        Ok(Some(Self {
            dir,
            proxy,
            tunnels,
            version,
        }))
    }

    /// `rclone <args>` against the sandbox, timed; its standard output. The proxy runs on this
    /// runtime, so the wait for rclone leaves the worker thread to it.
    fn run(&self, args: &[&str]) -> BenchResult<(Duration, Vec<u8>)> {
        let dir = self.dir.path();
        let started = Instant::now();
        let out = tokio::task::block_in_place(|| {
            Command::new("rclone")
                .env_clear()
                .env("HTTPS_PROXY", &self.proxy)
                .env("HOME", dir)
                .arg("--config")
                .arg(dir.join("rclone.conf"))
                .arg("--ca-cert")
                .arg(dir.join("ca.pem"))
                .args(["--retries", "1", "--low-level-retries", "1"])
                .args(args)
                .output()
        })?;
        let took = started.elapsed();
        if !out.status.success() {
            return Err(format!(
                "rclone {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok((took, out.stdout))
    }

    /// `rclone lsjson` of `folder` (a Dropbox path): the time and the number of entries.
    pub fn lsjson(&self, folder: &str) -> BenchResult<(Duration, usize)> {
        let (took, out) = self.run(&["lsjson", &format!("{REMOTE}:{folder}")])?;
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&out)?;
        Ok((took, entries.len()))
    }

    /// `rclone copyto` of the local `file` to `to` (a Dropbox path), with rclone's defaults (upload
    /// sessions of 48 MiB chunks, the content hash checked) but never skipped as unchanged: the time.
    pub fn copyto(&self, file: &Path, to: &str) -> BenchResult<Duration> {
        let from = file.to_str().ok_or("a path rclone can take")?;
        let to = format!("{REMOTE}:{to}");
        Ok(self.run(&["copyto", "--ignore-times", from, &to])?.0)
    }
}

/// A CA of this run (its PEM, for rclone) and a TLS acceptor presenting a certificate it signed for
/// Dropbox's hosts.
fn certificates() -> BenchResult<(String, tokio_rustls::TlsAcceptor)> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Wharf bench proxy CA");
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(DROPBOX_HOSTS.map(String::from).to_vec())?
        .signed_by(&key, &issuer)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )?;
    Ok((ca_pem, tokio_rustls::TlsAcceptor::from(Arc::new(config))))
}

/// One `CONNECT host:443` tunnel: TLS ended here, the plain bytes passed to the sandbox both ways.
async fn tunnel(
    mut client: TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    upstream: &str,
) -> BenchResult<()> {
    client.set_nodelay(true)?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 8192 {
            return Err("the proxy request ended early".into());
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head);
    let target = line
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    let host = target.split(':').next().unwrap_or_default();
    if !DROPBOX_HOSTS.contains(&host) {
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Err(format!("refused a tunnel to {target:?}").into());
    }
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    let mut tls = acceptor.accept(client).await?;
    let mut sandbox = TcpStream::connect(upstream).await?;
    sandbox.set_nodelay(true)?;
    match tokio::io::copy_bidirectional(&mut tls, &mut sandbox).await {
        // rclone (Go) closes its idle connections without TLS's close_notify: a normal end here.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(()),
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}
