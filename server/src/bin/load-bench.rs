//! Wharf under load and at rest (issue 17): the signed-in Administration › Data sources page (20
//! rows, server-rendered) against a static file of the same size from the same server and from
//! Debian's nginx (the ceiling), each driven by `wrk` at 64 connections, in alternating rounds of
//! one run; how static assets are served; the server's memory when idle, per connected data source
//! and after the load; and how soon a restarted server answers `/healthz`.
//!
//! ```sh
//! cargo build --release -p server --features bench --bins
//! target/release/load-bench [SECONDS_PER_RUN] [ROUNDS]    # default 10 s, 3 rounds
//! ```
//!
//! Needs `wrk` and `nginx` (Debian packages; `scripts/bench.sh` installs them). Wharf's `server` runs
//! as a child process on SQLite against a sandbox in this process; nginx as a child process with its
//! own configuration (2 workers, as many as cores here). With `WHARF_SITE` set to a built site
//! (`target/site`) its `pkg/` is served too, for the static-assets checks. Prints a table, writes
//! result rows to `$WHARF_BENCH_OUT` (JSON lines) when set, and exits 1 when a goal is missed.

mod bench_support;

use bench_support::{
    BenchResult, Outcome, Row, add_connected_data_source, mib, proc_status, sign_in_admin,
    start_against_serving,
};
use dropbox_sandbox::RunningSandbox;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Client, StatusCode, Url, redirect};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: u32 = 64;
/// Rows on the measured page.
const DATA_SOURCES: usize = 20;
/// Data sources authorized and tested one by one, for memory per connected data source.
const CONNECTED: usize = 3;
/// The static file of the page's size, named like a built file (after its content, as cargo-leptos
/// names them), so Wharf serves it as it serves its wasm, JavaScript and CSS.
const STATIC_FILE: &str = "page.LoadBenchStaticPage012.html";

/// One `wrk` run.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Non-2xx/3xx answers and socket errors.
    failures: u64,
}

/// Runs `wrk` against `url` for `secs` seconds at [`CONNECTIONS`] connections.
fn wrk(url: &str, cookie: Option<&str>, secs: u64) -> BenchResult<Load> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{secs}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    let out = command
        .arg(url)
        .output()
        .map_err(|e| format!("wrk: {e} (Debian: apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}").into())
}

/// `wrk --latency`'s report: requests/s, the 50th and 99th latency percentiles, failures.
fn parse_wrk(text: &str) -> Option<Load> {
    let mut load = Load::default();
    let mut rps = None;
    let (mut p50, mut p99) = (None, None);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => rps = v.parse().ok(),
            ["50%", v] => p50 = latency_ms(v),
            ["99%", v] => p99 = latency_ms(v),
            ["Non-2xx", "or", "3xx", "responses:", n] => load.failures += n.parse().unwrap_or(1),
            ["Socket", "errors:", rest @ ..] => {
                // connect 0, read 0, write 0, timeout 0
                load.failures += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    load.requests_per_sec = rps?;
    load.p50_ms = p50?;
    load.p99_ms = p99?;
    Some(load)
}

/// `635.91us`, `1.09ms`, `2.00s`, `1.00m` in milliseconds.
fn latency_ms(v: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// nginx serving `root` on `port` as a child process; killed when dropped.
struct Nginx {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(root: &Path, port: u16) -> BenchResult<Self> {
        let dir = tempfile::Builder::new().prefix("nginx-bench-").tempdir()?;
        let d = dir.path().display();
        // As many workers as cores, the file from the page cache with sendfile; nothing logged.
        let conf = format!(
            "daemon off;\nworker_processes auto;\nuser root;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
               client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               default_type application/octet-stream;\n\
               server {{ listen 127.0.0.1:{port}; root {}; }}\n}}\n",
            root.display()
        );
        std::fs::write(dir.path().join("nginx.conf"), conf)?;
        let child = Command::new(nginx_binary())
            .args(["-p", &d.to_string(), "-c"])
            .arg(dir.path().join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("nginx: {e} (Debian: apt-get install nginx-light)"))?;
        Ok(Self { child, _dir: dir })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: nginx stops its workers too (a SIGKILL would leave them running).
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

fn free_port() -> BenchResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Resident memory of `pid` after a moment of rest (what an idle server holds, not a transient).
async fn settled_rss(pid: u32) -> BenchResult<u64> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    proc_status(pid, "VmRSS:")
}

/// Waits until `url` answers 200; answers how long that took.
async fn answering(http: &Client, url: &str, started: Instant) -> BenchResult<Duration> {
    loop {
        if let Ok(r) = http.get(url).send().await
            && r.status() == StatusCode::OK
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("{url} did not answer within 60 s").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A copy of `site`'s `pkg/` (when given) plus [`STATIC_FILE`] of `page_bytes`, for Wharf and nginx
/// to serve alike.
fn static_site(site: Option<&Path>, page_bytes: usize) -> BenchResult<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("wharf-site-").tempdir()?;
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg)?;
    if let Some(site) = site {
        for entry in std::fs::read_dir(site.join("pkg"))? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Only what the build wrote: copies a release server made earlier are made again.
            if entry.file_type()?.is_file() && !name.ends_with(".br") && !name.ends_with(".gz") {
                std::fs::copy(entry.path(), pkg.join(&*name))?;
            }
        }
    }
    let page: Vec<u8> = (0..page_bytes).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(pkg.join(STATIC_FILE), page)?;
    Ok(dir)
}

/// Waits until the release server has written its precompressed copies of the built files (it
/// does so in the background at start-up; measuring meanwhile would measure brotli too).
async fn precompressed(site: &Path) -> BenchResult<bool> {
    if cfg!(debug_assertions) {
        // A debug server (a smoke run) compresses nothing.
        return Ok(false);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let built = built_files(site)?;
        let wanted = built.len();
        let have = built
            .iter()
            .filter(|name| site.join("pkg").join(format!("{name}.br")).exists())
            .count();
        if have == wanted {
            return Ok(wanted > 0);
        }
        if Instant::now() > deadline {
            return Err("the server did not precompress its static files within 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How a built file is served: `(brotli when asked, gzip when asked, Cache-Control, its name)`.
async fn static_headers(http: &Client, base: &str, site: &Path) -> BenchResult<Vec<String>> {
    let mut facts = Vec::new();
    for name in built_files(site)? {
        let url = format!("{base}/pkg/{name}");
        let mut encodings = Vec::new();
        let mut cache = String::new();
        for asked in ["br", "gzip"] {
            let r = http
                .get(&url)
                .header("Accept-Encoding", asked)
                .send()
                .await?;
            let header = |h: &str| {
                r.headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            encodings.push(format!("{asked}→{}", header("content-encoding")));
            cache = header("cache-control");
        }
        facts.push(format!(
            "{name}: {}, Cache-Control: {}",
            encodings.join(" "),
            if cache.is_empty() { "none" } else { &cache }
        ));
    }
    Ok(facts)
}

/// The names of the built wasm, JavaScript and CSS files in `site`'s `pkg/`, sorted.
fn built_files(site: &Path) -> BenchResult<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(site.join("pkg"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if [".wasm", ".js", ".css"].iter().any(|e| name.ends_with(e)) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Each built file: (name, bytes, bytes of its brotli copy).
fn built_sizes(site: &Path) -> BenchResult<Vec<(String, u64, u64)>> {
    let pkg = site.join("pkg");
    built_files(site)?
        .into_iter()
        .map(|name| {
            let raw = std::fs::metadata(pkg.join(&name))?.len();
            let br = std::fs::metadata(pkg.join(format!("{name}.br")))?.len();
            Ok((name, raw, br))
        })
        .collect()
}

/// How the built files are served, one `name: how` each; said once for all when they are all served
/// alike (with the split wasm there are dozens of chunks).
fn summarized(facts: &[String]) -> String {
    let hows: std::collections::BTreeSet<&str> = facts
        .iter()
        .filter_map(|f| f.split_once(": ").map(|(_, how)| how))
        .collect();
    match hows.into_iter().collect::<Vec<_>>()[..] {
        [how] => format!("all {} built files: {how}", facts.len()),
        _ => facts.join("; "),
    }
}

/// The sizes of the app's own files and of each group's chunk, the shared chunks summed.
fn file_sizes(sizes: &[(String, u64, u64)]) -> String {
    let (shared, named): (Vec<_>, Vec<_>) = sizes
        .iter()
        .partition(|(name, _, _)| name.starts_with("chunk_"));
    let mut said: Vec<String> = named
        .iter()
        .map(|(name, raw, br)| format!("{name} {raw} B → {br} B"))
        .collect();
    if !shared.is_empty() {
        let raw: u64 = shared.iter().map(|(_, raw, _)| raw).sum();
        let br: u64 = shared.iter().map(|(_, _, br)| br).sum();
        said.push(format!(
            "{} chunks shared by groups {raw} B → {br} B",
            shared.len()
        ));
    }
    said.join(", ")
}

/// The brotli bytes a cold visit to the form fill page fetches from `/pkg`, and how many wasm chunks
/// are the page's own: the app's JavaScript and wasm (`wharf.*`), the stylesheet, the split loader
/// (`__wasm_split.*.js`) and the chunks listed for the fill page's group (`app::routes::lazy`) in the
/// split manifest — the ones the server names as preloads in that page's HTML.
fn first_view_of_fill_page(site: &Path, sizes: &[(String, u64, u64)]) -> BenchResult<(u64, usize)> {
    let pkg = site.join("pkg");
    let manifest = std::fs::read_dir(&pkg)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("__wasm_split_manifest") && name.ends_with(".json"))
        .ok_or("no __wasm_split_manifest*.json in the site: was it built with --split?")?;
    let manifest: HashMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(pkg.join(manifest))?)?;
    let own: Vec<String> = manifest
        .get("fill_page")
        .ok_or("the split manifest lists no chunks for the fill page")?
        .iter()
        .map(|module| format!("{module}.wasm"))
        .collect();
    let shell = |name: &str| name.starts_with("wharf.") || name.starts_with("__wasm_split.");
    let bytes = sizes
        .iter()
        .filter(|(name, _, _)| shell(name) || own.contains(name))
        .map(|(_, _, br)| br)
        .sum();
    Ok((bytes, own.len()))
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `median (min–max)` of the runs' `f`, formatted with `digits`.
fn spread(runs: &[Load], f: fn(&Load) -> f64, digits: usize) -> (f64, String) {
    let values: Vec<f64> = runs.iter().map(f).collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    let m = median_of(values);
    (m, format!("{m:.digits$} ({min:.digits$}–{max:.digits$})"))
}

async fn measure(
    sandbox: &RunningSandbox,
    secs: u64,
    rounds: usize,
    site: Option<PathBuf>,
) -> BenchResult<Vec<Row>> {
    let account_id = sandbox.accounts()[0].account_id.clone();
    // The page's size is known only once it renders: serve a placeholder first, then the real size.
    let served = static_site(site.as_deref(), 1)?;
    let (mut wharf, _token) = start_against_serving(
        sandbox,
        &account_id,
        "Wharf (load bench)",
        Some(served.path().to_owned()),
    )?;
    let jar = Arc::new(Jar::default());
    let admin = Client::builder()
        .cookie_provider(jar.clone())
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    wharf.ready(&admin).await?;
    let pid = wharf.pid();
    let built = precompressed(served.path()).await?;
    let idle = settled_rss(pid).await?;

    // Memory per connected data source: authorized through the OAuth pages, then tested.
    sign_in_admin(&wharf, &admin).await?;
    let signed_in = settled_rss(pid).await?;
    let mut connected = vec![signed_in];
    for n in 1..=CONNECTED {
        let id = add_connected_data_source(&wharf, &admin, &account_id, &format!("Connected {n}"))
            .await?;
        let tested = wharf
            .call(&admin, "test_data_source", &[("id", &id.to_string())])
            .await?;
        if tested.to_string().contains("Failed") {
            return Err(wharf.failed(format!("Test connection failed: {tested}")));
        }
        connected.push(settled_rss(pid).await?);
    }
    for n in CONNECTED + 1..=DATA_SOURCES {
        wharf
            .call(
                &admin,
                "save_data_source",
                &[
                    ("kind", "Dropbox"),
                    (
                        "display_name",
                        &format!("Quarterly reports of the northern region, archive {n:02}"),
                    ),
                    ("root_folder", ""),
                    ("file_pattern", ""),
                    ("search_scope", "AllSubfolders"),
                    ("space", "MyFiles"),
                ],
            )
            .await?;
    }

    let page_url = format!("{}/admin/data-sources", wharf.address);
    let cookie = jar
        .cookies(&Url::parse(&page_url)?)
        .ok_or("no session cookie after signing in")?
        .to_str()?
        .to_owned();
    let page = admin.get(&page_url).send().await?;
    let cache_control = page
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    if page.status() != StatusCode::OK {
        return Err(wharf.failed(format!("{page_url} answered {}", page.status())));
    }
    let body = page.text().await?;
    let last_row = format!("archive {DATA_SOURCES:02}");
    if !body.contains(&last_row) || !body.contains("Connected 1") {
        return Err(wharf.failed("the data sources page does not show its 20 rows"));
    }
    // The static file: the page's size, served by the same server and by nginx.
    std::fs::write(
        served.path().join("pkg").join(STATIC_FILE),
        vec![b'x'; body.len()],
    )?;
    let static_url = format!("{}/pkg/{STATIC_FILE}", wharf.address);
    // The least any signed-in answer costs: every layer, the session and its user read from the
    // database (as for each request), a database ping, two bytes — and no page.
    let floor_url = format!("{}/healthz", wharf.address);
    let nginx_port = free_port()?;
    let _nginx = Nginx::start(served.path(), nginx_port)?;
    let nginx_url = format!("http://127.0.0.1:{nginx_port}/pkg/{STATIC_FILE}");
    answering(&admin, &nginx_url, Instant::now()).await?;
    let sizes = if built {
        Some(built_sizes(served.path())?)
    } else {
        None
    };
    let asset_facts = if built {
        static_headers(&admin, &wharf.address, served.path()).await?
    } else {
        Vec::new()
    };

    println!(
        "load-bench: {DATA_SOURCES}-row data sources page ({} B) vs the same bytes as a static file \
         from Wharf and from nginx; wrk -t2 -c{CONNECTIONS}, {secs} s per run, {rounds} round(s), \
         alternating",
        body.len()
    );
    let before_load = settled_rss(pid).await?;
    // What wrk asks for, each once a round: the page, the static file from Wharf, the static file
    // from nginx and the signed-in floor; the runs and the server's CPU seconds of each.
    let targets = [
        (page_url.as_str(), Some(cookie.as_str())),
        (static_url.as_str(), None),
        (nginx_url.as_str(), None),
        (floor_url.as_str(), Some(cookie.as_str())),
    ];
    let mut runs: [Vec<Load>; 4] = Default::default();
    let mut cpu = [0.0; 4];
    for round in 0..rounds {
        // Rotate who goes first, so a slow start of the machine does not favour one.
        let mut order = [0, 1, 2, 3];
        order.rotate_left(round % 4);
        for which in order {
            let (url, cookie) = targets[which];
            let before = bench_support::cpu_secs(pid);
            runs[which].push(wrk(url, cookie, secs)?);
            cpu[which] += bench_support::cpu_secs(pid) - before;
        }
        let [page, static_file, nginx, floor] = runs.each_ref().map(|r| *r.last().unwrap());
        println!(
            "  round {}: page {:.0}/s p99 {:.1} ms · signed-in floor {:.0}/s · static (Wharf) \
             {:.0}/s p99 {:.1} ms · nginx {:.0}/s p99 {:.1} ms",
            round + 1,
            page.requests_per_sec,
            page.p99_ms,
            floor.requests_per_sec,
            static_file.requests_per_sec,
            static_file.p99_ms,
            nginx.requests_per_sec,
            nginx.p99_ms,
        );
    }
    let [pages, statics, nginxes, floors] = &runs;
    let [page_cpu, static_cpu, _, floor_cpu] = cpu;
    // Seconds Wharf was under load: every run but nginx's.
    let loaded_secs = (pages.len() + statics.len() + floors.len()) as u64 * secs;
    let after_load = settled_rss(pid).await?;
    let failures: u64 = runs.iter().flatten().map(|l| l.failures).sum();
    if failures > 0 {
        return Err(wharf.failed(format!("{failures} requests failed under load")));
    }

    // Start-up on the existing database.
    wharf.restart()?;
    let started = Instant::now();
    let startup = answering(&admin, &format!("{}/healthz", wharf.address), started).await?;
    drop(_nginx);

    let rps = |l: &Load| l.requests_per_sec;
    let p99 = |l: &Load| l.p99_ms;
    let (page_rps, page_rps_s) = spread(pages, rps, 0);
    let (static_rps, static_rps_s) = spread(statics, rps, 0);
    let (nginx_rps, nginx_rps_s) = spread(nginxes, rps, 0);
    let (floor_rps, floor_rps_s) = spread(floors, rps, 0);
    let (page_p99, page_p99_s) = spread(pages, p99, 1);
    let (static_p99, static_p99_s) = spread(statics, p99, 1);
    let (_, nginx_p99_s) = spread(nginxes, p99, 1);
    let (to_static, to_nginx) = (page_rps / static_rps, page_rps / nginx_rps);
    let p99_ratio = page_p99 / static_p99;
    let static_to_nginx = static_rps / nginx_rps;
    let floor_to_static = floor_rps / static_rps;
    // Server CPU milliseconds per answer, from the CPU used while wrk asked for it.
    let cpu_ms = |cpu: f64, rps: f64| 1000.0 * cpu / (rps * (secs * rounds as u64) as f64);

    let mut rows = Vec::new();
    rows.push(Row::new(
        "Data sources page under load",
        "requests/s",
        format!("{page_rps_s} (p99 {page_p99_s} ms)"),
        format!(
            "static file from Wharf {static_rps_s} (p99 {static_p99_s} ms); nginx {nginx_rps_s} \
             (p99 {nginx_p99_s} ms)"
        ),
        format!("{to_static:.2}× static, {to_nginx:.2}× nginx, p99 {p99_ratio:.2}× static"),
        "≥ 0.7× static, ≥ 0.25× nginx, p99 ≤ 1.5× static",
        Outcome::of(to_static >= 0.7 && to_nginx >= 0.25 && p99_ratio <= 1.5),
        format!(
            "{DATA_SOURCES} rows, {} B of HTML (Cache-Control: {cache_control}); wrk -t2 \
             -c{CONNECTIONS}, {secs} s × {rounds} rounds each; the server's CPU per answer: page \
             {:.2} ms, static file {:.3} ms (wrk shares the 2 cores); the signed-in floor (next \
             row) bounds what any page can reach",
            body.len(),
            cpu_ms(page_cpu, page_rps),
            cpu_ms(static_cpu, static_rps)
        ),
    ));
    rows.push(Row::new(
        "Signed-in floor under load",
        "requests/s",
        floor_rps_s,
        format!("static file from Wharf {static_rps_s}; the page {page_rps_s}"),
        format!(
            "{floor_to_static:.2}× static; the page {:.2}× the floor",
            page_rps / floor_rps
        ),
        "-",
        Outcome::NoGoal,
        format!(
            "GET /healthz with the session cookie: every layer, the session and its user (roles, \
             groups) read from the database as for every signed-in request, a database ping, no \
             page; server CPU {:.2} ms an answer. {}",
            cpu_ms(floor_cpu, floor_rps),
            if floor_to_static < 0.7 {
                "No signed-in answer can beat it, so the page's goal of 0.7× static cannot be met \
                 while each request checks its session and user in the shared database (what lets \
                 a sign-out, a disabled user or a changed role take effect at once, on every \
                 instance)"
            } else {
                "It leaves the page room to reach 0.7× static"
            }
        ),
    ));
    rows.push(Row::new(
        "Static files under load",
        "requests/s",
        static_rps_s.clone(),
        format!("nginx {nginx_rps_s}"),
        format!("{static_to_nginx:.2}× nginx"),
        "≥ 0.5× nginx",
        Outcome::of(static_to_nginx >= 0.5),
        format!("a {} B file; both from the page cache", body.len()),
    ));
    if built {
        let all_br = asset_facts
            .iter()
            .all(|f| f.contains("br→br") && f.contains("gzip→gzip"));
        let immutable = asset_facts.iter().all(|f| f.contains("immutable"));
        rows.push(Row::new(
            "Static assets",
            "how they are served",
            summarized(&asset_facts),
            String::new(),
            String::new(),
            "precompressed br + gzip by Accept-Encoding; hashed names with Cache-Control immutable; \
             HTML no-cache",
            Outcome::of(all_br && immutable && cache_control.contains("no-cache")),
            format!("the HTML page: Cache-Control {cache_control}"),
        ));
    }
    if let Some(sizes) = sizes {
        let brotli = |ext: &str| -> u64 {
            sizes
                .iter()
                .filter(|(name, _, _)| name.ends_with(ext))
                .map(|(_, _, br)| br)
                .sum()
        };
        let wasm = brotli(".wasm");
        let (first_view, chunks) = first_view_of_fill_page(served.path(), &sizes)?;
        rows.push(Row::new(
            "What the browser loads",
            "brotli bytes of the built wasm, JavaScript and CSS",
            format!(
                "form fill page, first view {} KB ({chunks} chunks of its own); all wasm {} KB; {}",
                first_view / 1000,
                wasm / 1000,
                file_sizes(&sizes)
            ),
            String::new(),
            String::new(),
            "first view ≤ 250 KB; all wasm ≤ 400 KB",
            Outcome::of(first_view <= 250_000 && wasm <= 400_000),
            "as a release server sends them (its brotli-11 copies); the page's own HTML not counted; \
             split by groups of pages: the fill page's first view is the app's JavaScript, wasm and CSS, the \
             split loader and the chunks the server preloads for that page"
                .to_owned(),
        ));
    }
    let per_source: Vec<String> = connected
        .windows(2)
        .map(|w| format!("{:+.1}", mib(w[1]) - mib(w[0])))
        .collect();
    let added = mib(connected[CONNECTED]) - mib(connected[0]);
    rows.push(Row::new(
        "Memory",
        "server RSS, MiB",
        format!(
            "idle {:.1}; signed in {:.1}; {CONNECTED} data sources connected and tested {:.1} \
             ({} MiB each); before load {:.1}; after {loaded_secs} s of load {:.1}",
            mib(idle),
            mib(signed_in),
            mib(connected[CONNECTED]),
            per_source.join(" / "),
            mib(before_load),
            mib(after_load)
        ),
        String::new(),
        format!(
            "after load {:.2}× before",
            after_load as f64 / before_load as f64
        ),
        "idle ≤ 64 MiB; after load ≤ 1.5× before it; a connected data source keeps ≤ 4 MiB",
        Outcome::of(
            mib(idle) <= 64.0
                && (after_load as f64) <= 1.5 * before_load as f64
                && added / CONNECTED as f64 <= 4.0,
        ),
        "RSS read 2 s after each step (/proc/<pid>/status)".to_owned(),
    ));
    rows.push(Row::new(
        "Start-up",
        "until /healthz answers",
        format!("{:.0} ms", startup.as_secs_f64() * 1000.0),
        String::new(),
        String::new(),
        "≤ 1 s",
        Outcome::of(startup <= Duration::from_secs(1)),
        "release server restarted on its existing SQLite database".to_owned(),
    ));
    Ok(rows)
}

#[tokio::main]
async fn main() {
    let arg = |n: usize, default: u64| match std::env::args().nth(n).map(|a| a.parse::<u64>()) {
        None => default,
        Some(Ok(v)) if v > 0 => v,
        Some(_) => {
            eprintln!("usage: load-bench [SECONDS_PER_RUN] [ROUNDS]   (default 10 3)");
            std::process::exit(2);
        }
    };
    let (secs, rounds) = (arg(1, 10), arg(2, 3) as usize);
    let site = std::env::var_os("WHARF_SITE").map(PathBuf::from);
    bench_support::run_against_sandbox("load-bench", async |sandbox| {
        measure(sandbox, secs, rounds, site).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_served_alike_are_described_once_and_shared_chunks_are_summed() {
        let same = "br→br gzip→gzip, Cache-Control: immutable";
        let facts = [format!("a.wasm: {same}"), format!("chunk_1.wasm: {same}")];
        assert_eq!(summarized(&facts), format!("all 2 built files: {same}"));
        let odd = [
            facts[0].clone(),
            "b.js: br→ gzip→gzip, Cache-Control: no-cache".to_owned(),
        ];
        assert_eq!(summarized(&odd), odd.join("; "));

        let sizes = [
            ("chunk_1.x.wasm".to_owned(), 100, 40),
            ("chunk_2.y.wasm".to_owned(), 50, 20),
            ("wharf.z.wasm".to_owned(), 900, 300),
        ];
        assert_eq!(
            file_sizes(&sizes),
            "wharf.z.wasm 900 B → 300 B, 2 chunks shared by groups 150 B → 60 B"
        );
    }

    #[test]
    fn wrk_reports_are_read_with_their_units() {
        let report = "Running 1s test @ http://127.0.0.1:1/\n  2 threads and 64 connections\n\
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.20ms  300.00us  \
            9.00ms   90.00%\n  Latency Distribution\n     50%  635.91us\n     75%  712.85us\n     \
            90%  768.61us\n     99%    1.09s\n  12345 requests in 1.00s, 1.00MB read\n  Socket \
            errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 4\n\
            Requests/sec:  12345.67\nTransfer/sec:      1.00MB\n";
        let load = parse_wrk(report).unwrap();
        assert_eq!(load.requests_per_sec, 12345.67);
        assert!((load.p50_ms - 0.63591).abs() < 1e-9);
        assert_eq!(load.p99_ms, 1090.0);
        assert_eq!(load.failures, 7);
        assert!(parse_wrk("no report").is_none());
    }
}
