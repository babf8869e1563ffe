//! Benchmark (not a test): upload a large file through upload sessions and download it again, streaming
//! both ways, then report throughput and the process's peak RSS (server and client share the process, so
//! the figure bounds the server's).
//!
//! `cargo run -p dropbox-sandbox --example throughput -- [MiB]` (default 1024 MiB).

use bytes::Bytes;
use dropbox_sandbox::{SandboxConfig, TokenSpec, spawn};
use futures_util::StreamExt;
use std::time::Instant;

const CHUNK: u64 = 64 * 1024 * 1024;
const PIECE: usize = 256 * 1024;

/// `len` pseudo-random bytes as a stream of small pieces (never the whole chunk in memory).
fn data(len: u64, seed: u64) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let pieces = len.div_ceil(PIECE as u64);
    futures_util::stream::iter(0..pieces).map(move |i| {
        let n = (len - i * PIECE as u64).min(PIECE as u64) as usize;
        let mut x = seed ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut buf = Vec::with_capacity(n);
        while buf.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.extend_from_slice(&x.to_le_bytes());
        }
        buf.truncate(n);
        Ok(Bytes::from(buf))
    })
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1024);
    let total = mib * 1024 * 1024;
    let sb = spawn(SandboxConfig::default()).await?;
    let account = sb.accounts()[0].account_id.clone();
    let token = sb.issue_token(TokenSpec::new(&account))?.access_token;
    let http = reqwest::Client::new();
    let call = |route: &str, arg: String, body: reqwest::Body| {
        http.post(format!("{}/2/{route}", sb.base_url()))
            .bearer_auth(&token)
            .header("Dropbox-API-Arg", arg)
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
    };

    let started = Instant::now();
    let start = call(
        "files/upload_session/start",
        "{}".into(),
        reqwest::Body::from(Vec::new()),
    )
    .await?;
    let session: serde_json::Value = start.json().await?;
    let sid = session["session_id"]
        .as_str()
        .ok_or("no session id")?
        .to_string();
    let mut offset = 0;
    while offset < total {
        let len = CHUNK.min(total - offset);
        let arg = serde_json::json!({"cursor": {"session_id": sid, "offset": offset}}).to_string();
        let resp = call(
            "files/upload_session/append_v2",
            arg,
            reqwest::Body::wrap_stream(data(len, offset)),
        )
        .await?;
        if !resp.status().is_success() {
            return Err(format!("append failed: {}", resp.text().await?).into());
        }
        offset += len;
    }
    let arg = serde_json::json!({"cursor": {"session_id": sid, "offset": offset}, "commit": {"path": "/bench.bin"}});
    let done: serde_json::Value = call(
        "files/upload_session/finish",
        arg.to_string(),
        reqwest::Body::from(Vec::new()),
    )
    .await?
    .json()
    .await?;
    let up = started.elapsed().as_secs_f64();
    assert_eq!(done["size"].as_u64(), Some(total), "{done}");

    let started = Instant::now();
    let resp = http
        .post(format!("{}/2/files/download", sb.base_url()))
        .bearer_auth(&token)
        .header("Dropbox-API-Arg", r#"{"path": "/bench.bin"}"#)
        .send()
        .await?;
    let mut stream = resp.bytes_stream();
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        received += chunk?.len() as u64;
    }
    let down = started.elapsed().as_secs_f64();
    assert_eq!(received, total);

    println!("file size:  {mib} MiB");
    println!("upload:     {:.1} MiB/s ({up:.1} s)", mib as f64 / up);
    println!("download:   {:.1} MiB/s ({down:.1} s)", mib as f64 / down);
    println!(
        "peak RSS:   {:.1} MiB (server and client in one process)",
        peak_rss_mib()
    );
    sb.shutdown().await;
    Ok(())
}
