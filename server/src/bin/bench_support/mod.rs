//! What Wharf's benchmarks share: the `server` binary as a child process pointed at a sandbox, server
//! function calls as the browser makes them, a signed-in administrator with a connected data source,
//! and readings of the server's memory and CPU from `/proc`.
#![allow(dead_code)] // each bench binary uses its own part of this

pub mod rclone;

use reqwest::{Client, StatusCode, redirect};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const APP_KEY: &str = "wharf-bench";
pub const APP_SECRET: &str = "wharf-bench-secret";

pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The Wharf server process. Dropping it kills the process, then removes its data directory.
pub struct Wharf {
    child: Child,
    pub address: String,
    pub dir: TempDir,
    port: u16,
    sandbox_url: String,
    site: Option<PathBuf>,
}

impl Drop for Wharf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Wharf {
    /// Starts `server` (next to this binary) on `port`, pointed at the sandbox.
    pub fn start(port: u16, sandbox_url: &str) -> BenchResult<Self> {
        Self::start_serving(port, sandbox_url, None)
    }

    /// Starts `server` as [`Wharf::start`] does, serving the static files of `site` (its `pkg/`).
    pub fn start_serving(port: u16, sandbox_url: &str, site: Option<PathBuf>) -> BenchResult<Self> {
        let dir = tempfile::Builder::new().prefix("wharf-bench-").tempdir()?;
        let child = spawn_server(dir.path(), port, sandbox_url, site.as_deref())?;
        Ok(Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            dir,
            port,
            sandbox_url: sandbox_url.to_owned(),
            site,
        })
    }

    /// Stops the server and starts it again on the same data directory and database.
    pub fn restart(&mut self) -> BenchResult<()> {
        let _ = self.child.kill();
        self.child.wait()?;
        self.child = spawn_server(
            self.dir.path(),
            self.port,
            &self.sandbox_url,
            self.site.as_deref(),
        )?;
        Ok(())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// An error that carries the end of the server's log.
    pub fn failed(&self, what: impl std::fmt::Display) -> Box<dyn std::error::Error> {
        format!(
            "{what}\n--- end of the server's log ---\n{}",
            self.log_tail()
        )
        .into()
    }

    /// Waits until the server answers HTTP.
    pub async fn ready(&mut self, http: &Client) -> BenchResult<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(self.failed(format!("the server exited at start-up ({status})")));
            }
            if http
                .get(format!("{}/sign-in", self.address))
                .send()
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.failed("the server did not answer within 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(
        &self,
        http: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> BenchResult<Value> {
        let response = http
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await?;
        self.answer(endpoint, response).await
    }

    pub async fn call_json(
        &self,
        http: &Client,
        endpoint: &str,
        args: Value,
    ) -> BenchResult<Value> {
        let response = http
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .json(&args)
            .send()
            .await?;
        self.answer(endpoint, response).await
    }

    pub async fn answer(&self, endpoint: &str, response: reqwest::Response) -> BenchResult<Value> {
        let status = response.status();
        let body = response.text().await?;
        if status != StatusCode::OK {
            return Err(self.failed(format!("{endpoint} answered {status}: {body}")));
        }
        Ok(serde_json::from_str(&body)?)
    }
}

/// `server` (next to this binary) started in `dir` on `port`, pointed at the sandbox. Nothing from
/// the caller's environment (DATABASE_URL, WHARF_*, DROPBOX_*…) leaks in but the log filter and
/// jemalloc's options (to compare allocator settings without a rebuild).
fn spawn_server(
    dir: &std::path::Path,
    port: u16,
    sandbox_url: &str,
    site: Option<&std::path::Path>,
) -> BenchResult<Child> {
    let exe = std::env::current_exe()?.with_file_name("server");
    if !exe.exists() {
        return Err(format!(
            "{} not found: build it with `cargo build --release -p server --features bench --bins`",
            exe.display()
        )
        .into());
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))?;
    let mut command = Command::new(&exe);
    command
        .env_clear()
        .current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/wharf.db?mode=rwc", dir.display()),
        )
        .env("WHARF_DATA_DIR", dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_ENV", "PROD")
        .env("DROPBOX_APP_KEY", APP_KEY)
        .env("DROPBOX_APP_SECRET", APP_SECRET)
        .env("WHARF_DROPBOX_BASE_URL", sandbox_url)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    if let Some(site) = site {
        command.env("LEPTOS_SITE_ROOT", site);
    }
    for passed in ["RUST_LOG", "_RJEM_MALLOC_CONF"] {
        if let Ok(value) = std::env::var(passed) {
            command.env(passed, value);
        }
    }
    Ok(command.spawn()?)
}

/// A `/proc/<pid>/status` field such as `VmRSS:`, in bytes.
pub fn proc_status(pid: u32, field: &str) -> BenchResult<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}

/// Resets the process's peak RSS (VmHWM) to its current RSS (`clear_refs` 5), so that the peak read
/// later is the peak of what came after. False when the kernel does not allow it.
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Writes dirty pages out and empties the page cache (when allowed: root), so that every round of a
/// transfer starts from the same memory state. On this VM the kernel's reclaim makes page-cache
/// writes slower the fuller the cache is: without this, later rounds of either side ran up to 2.5×
/// slower than the first. Answers whether it could.
pub fn settle_page_cache() -> bool {
    let synced = std::process::Command::new("sync")
        .status()
        .is_ok_and(|s| s.success());
    synced && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// User + system CPU seconds of a process (`/proc/<pid>/stat`, clock ticks of 1/100 s).
pub fn cpu_secs(pid: u32) -> f64 {
    cpu_ticks(pid).iter().take(2).sum::<f64>() / 100.0
}

/// [`cpu_secs`] plus the CPU of the process's children it has waited for (curl run to its end).
pub fn cpu_secs_with_children(pid: u32) -> f64 {
    cpu_ticks(pid).iter().sum::<f64>() / 100.0
}

/// utime, stime, cutime, cstime of `/proc/<pid>/stat` (fields 14–17 of the line).
fn cpu_ticks(pid: u32) -> [f64; 4] {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let f: Vec<f64> = stat
        .rsplit(") ")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    std::array::from_fn(|i| f.get(11 + i).copied().unwrap_or(0.0))
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    let n = v.len();
    if !n.is_multiple_of(2) {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

pub struct Memory {
    pub rss: u64,
    pub peak: u64,
}

impl Memory {
    pub fn of(pid: u32) -> BenchResult<Self> {
        Ok(Self {
            rss: proc_status(pid, "VmRSS:")?,
            peak: proc_status(pid, "VmHWM:")?,
        })
    }
}

/// Signs in as the initial administrator (changing the printed first password), creates a Dropbox
/// data source named `name` and connects it to the sandbox account `account_id` through the OAuth
/// pages, as a person would. Answers the data source's id.
pub async fn connect_data_source(
    wharf: &Wharf,
    admin: &Client,
    account_id: &str,
    name: &str,
) -> BenchResult<i64> {
    sign_in_admin(wharf, admin).await?;
    add_connected_data_source(wharf, admin, account_id, name).await
}

/// Signs `admin` in as the initial administrator, changing the first password it printed.
pub async fn sign_in_admin(wharf: &Wharf, admin: &Client) -> BenchResult<()> {
    let initial_file: PathBuf = wharf
        .dir
        .path()
        .join(domain::identity::INITIAL_PASSWORD_FILE);
    let initial = std::fs::read_to_string(&initial_file)
        .map_err(|e| wharf.failed(format!("{}: {e}", initial_file.display())))?;
    let initial = initial.trim();
    wharf
        .call(
            admin,
            "sign_in",
            &[("username", "admin"), ("password", initial), ("next", "/")],
        )
        .await?;
    let password = "picker bench password";
    wharf
        .call(
            admin,
            "change_password",
            &[
                ("current_password", initial),
                ("new_password", password),
                ("confirm_password", password),
            ],
        )
        .await?;
    Ok(())
}

/// Creates a Dropbox data source named `name` as the signed-in `admin` and connects it to the
/// sandbox account `account_id` through the OAuth pages, as a person would; answers its id.
pub async fn add_connected_data_source(
    wharf: &Wharf,
    admin: &Client,
    account_id: &str,
    name: &str,
) -> BenchResult<i64> {
    let data_source = wharf
        .call(
            admin,
            "save_data_source",
            &[
                ("kind", "Dropbox"),
                ("display_name", name),
                ("root_folder", ""),
                ("file_pattern", ""),
                ("search_scope", "AllSubfolders"),
                ("space", "MyFiles"),
            ],
        )
        .await?
        .as_i64()
        .ok_or("save_data_source answered no id")?;
    let authorize_url = wharf
        .call(
            admin,
            "authorize_data_source",
            &[("id", &data_source.to_string())],
        )
        .await?;
    let url = reqwest::Url::parse(authorize_url.as_str().ok_or("no authorize URL")?)?;
    // The person's browser at the sandbox's authorize page: open it, press Allow.
    let browser = Client::builder()
        .redirect(redirect::Policy::none())
        .build()?;
    browser.get(url.clone()).send().await?.error_for_status()?;
    let mut answer: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    answer.push(("account_id".into(), account_id.into()));
    answer.push(("decision".into(), "allow".into()));
    let allowed = browser
        .post(format!(
            "{}/oauth2/authorize",
            url.origin().ascii_serialization()
        ))
        .form(&answer)
        .send()
        .await?;
    let callback = allowed
        .headers()
        .get("location")
        .ok_or("the sandbox did not redirect to the callback")?
        .to_str()?
        .to_owned();
    let connected = admin.get(&callback).send().await?;
    let location = connected
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    if connected.status() != StatusCode::SEE_OTHER || !location.ends_with("authorization=connected")
    {
        return Err(wharf.failed(format!(
            "the OAuth callback answered {} (to {location:?})",
            connected.status()
        )));
    }

    Ok(data_source)
}

/// Registers Wharf's app in the sandbox (with the redirect URI of a free port), issues a token for
/// `account_id` for the direct calls, and starts Wharf's server on that port. Answers the server
/// and the token.
pub fn start_against(
    sandbox: &dropbox_sandbox::RunningSandbox,
    account_id: &str,
    app_name: &str,
) -> BenchResult<(Wharf, String)> {
    start_against_serving(sandbox, account_id, app_name, None)
}

/// [`start_against`], the server serving the static files of `site`.
pub fn start_against_serving(
    sandbox: &dropbox_sandbox::RunningSandbox,
    account_id: &str,
    app_name: &str,
    site: Option<PathBuf>,
) -> BenchResult<(Wharf, String)> {
    use dropbox_sandbox::{AppSpec, TokenSpec};
    // A free port for Wharf, known before it starts: the app's redirect URI names it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    sandbox.create_app(
        AppSpec::new(APP_KEY, APP_SECRET)
            .name(app_name)
            .redirect_uri(format!("http://127.0.0.1:{port}/oauth/dropbox/callback")),
    );
    let token = sandbox
        .issue_token(TokenSpec {
            app_key: APP_KEY.into(),
            ..TokenSpec::new(account_id)
        })?
        .access_token;
    Ok((
        Wharf::start_serving(port, &sandbox.base_url(), site)?,
        token,
    ))
}

/// What every bench's `main` does: a sandbox with one account in this process, `measure` against it
/// (Ctrl-C stops it, dropping the server process, which kills it and removes its directory), the
/// sandbox shut down, the rows reported. Exits 0, 1 (a goal missed) or 3 (the bench broke).
pub async fn run_against_sandbox(
    name: &str,
    measure: impl AsyncFnOnce(&dropbox_sandbox::RunningSandbox) -> BenchResult<Vec<Row>>,
) -> ! {
    use dropbox_sandbox::{AccountSpec, SandboxConfig};
    let outcome = async {
        let sandbox = dropbox_sandbox::spawn(SandboxConfig {
            control_api: false,
            ..SandboxConfig::for_tests()
                .with_account(AccountSpec::new("bench@wharf.example").named("Bench", "Account"))
        })
        .await?;
        let outcome = tokio::select! {
            outcome = measure(&sandbox) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
        };
        sandbox.shutdown().await;
        outcome
    }
    .await;
    match outcome {
        Ok(rows) => std::process::exit(report(&rows)),
        Err(e) => {
            eprintln!("{name} failed: {e}");
            std::process::exit(3);
        }
    }
}

/// Whether a benchmark met its goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Missed,
    /// Measured, with no goal of its own.
    NoGoal,
}

impl Outcome {
    pub fn of(met: bool) -> Self {
        if met { Outcome::Met } else { Outcome::Missed }
    }

    fn key(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Missed => "missed",
            Outcome::NoGoal => "-",
        }
    }
}

/// One line of `docs/benchmarks.md`: Wharf's figure and its peers' from the same run, the ratio,
/// the goal and whether it was met.
#[derive(Clone, Debug)]
pub struct Row {
    pub benchmark: String,
    pub measure: String,
    pub wharf: String,
    pub peers: String,
    pub ratio: String,
    pub goal: String,
    pub outcome: Outcome,
    pub note: String,
}

impl Row {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        benchmark: &str,
        measure: &str,
        wharf: String,
        peers: String,
        ratio: String,
        goal: &str,
        outcome: Outcome,
        note: String,
    ) -> Self {
        Self {
            benchmark: benchmark.to_owned(),
            measure: measure.to_owned(),
            wharf,
            peers,
            ratio,
            goal: goal.to_owned(),
            outcome,
            note,
        }
    }

    fn json(&self) -> Value {
        serde_json::json!({
            "benchmark": self.benchmark, "measure": self.measure, "wharf": self.wharf,
            "peers": self.peers, "ratio": self.ratio, "goal": self.goal,
            "outcome": self.outcome.key(), "note": self.note,
        })
    }
}

/// Prints `rows`, appends them to `$WHARF_BENCH_OUT` (JSON lines, for `scripts/bench.sh`'s report)
/// when set, and answers the exit code: 1 when a goal was missed — except in a smoke run
/// (`WHARF_BENCH_SMOKE=1`: tiny sizes in the test suite, so the benches cannot rot; no goals judged).
pub fn report(rows: &[Row]) -> i32 {
    println!();
    for r in rows {
        println!("{} — {}: {}", r.benchmark, r.measure, r.wharf);
        for (label, text) in [("peers", &r.peers), ("ratio", &r.ratio), ("note", &r.note)] {
            if !text.is_empty() {
                println!("    {label}: {text}");
            }
        }
        if r.outcome != Outcome::NoGoal {
            println!("    goal: {} — {}", r.goal, r.outcome.key());
        }
    }
    if let Some(path) = std::env::var_os("WHARF_BENCH_OUT") {
        let lines: String = rows.iter().map(|r| format!("{}\n", r.json())).collect();
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, lines.as_bytes()));
        if let Err(e) = written {
            eprintln!("cannot append to {}: {e}", path.to_string_lossy());
            return 1;
        }
    }
    if std::env::var_os("WHARF_BENCH_SMOKE").is_some() {
        println!("smoke run: goals not judged");
        return 0;
    }
    let missed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Missed)
        .collect();
    for r in &missed {
        println!("GOAL MISSED: {} — {} ({})", r.benchmark, r.measure, r.goal);
    }
    i32::from(!missed.is_empty())
}
