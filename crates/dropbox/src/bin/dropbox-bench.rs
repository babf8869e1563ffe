//! Throughput of a large upload and download through `DropboxClient` versus raw reqwest calls to the
//! same in-process sandbox, plus peak RSS growth. Not run by tests.
//!
//! `cargo run -p dropbox --features bench --bin dropbox-bench -- [SIZE_MIB]` (default 256; 1024 for 1 GiB).

use bytes::Bytes;
use dropbox::{
    DropboxConfig, DropboxEndpoints, DropboxHub, MemoryTokenStore, Secret, Space, TokenSet,
    WriteMode,
};
use dropbox_sandbox::{AppSpec, SandboxConfig, TokenSpec};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;

const PIECE: usize = 1 << 20;
const CHUNK: usize = 8 << 20;

/// Peak resident set size so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// `size` bytes generated piece by piece, never all in memory.
fn content(size: u64) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + Unpin {
    let piece = Bytes::from((0..PIECE).map(|i| (i * 31 % 251) as u8).collect::<Vec<_>>());
    let n = size.div_ceil(PIECE as u64);
    futures::stream::iter((0..n).map(move |i| {
        let left = size - i * PIECE as u64;
        Ok(piece.slice(..(left.min(PIECE as u64) as usize)))
    }))
}

fn mib_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / secs.max(1e-9)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size_mib: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let size = size_mib * 1024 * 1024;
    let sb =
        dropbox_sandbox::spawn(SandboxConfig::for_tests().with_app(AppSpec::new("k", "s"))).await?;
    let account = sb.accounts()[0].clone();
    let issued = sb.issue_token(TokenSpec {
        offline: true,
        ..TokenSpec::new(&account.account_id)
    })?;
    let token = issued.access_token.clone();
    let mut config = DropboxConfig::new(DropboxEndpoints::all_at(&sb.base_url())?);
    config.upload_chunk_size = CHUNK;
    let hub = DropboxHub::new(config)?;
    let store = Arc::new(MemoryTokenStore::new(TokenSet {
        access_token: Secret::new(token.clone()),
        refresh_token: None,
        expires_at: None,
        account_id: None,
        scope: None,
    }));
    let client = hub.client("bench", store, Space::MyFiles);
    let base_rss = peak_rss();
    println!(
        "dropbox-bench: {size_mib} MiB, sandbox at {}",
        sb.base_url()
    );

    let t = Instant::now();
    client
        .upload("/bench/client.bin", WriteMode::Overwrite, content(size))
        .await?;
    let up_client = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut dl = client.download("/bench/client.bin", None).await?;
    let mut got = 0u64;
    while let Some(chunk) = dl.stream.next().await {
        got += chunk?.len() as u64;
    }
    let down_client = t.elapsed().as_secs_f64();
    assert_eq!(got, size);
    let client_rss = peak_rss().saturating_sub(base_rss);

    // The direct path: the same wire calls with plain reqwest, no hashing, retries or refresh.
    let http = reqwest::Client::new();
    let url = |r: &str| format!("{}/2/{r}", sb.base_url());
    let t = Instant::now();
    let mut src = content(size);
    let mut buf = Vec::with_capacity(CHUNK);
    let mut session: Option<String> = None;
    let mut offset = 0u64;
    loop {
        let item = src.next().await;
        if let Some(b) = &item {
            buf.extend_from_slice(b.as_ref().map_err(|e| e.to_string())?);
        }
        let last = item.is_none();
        if buf.len() < CHUNK && !last {
            continue;
        }
        let body = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK));
        let len = body.len() as u64;
        let (route, arg) = match (&session, last) {
            (None, _) => ("files/upload_session/start", "{}".to_string()),
            (Some(id), false) => (
                "files/upload_session/append_v2",
                format!(r#"{{"cursor":{{"session_id":"{id}","offset":{offset}}}}}"#),
            ),
            (Some(id), true) => (
                "files/upload_session/finish",
                format!(
                    r#"{{"cursor":{{"session_id":"{id}","offset":{offset}}},"commit":{{"path":"/bench/raw.bin","mode":"overwrite"}}}}"#
                ),
            ),
        };
        let resp = http
            .post(url(route))
            .bearer_auth(&token)
            .header("Dropbox-API-Arg", arg)
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        let v: serde_json::Value = resp.json().await?;
        if session.is_none() {
            session = v["session_id"].as_str().map(str::to_string);
        }
        offset += len;
        if last {
            break;
        }
    }
    let up_raw = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let resp = http
        .post(url("files/download"))
        .bearer_auth(&token)
        .header("Dropbox-API-Arg", r#"{"path":"/bench/raw.bin"}"#)
        .send()
        .await?
        .error_for_status()?;
    let mut body = resp.bytes_stream();
    let mut got = 0u64;
    while let Some(chunk) = body.next().await {
        got += chunk?.len() as u64;
    }
    let down_raw = t.elapsed().as_secs_f64();
    assert_eq!(got, size);

    println!(
        "upload:   client {:8.1} MiB/s   raw {:8.1} MiB/s   ratio {:.2}",
        mib_s(size, up_client),
        mib_s(size, up_raw),
        up_raw / up_client
    );
    println!(
        "download: client {:8.1} MiB/s   raw {:8.1} MiB/s   ratio {:.2}",
        mib_s(size, down_client),
        mib_s(size, down_raw),
        down_raw / down_client
    );
    println!(
        "peak RSS growth during client transfers: {:.1} MiB (process incl. in-process sandbox)",
        client_rss as f64 / (1024.0 * 1024.0)
    );
    sb.shutdown().await;
    Ok(())
}
