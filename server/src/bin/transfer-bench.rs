//! A large file into Dropbox and out of it through Wharf, each against `curl` talking straight to the
//! sandbox, in one run (issues 16 and 17).
//!
//! **Upload**: Wharf's File upload field — the browser's upload to Wharf (`POST
//! /forms/{id}/uploads/{field}`, staged on disk), then the submission's job saving it into a data
//! source folder through an upload session — versus curl uploading the same bytes through the same
//! upload-session calls, and versus `rclone copyto` (when installed; through an HTTPS proxy, see
//! `bench_support::rclone`). Wharf's time runs from the first byte of the upload until
//! `submission_writes` says Done. Goals: ≥ 0.75× curl's throughput, faster than rclone, server peak
//! RSS growth ≤ 64 MiB. Beside them, with no goal of its own, Wharf's Dropbox client uploading the
//! same bytes (`DropboxClient::upload`: what a job sends when the file was kept on Wharf first).
//!
//! **Download**, of the file the upload rounds wrote: what a browser does, `GET
//! /data-sources/{id}/files/download` (Wharf checking the content hash as it streams), read by curl,
//! versus curl's `POST /2/files/download` straight to the sandbox: ≥ 0.85×, server peak RSS growth ≤
//! 32 MiB. And Wharf's Dropbox client (`DropboxClient::download`, verifying `content_hash`) versus
//! `curl | sha256sum` (the same work: fetch and hash): ≥ 0.9×.
//!
//! Medians of the rounds; prints `GOAL MISSED` and exits 1 when a goal is not met.
//!
//! ```sh
//! cargo build --release -p server --features bench --bins
//! target/release/transfer-bench [SIZE_MIB] [ROUNDS]    # default 1024 MiB, 3 rounds
//! ```
//!
//! The sandbox runs in this process (its files in a temporary directory), Wharf's `server` binary as a
//! child process on SQLite, curl as child processes. Rounds alternate which goes first.

mod bench_support;

use axum::body::Bytes;
use bench_support::rclone::Rclone;
use bench_support::{
    BenchResult, Memory, Outcome, Row, Wharf, connect_data_source, cpu_secs,
    cpu_secs_with_children, median, mib, reset_peak, settle_page_cache, start_against,
};
use dropbox::{
    DropboxClient, DropboxConfig, DropboxEndpoints, DropboxHub, MemoryTokenStore, Secret, Space,
    TokenSet, WriteMode,
};
use dropbox_sandbox::RunningSandbox;
use futures::StreamExt;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, redirect};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PIECE: usize = 1 << 20;
/// Upload-session chunk size: Wharf's client default, and curl's here.
const CHUNK: usize = 8 << 20;
const FIELD: &str = "invoice";
const FOLDER: &str = "Intake";
const CURL: &str = "/usr/bin/curl";
const MIN_RATIO: f64 = 0.75;
const MAX_RSS_GROWTH_MIB: f64 = 64.0;
/// Where the upload rounds leave the file (the field's folder, the original name), in Dropbox and
/// relative to the data source's root (the whole Dropbox).
const UPLOADED: &str = "/Intake/big.bin";
/// Where the client's upload rounds leave theirs.
const CLIENT_UPLOADED: &str = "/Client/big.bin";
const MIN_DOWNLOAD_RATIO: f64 = 0.85;
const MIN_CLIENT_DOWNLOAD_RATIO: f64 = 0.9;
const MAX_DOWNLOAD_RSS_GROWTH_MIB: f64 = 32.0;

const _: () = assert!(CHUNK.is_multiple_of(PIECE));

fn piece() -> Vec<u8> {
    (0..PIECE).map(|i| (i * 31 % 251) as u8).collect()
}

/// `size` bytes generated piece by piece, as a request body (never all in memory).
fn content(size: u64) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let piece = Bytes::from(piece());
    let n = size.div_ceil(PIECE as u64);
    futures::stream::iter((0..n).map(move |i| {
        let left = size - i * PIECE as u64;
        Ok(piece.slice(..(left.min(PIECE as u64) as usize)))
    }))
}

/// The chunk bodies curl sends: one full chunk (every whole chunk holds the same bytes) and the tail.
/// Where rclone's rounds copy the file to (over the last round's copy).
const RCLONE_COPY: &str = "/Direct/rclone.bin";

/// The whole file for rclone to copy: in memory-backed `/dev/shm` when there is one, so that
/// reading it costs what generating Wharf's upload does and emptying the page cache leaves it be.
struct SourceFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SourceFile {
    fn write(size: u64) -> BenchResult<Self> {
        use std::io::Write;
        let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir())?;
        let path = dir.path().join("upload.bin");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let piece = piece();
        let mut left = size;
        while left > 0 {
            let n = left.min(PIECE as u64) as usize;
            file.write_all(&piece[..n])?;
            left -= n as u64;
        }
        file.flush()?;
        Ok(Self { _dir: dir, path })
    }
}

struct ChunkFiles {
    _dir: tempfile::TempDir,
    full: PathBuf,
    tail: PathBuf,
}

impl ChunkFiles {
    fn write(size: u64) -> BenchResult<Self> {
        let dir = tempfile::tempdir()?;
        let piece = piece();
        let full = dir.path().join("chunk");
        std::fs::write(&full, piece.repeat(CHUNK / PIECE))?;
        let tail = dir.path().join("tail");
        let tail_len = (size % CHUNK as u64) as usize;
        let whole = piece.repeat(tail_len.div_ceil(PIECE));
        std::fs::write(&tail, &whole[..tail_len])?;
        Ok(Self {
            _dir: dir,
            full,
            tail,
        })
    }

    fn file(&self, i: u64, size: u64) -> &Path {
        let short_tail = !size.is_multiple_of(CHUNK as u64);
        if short_tail && i + 1 == size.div_ceil(CHUNK as u64) {
            &self.tail
        } else {
            &self.full
        }
    }
}

/// One curl request's arguments (joined with `--next` into one process and connection). `Expect:`
/// emptied: curl would otherwise wait for `100 Continue` before big bodies, which reqwest never does.
fn curl_request(base_url: &str, token: &str, route: &str, arg: &str, body: &Path) -> Vec<String> {
    [
        "-sS",
        "--fail",
        "-X",
        "POST",
        &format!("{base_url}/2/{route}"),
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        &format!("Dropbox-API-Arg: {arg}"),
        "-H",
        "Expect:",
        "-H",
        "Content-Type: application/octet-stream",
        "-T",
        &body.display().to_string(),
    ]
    .map(String::from)
    .to_vec()
}

/// Runs curl; its stdout, or why it failed (a `String`: it crosses from a blocking thread).
fn run_curl(args: Vec<String>) -> Result<String, String> {
    let out = Command::new(CURL)
        .args(&args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "curl failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// `start` with the first chunk, `append_v2` for the middle ones, `finish` committing `path`.
async fn curl_upload(
    base_url: &str,
    token: &str,
    size: u64,
    chunks: &ChunkFiles,
) -> BenchResult<Duration> {
    let started = Instant::now();
    let n = size.div_ceil(CHUNK as u64);
    let (base, tok) = (base_url.to_owned(), token.to_owned());
    let first = chunks.file(0, size).to_owned();
    let start = tokio::task::spawn_blocking(move || {
        let mut a = curl_request(&base, &tok, "files/upload_session/start", "{}", &first);
        a.extend(["-o".into(), "-".into()]);
        run_curl(a)
    })
    .await??;
    let session: Value = serde_json::from_str(&start)?;
    let id = session["session_id"].as_str().ok_or("no session_id")?;
    let mut args = Vec::new();
    for i in 1..n {
        let cursor = format!(r#"{{"session_id":"{id}","offset":{}}}"#, i * CHUNK as u64);
        let (route, arg) = if i + 1 < n {
            (
                "files/upload_session/append_v2",
                format!(r#"{{"cursor":{cursor}}}"#),
            )
        } else {
            (
                "files/upload_session/finish",
                format!(
                    r#"{{"cursor":{cursor},"commit":{{"path":"/Direct/big.bin","mode":"overwrite"}}}}"#
                ),
            )
        };
        if !args.is_empty() {
            args.push("--next".into());
        }
        args.extend(curl_request(
            base_url,
            token,
            route,
            &arg,
            chunks.file(i, size),
        ));
        args.extend(["-o".into(), "/dev/null".into()]);
    }
    tokio::task::spawn_blocking(move || run_curl(args)).await??;
    Ok(started.elapsed())
}

/// Uploads `size` bytes into the form's File upload field, submits, and waits for the job's Done.
/// Answers the whole time and the part the job took after the upload was staged.
async fn through_wharf(
    wharf: &Wharf,
    http: &Client,
    form_id: i64,
    size: u64,
) -> BenchResult<(Duration, Duration)> {
    let started = Instant::now();
    let response = http
        .post(format!(
            "{}/forms/{form_id}/uploads/{FIELD}?name=big.bin",
            wharf.address
        ))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Length", size.to_string())
        .body(reqwest::Body::wrap_stream(content(size)))
        .send()
        .await?;
    let receipt = wharf.answer("upload", response).await?;
    let token = receipt["token"].as_str().ok_or("no upload token")?;
    let staged = Instant::now();
    let submitted = wharf
        .call_json(
            http,
            "submit_form",
            json!({ "id": form_id, "values": { FIELD: { "UploadTokens": [token] } } }),
        )
        .await?;
    let id = submitted["id"].as_i64().ok_or("submit answered no id")?;
    loop {
        let progress = wharf
            .call(
                http,
                "submission_writes",
                &[("submission_id", &id.to_string())],
            )
            .await?;
        match progress["state"].as_str() {
            Some("Done") => break,
            Some("NeedsAttention") => {
                return Err(wharf.failed(format!("the job needs attention: {progress}")));
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    Ok((started.elapsed(), staged.elapsed()))
}

/// A form with one File upload field saving into `FOLDER` of `data_source` (overwriting, so every
/// round writes the same file).
async fn set_up_form(wharf: &Wharf, admin: &Client, data_source: i64) -> BenchResult<i64> {
    let form_id = wharf
        .call(admin, "create_form", &[("title", "Intake bench")])
        .await?
        .as_i64()
        .ok_or("create_form answered no id")?;
    let field = json!({
        "title": "Invoice", "name": FIELD, "help": "", "required": true,
        "enabled": true, "visible": true,
        "kind": { "FileUpload": { "save_to": { "DataSource": {
            "data_source_id": data_source, "folder": FOLDER, "name": "Original",
            "on_conflict": "Overwrite",
        }}}},
    });
    wharf
        .call_json(
            admin,
            "save_form",
            json!({ "id": form_id, "title": "Intake bench", "draft": { "fields": [field] } }),
        )
        .await?;
    wharf
        .call(admin, "publish_form", &[("id", &form_id.to_string())])
        .await?;
    Ok(form_id)
}

fn mib_per_s(size: u64, d: Duration) -> f64 {
    mib(size) / d.as_secs_f64()
}

async fn measure(sandbox: &RunningSandbox, size: u64, rounds: usize) -> BenchResult<Vec<Row>> {
    let account_id = sandbox.accounts()[0].account_id.clone();
    let (mut wharf, token) = start_against(sandbox, &account_id, "Wharf (intake bench)")?;
    let pid = wharf.pid();
    // The jar is kept: curl's Wharf downloads send its session cookie.
    let jar = Arc::new(Jar::default());
    let http = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(600))
        .build()?;
    wharf.ready(&http).await?;
    let data_source = connect_data_source(&wharf, &http, &account_id, "Intake bench").await?;
    let form_id = set_up_form(&wharf, &http, data_source).await?;
    let chunks = ChunkFiles::write(size)?;
    let rclone = match Rclone::start(&sandbox.base_url(), &token).await? {
        Some(rclone) => Some((SourceFile::write(size)?, rclone)),
        None => None,
    };
    println!(
        "transfer-bench: {} MiB, {rounds} round(s), chunks of {} MiB; sandbox in this process at {}, \
         Wharf pid {pid} at {} (SQLite)",
        mib(size),
        CHUNK >> 20,
        sandbox.base_url(),
        wharf.address
    );

    let before = Memory::of(pid)?;
    let peak_reset = reset_peak(pid);
    let (mut wharf_times, mut job_times, mut curl_times) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rclone_times, mut client_times) = (Vec::new(), Vec::new());
    let client = direct_client(&sandbox.base_url(), &token)?;
    let mut cpu = 0.0;
    let mut wharf_cpu = Vec::new();
    let mut settled = true;
    for round in 0..rounds {
        let wharf_first = round % 2 == 0;
        for which in [wharf_first, !wharf_first] {
            settled &= settle_page_cache();
            if which {
                let (cpu_before, own_before) = (cpu_secs(pid), cpu_secs(std::process::id()));
                let (whole, job) = through_wharf(&wharf, &http, form_id, size).await?;
                cpu = cpu_secs(pid) - cpu_before;
                // The sandbox and the uploading client run in this process.
                let own = cpu_secs(std::process::id()) - own_before;
                println!(
                    "  round {}: Wharf {:.2} s ({:.0} MiB/s; upload to Wharf {:.2} s, job {:.2} s; \
                     CPU: server {cpu:.2} s, sandbox + client {own:.2} s = {:.2} cores busy)",
                    round + 1,
                    whole.as_secs_f64(),
                    mib_per_s(size, whole),
                    (whole - job).as_secs_f64(),
                    job.as_secs_f64(),
                    (cpu + own) / whole.as_secs_f64()
                );
                wharf_cpu.push(cpu + own);
                wharf_times.push(whole);
                job_times.push(job);
            } else {
                let own_before = cpu_secs(std::process::id());
                let t = curl_upload(&sandbox.base_url(), &token, size, &chunks).await?;
                let own = cpu_secs(std::process::id()) - own_before;
                println!(
                    "  round {}: curl {:.2} s ({:.0} MiB/s; CPU: sandbox {own:.2} s, curl not counted)",
                    round + 1,
                    t.as_secs_f64(),
                    mib_per_s(size, t)
                );
                curl_times.push(t);
            }
        }
        settled &= settle_page_cache();
        let started = Instant::now();
        let meta = client
            .upload(
                CLIENT_UPLOADED,
                WriteMode::Overwrite,
                Box::pin(content(size)),
            )
            .await?;
        let t = started.elapsed();
        if meta.size != size {
            return Err(format!("the client uploaded {} bytes of {size}", meta.size).into());
        }
        println!(
            "  round {}: Wharf's client {:.2} s ({:.0} MiB/s)",
            round + 1,
            t.as_secs_f64(),
            mib_per_s(size, t)
        );
        client_times.push(t);
        if let Some((source, rclone)) = &rclone {
            settled &= settle_page_cache();
            let t = rclone.copyto(&source.path, RCLONE_COPY)?;
            println!(
                "  round {}: rclone copyto {:.2} s ({:.0} MiB/s)",
                round + 1,
                t.as_secs_f64(),
                mib_per_s(size, t)
            );
            rclone_times.push(t);
        }
    }
    let after = Memory::of(pid)?;
    let spread = |v: &[Duration]| {
        let (lo, hi) = (v.iter().min(), v.iter().max());
        format!(
            "{:.2}–{:.2} s",
            lo.map_or(0.0, Duration::as_secs_f64),
            hi.map_or(0.0, Duration::as_secs_f64)
        )
    };
    println!(
        "spread: Wharf {}, curl {}{}",
        spread(&wharf_times),
        spread(&curl_times),
        if settled {
            "; page cache emptied before every transfer"
        } else {
            "; page cache NOT emptied between transfers (needs root): rounds are less comparable"
        }
    );
    // Medians, not the best round: what a person can expect, as issue 17 asks.
    let (med_wharf, med_job, med_curl, med_client) = (
        median(wharf_times.clone()),
        median(job_times),
        median(curl_times.clone()),
        median(client_times.clone()),
    );
    let ratio = med_curl.as_secs_f64() / med_wharf.as_secs_f64();
    // Wharf's path cannot take less than its CPU time spread over every core: that bounds the ratio.
    wharf_cpu.sort_by(f64::total_cmp);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if let Some(&least) = wharf_cpu.first() {
        println!(
            "bound: Wharf's path needs ≥ {least:.2} CPU s (server, sandbox, client); on {cores} cores \
             at best {:.2} s = {:.2}× curl's median; {MIN_RATIO}× would need ≥ {:.1} such cores",
            least / cores,
            med_curl.as_secs_f64() / (least / cores),
            least / (med_curl.as_secs_f64() / MIN_RATIO)
        );
    }
    let growth = mib(after.peak.max(after.rss).saturating_sub(before.rss));
    println!(
        "median: Wharf {:.0} MiB/s ({:.2} s, of which the job {:.2} s), curl {:.0} MiB/s ({:.2} s): \
         {ratio:.2}× (goal ≥ {MIN_RATIO}×)",
        mib_per_s(size, med_wharf),
        med_wharf.as_secs_f64(),
        med_job.as_secs_f64(),
        mib_per_s(size, med_curl),
        med_curl.as_secs_f64()
    );
    println!(
        "server RSS {:.1} MiB before, {:.1} MiB after, peak growth {growth:.1} MiB{} (goal ≤ \
         {MAX_RSS_GROWTH_MIB} MiB); last Wharf round's server CPU {cpu:.2} s",
        mib(before.rss),
        mib(after.rss),
        if peak_reset {
            ""
        } else {
            " (peak not resettable: since start)"
        }
    );
    let bound = wharf_cpu
        .first()
        .map(|least| med_curl.as_secs_f64() / (least / cores))
        .unwrap_or(f64::NAN);
    let mut rows = vec![
        Row::new(
            "1 GiB upload through Wharf",
            "browser upload → staging → upload session → Dropbox",
            format!(
                "{:.2} s ({:.0} MiB/s; {})",
                med_wharf.as_secs_f64(),
                mib_per_s(size, med_wharf),
                spread(&wharf_times)
            ),
            format!(
                "curl through upload sessions {:.2} s ({:.0} MiB/s; {})",
                med_curl.as_secs_f64(),
                mib_per_s(size, med_curl),
                spread(&curl_times)
            ),
            format!("{ratio:.2}× curl"),
            "≥ 0.75× curl",
            Outcome::of(ratio >= MIN_RATIO),
            format!(
                "{} MiB, {rounds} rounds, medians; the bound of {cores} cores: Wharf's path needs \
                 {:.2} CPU-s (server, sandbox, client), so at best {bound:.2}× curl here",
                mib(size),
                wharf_cpu.first().copied().unwrap_or(f64::NAN)
            ),
        ),
        Row::new(
            "1 GiB upload by Wharf's client",
            "what a job sends from Wharf's staging: concurrent upload session, content_hash checked",
            format!(
                "{:.2} s ({:.0} MiB/s; {})",
                med_client.as_secs_f64(),
                mib_per_s(size, med_client),
                spread(&client_times)
            ),
            "curl through upload sessions (above)".to_owned(),
            format!(
                "{:.2}× curl",
                med_curl.as_secs_f64() / med_client.as_secs_f64()
            ),
            "-",
            Outcome::NoGoal,
            "bytes generated in memory: the client's path alone, without the browser's upload"
                .to_owned(),
        ),
        Row::new(
            "Memory of a 1 GiB upload",
            "server peak RSS growth",
            format!("{growth:.1} MiB"),
            String::new(),
            String::new(),
            "≤ 64 MiB",
            Outcome::of(growth <= MAX_RSS_GROWTH_MIB),
            format!(
                "RSS {:.1} MiB before, {:.1} MiB after",
                mib(before.rss),
                mib(after.rss)
            ),
        ),
    ];
    if let Some((_, rclone)) = &rclone {
        let med_rclone = median(rclone_times.clone());
        rows.push(Row::new(
            "1 GiB upload through Wharf",
            "against rclone copy",
            format!("{:.2} s ({:.0} MiB/s)", med_wharf.as_secs_f64(), mib_per_s(size, med_wharf)),
            format!(
                "rclone copyto {:.2} s ({:.0} MiB/s; {})",
                med_rclone.as_secs_f64(),
                mib_per_s(size, med_rclone),
                spread(&rclone_times)
            ),
            format!("{:.2}× rclone", med_rclone.as_secs_f64() / med_wharf.as_secs_f64()),
            "faster than rclone",
            Outcome::of(med_wharf < med_rclone),
            format!(
                "{}, its defaults (upload sessions of 48 MiB chunks, the content hash checked) from \
                 a file in memory (tmpfs), through an HTTPS proxy in the bench (TLS as against \
                 Dropbox; Wharf's calls to the sandbox are plain HTTP); {rounds} rounds, medians",
                rclone.version
            ),
        ));
    }
    let downloads = Downloads {
        wharf_url: format!(
            "{}{}",
            wharf.address,
            app::urls::file_download(data_source as i32, UPLOADED)
        ),
        cookie: session_cookie(&jar, &wharf.address)?,
        base_url: sandbox.base_url(),
        token: token.clone(),
        client: direct_client(&sandbox.base_url(), &token)?,
        size,
    };
    rows.extend(downloads.measure(pid, rounds).await?);
    drop(wharf);
    Ok(rows)
}

// ---- Downloads (issue 17) ----------------------------------------------------------------------

/// What hashes curl's output in the peers of the client's verified download.
#[derive(Clone, Copy)]
enum Hasher {
    Sha256sum,
    Openssl,
}

impl Hasher {
    fn command(self) -> &'static str {
        match self {
            Hasher::Sha256sum => "sha256sum",
            Hasher::Openssl => "openssl dgst -sha256",
        }
    }
}

/// The signed-in session's `Cookie` header for requests to `address`.
fn session_cookie(jar: &Jar, address: &str) -> BenchResult<String> {
    let cookie = jar
        .cookies(&address.parse()?)
        .ok_or("no session cookie after signing in")?;
    Ok(cookie.to_str()?.to_owned())
}

/// Wharf's Dropbox client in this process, with the direct calls' token.
fn direct_client(base_url: &str, token: &str) -> BenchResult<DropboxClient> {
    let mut config = DropboxConfig::new(DropboxEndpoints::all_at(base_url)?);
    config.upload_chunk_size = CHUNK;
    let store = Arc::new(MemoryTokenStore::new(TokenSet {
        access_token: Secret::new(token),
        refresh_token: None,
        expires_at: None,
        account_id: None,
        scope: None,
    }));
    Ok(DropboxHub::new(config)?.client("bench", store, Space::MyFiles))
}

/// The four ways the uploaded file is read to its end.
struct Downloads {
    wharf_url: String,
    cookie: String,
    base_url: String,
    token: String,
    client: DropboxClient,
    size: u64,
}

impl Downloads {
    /// curl's arguments for the sandbox's `/2/files/download` of the file.
    fn direct(&self) -> Vec<String> {
        [
            "-sS",
            "--fail",
            "-X",
            "POST",
            &format!("{}/2/files/download", self.base_url),
            "-H",
            &format!("Authorization: Bearer {}", self.token),
            "-H",
            &format!(r#"Dropbox-API-Arg: {{"path":"{UPLOADED}"}}"#),
        ]
        .map(String::from)
        .to_vec()
    }

    /// curl's arguments for Wharf's download route, as the signed-in administrator.
    fn through_wharf(&self) -> Vec<String> {
        [
            "-sS",
            "--fail",
            &self.wharf_url,
            "-H",
            &format!("Cookie: {}", self.cookie),
        ]
        .map(String::from)
        .to_vec()
    }

    /// curl reading to `/dev/null`; checks it read the whole file.
    async fn to_null(&self, mut args: Vec<String>) -> BenchResult<Duration> {
        args.extend(["-o", "/dev/null", "-w", "%{size_download}"].map(String::from));
        let started = Instant::now();
        let read = tokio::task::spawn_blocking(move || run_curl(args)).await??;
        let elapsed = started.elapsed();
        if read.trim() != self.size.to_string() {
            return Err(format!("curl read {read} bytes of {}", self.size).into());
        }
        Ok(elapsed)
    }

    /// `curl … | HASHER`: fetching and hashing, the work the client does. Answers the digest too.
    async fn hashed_by(&self, hasher: Hasher) -> BenchResult<(Duration, String)> {
        let script = format!("set -o pipefail; {CURL} \"$@\" | {}", hasher.command());
        let args = self.direct();
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .arg("-c")
                .arg(script)
                .arg("curl")
                .args(args)
                .output()
        })
        .await??;
        let elapsed = started.elapsed();
        let digest = String::from_utf8_lossy(&out.stdout);
        // sha256sum prints "<digest>  -", openssl "SHA2-256(stdin)= <digest>".
        let digest = digest
            .split_whitespace()
            .find(|w| w.len() == 64)
            .unwrap_or_default();
        if !out.status.success() || digest.is_empty() {
            return Err(format!(
                "curl | {} failed ({}): {}",
                hasher.command(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok((elapsed, digest.to_owned()))
    }

    /// Wharf's client, which checks the file against its `content_hash` as it reads.
    async fn by_client(&self) -> BenchResult<Duration> {
        let started = Instant::now();
        let mut download = self.client.download(UPLOADED, None).await?;
        let mut read = 0u64;
        while let Some(chunk) = download.stream.next().await {
            read += chunk?.len() as u64;
        }
        let elapsed = started.elapsed();
        if read != self.size {
            return Err(format!("the client read {read} bytes of {}", self.size).into());
        }
        Ok(elapsed)
    }

    async fn measure(&self, pid: u32, rounds: usize) -> BenchResult<Vec<Row>> {
        println!();
        println!(
            "downloads of {UPLOADED} ({} MiB), {rounds} round(s), from the page cache",
            mib(self.size)
        );
        // Reads the file into the page cache: every round then measures the transfer, not the disk.
        self.to_null(self.direct()).await?;
        let before = Memory::of(pid)?;
        let peak_reset = reset_peak(pid);
        let (mut wharf, mut curl, mut client) = (Vec::new(), Vec::new(), Vec::new());
        let (mut sha256sum, mut openssl) = (Vec::new(), Vec::new());
        // CPU seconds of each download through Wharf: the server, the sandbox (this process) and curl.
        let mut wharf_cpu = Vec::new();
        let mut digests = std::collections::BTreeSet::new();
        let me = std::process::id();
        for round in 0..rounds {
            let wharf_first = round % 2 == 0;
            for which in [wharf_first, !wharf_first] {
                if which {
                    let cpu_before = cpu_secs(pid) + cpu_secs_with_children(me);
                    wharf.push(self.to_null(self.through_wharf()).await?);
                    wharf_cpu.push(cpu_secs(pid) + cpu_secs_with_children(me) - cpu_before);
                    client.push(self.by_client().await?);
                } else {
                    curl.push(self.to_null(self.direct()).await?);
                    for (hasher, times) in [
                        (Hasher::Sha256sum, &mut sha256sum),
                        (Hasher::Openssl, &mut openssl),
                    ] {
                        let (t, digest) = self.hashed_by(hasher).await?;
                        times.push(t);
                        digests.insert(digest);
                    }
                }
            }
            println!(
                "  round {}: GET …/download {:.2} s ({:.2} CPU-s), curl {:.2} s; client with \
                 content_hash {:.2} s, curl | sha256sum {:.2} s, curl | openssl sha256 {:.2} s",
                round + 1,
                wharf[round].as_secs_f64(),
                wharf_cpu[round],
                curl[round].as_secs_f64(),
                client[round].as_secs_f64(),
                sha256sum[round].as_secs_f64(),
                openssl[round].as_secs_f64()
            );
        }
        if digests.len() != 1 {
            return Err(format!("the hashing peers saw different files: {digests:?}").into());
        }
        let after = Memory::of(pid)?;
        let growth = mib(after.peak.max(after.rss).saturating_sub(before.rss));
        let figure = |v: &[Duration]| {
            let med = median(v.to_vec());
            let (lo, hi) = (v.iter().min(), v.iter().max());
            format!(
                "{:.2} s ({:.0} MiB/s; {:.2}–{:.2} s)",
                med.as_secs_f64(),
                mib_per_s(self.size, med),
                lo.map_or(0.0, Duration::as_secs_f64),
                hi.map_or(0.0, Duration::as_secs_f64)
            )
        };
        // Throughput ratios: the peer's time over Wharf's.
        let ratio = |wharf: &[Duration], peer: &[Duration]| {
            median(peer.to_vec()).as_secs_f64() / median(wharf.to_vec()).as_secs_f64()
        };
        // The client is judged against the faster hashing peer: Debian's sha256sum does not use the
        // CPU's SHA extensions, openssl does (as the client's sha2 does).
        let route_ratio = ratio(&wharf, &curl);
        let (sha256sum_ratio, openssl_ratio) =
            (ratio(&client, &sha256sum), ratio(&client, &openssl));
        let client_ratio = sha256sum_ratio.min(openssl_ratio);
        wharf_cpu.sort_by(f64::total_cmp);
        let least_cpu = wharf_cpu.first().copied().unwrap_or(f64::NAN);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let route_bound = median(curl.clone()).as_secs_f64() / (least_cpu / cores);
        let cores_needed = least_cpu / (median(curl.clone()).as_secs_f64() / MIN_DOWNLOAD_RATIO);
        println!(
            "median: GET …/download {} vs curl {}: {route_ratio:.2}× (goal ≥ {MIN_DOWNLOAD_RATIO}×)",
            figure(&wharf),
            figure(&curl)
        );
        println!(
            "bound: a download through Wharf takes ≥ {least_cpu:.2} CPU-s (server, sandbox, curl); on \
             {cores} cores at best {route_bound:.2}× curl's median; {MIN_DOWNLOAD_RATIO}× would need \
             ≥ {cores_needed:.1} such cores"
        );
        println!(
            "median: client {} vs curl | sha256sum {} ({sha256sum_ratio:.2}×) and curl | openssl \
             sha256 {} ({openssl_ratio:.2}×) (goal ≥ {MIN_CLIENT_DOWNLOAD_RATIO}× the faster)",
            figure(&client),
            figure(&sha256sum),
            figure(&openssl)
        );
        println!(
            "server RSS {:.1} MiB before the downloads, {:.1} MiB after, peak growth {growth:.1} MiB{} \
             (goal ≤ {MAX_DOWNLOAD_RSS_GROWTH_MIB} MiB)",
            mib(before.rss),
            mib(after.rss),
            if peak_reset {
                ""
            } else {
                " (peak not resettable: since start)"
            }
        );
        let note = format!(
            "{} MiB from the sandbox's page cache, {rounds} rounds, medians",
            mib(self.size)
        );
        Ok(vec![
            Row::new(
                "1 GiB download through Wharf",
                "GET …/download (what a browser does), read by curl",
                figure(&wharf),
                format!("curl straight from the sandbox {}", figure(&curl)),
                format!("{route_ratio:.2}× curl"),
                "≥ 0.85× curl",
                Outcome::of(route_ratio >= MIN_DOWNLOAD_RATIO),
                format!(
                    "{note}; Wharf checks the content hash as it streams; the bound of {cores} \
                     cores: the path needs {least_cpu:.2} CPU-s (server, sandbox, curl), so at best \
                     {route_bound:.2}× curl here; 0.85× needs ≥ {cores_needed:.1} cores"
                ),
            ),
            Row::new(
                "1 GiB download through Wharf",
                "Wharf's Dropbox client verifying content_hash",
                figure(&client),
                format!(
                    "curl | sha256sum {}; curl | openssl sha256 {}",
                    figure(&sha256sum),
                    figure(&openssl)
                ),
                format!("{sha256sum_ratio:.2}× sha256sum, {openssl_ratio:.2}× openssl"),
                "≥ 0.9× curl | sha256sum (judged against the faster peer)",
                Outcome::of(client_ratio >= MIN_CLIENT_DOWNLOAD_RATIO),
                format!(
                    "{note}; the client runs in the bench process, beside the sandbox; Debian's \
                     sha256sum does not use the CPU's SHA extensions, openssl and the client do"
                ),
            ),
            Row::new(
                "Memory of a 1 GiB download",
                "server peak RSS growth",
                format!("{growth:.1} MiB"),
                String::new(),
                String::new(),
                "≤ 32 MiB",
                Outcome::of(growth <= MAX_DOWNLOAD_RSS_GROWTH_MIB),
                format!(
                    "RSS {:.1} MiB before, {:.1} MiB after",
                    mib(before.rss),
                    mib(after.rss)
                ),
            ),
        ])
    }
}

#[tokio::main]
async fn main() {
    let arg = |n: usize, default: u64| match std::env::args().nth(n).map(|a| a.parse::<u64>()) {
        None => default,
        Some(Ok(v)) if v > 0 => v,
        Some(_) => {
            eprintln!("usage: transfer-bench [SIZE_MIB] [ROUNDS]   (default 1024 3)");
            std::process::exit(2);
        }
    };
    let (size, rounds) = (arg(1, 1024) << 20, arg(2, 3) as usize);
    if size <= CHUNK as u64 {
        // curl's side is a session of start, appends and finish: it needs two chunks at least.
        eprintln!(
            "transfer-bench: SIZE_MIB must be more than one chunk ({} MiB)",
            CHUNK >> 20
        );
        std::process::exit(2);
    }
    bench_support::run_against_sandbox("transfer-bench", async |sandbox| {
        measure(sandbox, size, rounds).await
    })
    .await
}
