//! Time to the first and to the last page of a 10 000-entry folder listed through Wharf's forms file
//! picker (`pick_files`, served by the real `server` binary running as a child process) versus the same
//! `list_folder` + `list_folder/continue` calls (limit 200) made straight to the Dropbox-compatible
//! sandbox, and the Wharf server's memory. The sandbox runs inside this process, so the server's memory
//! is its own. Goals (issue 17): Wharf's first page within 10 ms of the direct call's and all pages
//! within 1.2× (medians), all pages faster than `rclone lsjson` of the same folder (when rclone is
//! installed; through an HTTPS proxy, see `bench_support::rclone`), and the server's RSS grows by
//! ≤ 64 MiB over the runs. Prints `GOAL MISSED`
//! and exits 1 when one is not met; writes result rows to `$WHARF_BENCH_OUT` when set.
//!
//! ```sh
//! cargo build --release -p server --features bench --bins
//! target/release/picker-bench [RUNS]    # default 5 runs
//! ```
//!
//! The server binary is taken from next to this one. It is started on a free port with a temporary data
//! directory and SQLite database, pointed at the sandbox with `WHARF_DROPBOX_BASE_URL` (and an app
//! registered there for it); the bench signs in as the initial administrator, connects a data source
//! through the OAuth pages, and publishes a form whose File browser field lists the folder. Each run
//! lists the whole folder both ways, in alternating order; medians are reported.
//!
//! Then Find items (issue 15): a data rule finding the 20 first files by name among those whose
//! Name starts with `file-01` (pushed to Dropbox as a `search_v2`, 1 000 matches read through and
//! sorted in a bounded heap), and among those whose Name ends with `7.txt` (not answerable by
//! Dropbox: `list_folder` in pages of 1 000, filtered while streaming). Through Wharf: `run_rules`
//! for a Button; directly: the same `search_v2` + `search/continue_v2` (or `list_folder` +
//! `list_folder/continue`) calls, sorted and cut to 20 in the bench. Goals: Wharf ≤ 1.2× direct
//! + 10 ms (medians), server RSS growth over those runs ≤ 16 MiB.

mod bench_support;

use bench_support::rclone::Rclone;
use bench_support::{
    BenchResult, Memory, Outcome, Row, Wharf, connect_data_source, cpu_secs, median, mib, ms,
    reset_peak, start_against,
};
use dropbox_sandbox::RunningSandbox;
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Files seeded into `FOLDER`: 10,000, fewer for a smoke run (`picker-bench RUNS FILES`).
static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(10_000);

fn files() -> usize {
    FILES.load(std::sync::atomic::Ordering::Relaxed)
}
const SUBFOLDERS: usize = 3;
const FOLDER: &str = "/Bench";
/// The page size Wharf asks Dropbox for; the direct listing uses the same.
const LIMIT: u32 = domain::connector::PAGE_LIMIT;
const FIELD: &str = "files";
const MAX_FIRST_PAGE_EXTRA_MS: f64 = 10.0;
const MAX_ALL_PAGES_RATIO: f64 = 1.2;
const MAX_RSS_GROWTH_MIB: f64 = 64.0;

/// One whole listing: time until the first page's body was read and parsed, time until the last's.
#[derive(Clone, Copy, Default)]
struct Listing {
    first: Duration,
    last: Duration,
    entries: usize,
    folders: usize,
    pages: usize,
    /// Response bodies, all pages.
    bytes: usize,
}

impl Listing {
    /// Counts one page's body (`entries`, and those `is_folder` says are folders) and returns it
    /// parsed, so the caller can read its cursor.
    fn count_page(
        &mut self,
        started: Instant,
        body: &[u8],
        is_folder: fn(&Value) -> bool,
    ) -> BenchResult<Value> {
        self.bytes += body.len();
        let page: Value = serde_json::from_slice(body)?;
        if self.pages == 0 {
            self.first = started.elapsed();
        }
        self.pages += 1;
        let entries = page["entries"].as_array().ok_or("no entries")?;
        self.entries += entries.len();
        self.folders += entries.iter().filter(|e| is_folder(e)).count();
        Ok(page)
    }
}

/// Gives the sandbox's one account `FOLDER`: `FILES` small files and `SUBFOLDERS` folders (one file
/// in each). Returns the account id.
async fn seed(sandbox: &RunningSandbox) -> BenchResult<String> {
    let account = sandbox.accounts()[0].account_id.clone();
    seed_files(sandbox, &account, FOLDER, 0..files()).await?;
    for n in 0..SUBFOLDERS {
        sandbox
            .seed_file(
                &account,
                &format!("{FOLDER}/sub-{n}/inside.txt"),
                b"inside\n",
            )
            .await?;
    }
    Ok(account)
}

/// Small files `file-{n}.txt` for each `n` of `numbers` in `folder`.
async fn seed_files(
    sandbox: &RunningSandbox,
    account: &str,
    folder: &str,
    numbers: std::ops::Range<usize>,
) -> BenchResult<()> {
    for n in numbers {
        sandbox
            .seed_file(
                account,
                &format!("{folder}/file-{n:05}.txt"),
                format!("file {n}\n").as_bytes(),
            )
            .await?;
    }
    Ok(())
}

/// `list_folder` and `list_folder/continue` straight to the sandbox, as a script would call Dropbox.
async fn list_direct(
    http: &Client,
    base_url: &str,
    token: &str,
    folder: &str,
) -> BenchResult<Listing> {
    let call = |route: &str, arg: Value| {
        http.post(format!("{base_url}/2/files/{route}"))
            .bearer_auth(token)
            .json(&arg)
            .send()
    };
    let started = Instant::now();
    let mut listing = Listing::default();
    let mut arg = json!({ "path": folder, "limit": LIMIT });
    let mut route = "list_folder";
    loop {
        let response = call(route, arg).await?;
        if response.status() != StatusCode::OK {
            return Err(format!("{route} answered {}", response.status()).into());
        }
        let body = response.bytes().await?;
        let page = listing.count_page(started, &body, |e| e[".tag"] == "folder")?;
        if page["has_more"] != true {
            break;
        }
        arg = json!({ "cursor": page["cursor"] });
        route = "list_folder/continue";
    }
    listing.last = started.elapsed();
    Ok(listing)
}

/// The field's folder through the forms file picker: `pick_files`, then its `next` to the end.
async fn list_through_wharf(wharf: &Wharf, http: &Client, form_id: &str) -> BenchResult<Listing> {
    let started = Instant::now();
    let mut listing = Listing::default();
    let mut next: Option<String> = None;
    loop {
        let mut form = vec![("form_id", form_id), ("field", FIELD), ("folder", "")];
        if let Some(n) = &next {
            form.push(("next", n.as_str()));
        }
        let response = http
            .post(format!("{}/api/pick_files", wharf.address))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(wharf.failed(format!("pick_files answered {status}: {body}")));
        }
        let body = response.bytes().await?;
        let page = listing.count_page(started, &body, |e| e["entry"]["is_folder"] == true)?;
        next = page["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    listing.last = started.elapsed();
    Ok(listing)
}

/// A folder listed both ways: straight from the sandbox with `token`, and through Wharf's picker for
/// the field of `form_id` (which lists `folder`).
struct BothWays<'a> {
    sandbox: &'a RunningSandbox,
    wharf: &'a Wharf,
    admin: &'a Client,
    direct: &'a Client,
    token: &'a str,
    form_id: &'a str,
    folder: &'a str,
}

impl BothWays<'_> {
    async fn direct(&self) -> BenchResult<Listing> {
        list_direct(
            self.direct,
            &self.sandbox.base_url(),
            self.token,
            self.folder,
        )
        .await
    }

    async fn through_wharf(&self) -> BenchResult<Listing> {
        list_through_wharf(self.wharf, self.admin, self.form_id).await
    }

    /// (direct, Wharf), the one going first alternating with `run` so neither always runs warmer.
    async fn both(&self, run: usize) -> BenchResult<(Listing, Listing)> {
        if run.is_multiple_of(2) {
            let d = self.direct().await?;
            Ok((d, self.through_wharf().await?))
        } else {
            let w = self.through_wharf().await?;
            Ok((self.direct().await?, w))
        }
    }

    /// The same folder through another form's field.
    fn with_form<'b>(&'b self, form_id: &'b str, folder: &'b str) -> BothWays<'b> {
        BothWays {
            form_id,
            folder,
            ..*self
        }
    }
}

/// Signs in as the initial administrator (replacing the initial password, as the first sign-in must),
/// connects a data source to the sandbox account through the OAuth pages, and publishes a form whose
/// File browser field lists `FOLDER`. Returns the form's id.
async fn set_up_wharf(
    wharf: &Wharf,
    admin: &Client,
    account_id: &str,
) -> BenchResult<(String, i64)> {
    let data_source = connect_data_source(wharf, admin, account_id, "Bench").await?;
    let form_id = publish_picker_form(wharf, admin, data_source, "Picker bench", FOLDER).await?;
    Ok((form_id, data_source))
}

/// Publishes a form titled `title` whose File browser field `FIELD` lists `folder`; answers its id.
async fn publish_picker_form(
    wharf: &Wharf,
    admin: &Client,
    data_source: i64,
    title: &str,
    folder: &str,
) -> BenchResult<String> {
    let form_id = wharf
        .call(admin, "create_form", &[("title", title)])
        .await?
        .as_i64()
        .ok_or("create_form answered no id")?;
    let field = json!({
        "title": "Files", "name": FIELD, "help": "", "required": false,
        "enabled": true, "visible": true,
        "kind": { "List": {
            "source": { "DataSource": {
                "data_source_id": data_source,
                "display_field": "Name", "value_field": "Path",
                "sort_by": "Name", "direction": "Ascending",
                "folder": folder, "extensions": [],
                "include_subfolders": true, "show_folders": false, "max_size": null,
            }},
            "format": "FileBrowser",
        }},
    });
    wharf
        .call_json(
            admin,
            "save_form",
            json!({ "id": form_id, "title": title, "draft": { "fields": [field] } }),
        )
        .await?;
    wharf
        .call(admin, "publish_form", &[("id", &form_id.to_string())])
        .await?;
    Ok(form_id.to_string())
}

async fn measure(sandbox: &RunningSandbox, runs: usize) -> BenchResult<Vec<Row>> {
    let seeding = Instant::now();
    let account_id = seed(sandbox).await?;
    let seeded_in = seeding.elapsed();

    let (mut wharf, token) = start_against(sandbox, &account_id, "Wharf (picker bench)")?;
    let pid = wharf.pid();
    let timeout = Duration::from_secs(120);
    let admin = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .timeout(timeout)
        .build()?;
    let direct = Client::builder().timeout(timeout).build()?;
    wharf.ready(&admin).await?;
    let (form_id, data_source) = set_up_wharf(&wharf, &admin, &account_id).await?;

    println!(
        "picker-bench: {} files + {SUBFOLDERS} folders in {FOLDER} (seeded in {:.1} s), pages of \
         {LIMIT}, {runs} run(s)",
        files(),
        seeded_in.as_secs_f64()
    );
    println!(
        "  sandbox in this process at {}; Wharf server pid {pid} at {} (SQLite, release build when \
         this is)",
        sandbox.base_url(),
        wharf.address
    );
    println!(
        "  direct: list_folder + list_folder/continue over HTTP with a bearer token; Wharf: POST \
         /api/pick_files as the signed-in administrator, following `next`"
    );

    let rclone = Rclone::start(&sandbox.base_url(), &token).await?;
    match &rclone {
        Some(r) => println!(
            "  rclone: {}, lsjson through an HTTPS proxy to the sandbox",
            r.version
        ),
        None => println!("  rclone: not installed, not measured"),
    }

    let before = Memory::of(pid)?;
    let peak_reset = reset_peak(pid);
    let mut cpu_runs = 0.0;
    let mut direct_runs = Vec::new();
    let mut wharf_runs = Vec::new();
    let mut rclone_runs = Vec::new();
    println!();
    println!(
        "{:>4}  {:>14} {:>14}  {:>14} {:>14}",
        "run", "direct first", "direct last", "Wharf first", "Wharf last"
    );
    let listers = BothWays {
        sandbox,
        wharf: &wharf,
        admin: &admin,
        direct: &direct,
        token: &token,
        form_id: &form_id,
        folder: FOLDER,
    };
    for run in 0..runs {
        let cpu_before = cpu_secs(pid);
        let (d, w) = listers.both(run).await?;
        cpu_runs += cpu_secs(pid) - cpu_before;
        let by_rclone = match &rclone {
            Some(r) => {
                let (took, entries) = r.lsjson(FOLDER)?;
                if entries != files() + SUBFOLDERS {
                    return Err(format!("rclone listed {entries} entries").into());
                }
                rclone_runs.push(took);
                format!("  rclone lsjson {:.1} ms", ms(took))
            }
            None => String::new(),
        };
        println!(
            "{:>4}  {:>11.1} ms {:>11.1} ms  {:>11.1} ms {:>11.1} ms{by_rclone}",
            run + 1,
            ms(d.first),
            ms(d.last),
            ms(w.first),
            ms(w.last)
        );
        direct_runs.push(d);
        wharf_runs.push(w);
    }
    let after = Memory::of(pid)?;

    let expected = files() + SUBFOLDERS;
    let (d, w) = (direct_runs[0], wharf_runs[0]);
    for (side, runs) in [("direct", &direct_runs), ("Wharf", &wharf_runs)] {
        for l in runs.iter() {
            if l.entries != expected || l.folders != SUBFOLDERS {
                return Err(format!(
                    "{side} listed {} entries ({} folders); expected {expected} ({SUBFOLDERS} folders)",
                    l.entries, l.folders
                )
                .into());
            }
        }
    }
    let med = |runs: &[Listing], f: fn(&Listing) -> Duration| median(runs.iter().map(f).collect());
    let (d_first, d_last) = (
        med(&direct_runs, |l| l.first),
        med(&direct_runs, |l| l.last),
    );
    let (w_first, w_last) = (med(&wharf_runs, |l| l.first), med(&wharf_runs, |l| l.last));

    println!();
    println!(
        "{:<22} {:>12} {:>12} {:>13} {:>14}",
        "median of runs", "direct", "Wharf", "Wharf/direct", "Wharf−direct"
    );
    for (what, d, w) in [
        ("time to first page", d_first, w_first),
        ("time to last page", d_last, w_last),
    ] {
        println!(
            "{what:<22} {:>9.1} ms {:>9.1} ms {:>12.2}× {:>+11.1} ms",
            ms(d),
            ms(w),
            w.as_secs_f64() / d.as_secs_f64(),
            ms(w) - ms(d)
        );
    }
    println!(
        "{:<22} {:>12} {:>12}",
        "entries (folders)",
        format!("{} ({})", d.entries, d.folders),
        format!("{} ({})", w.entries, w.folders)
    );
    println!("{:<22} {:>12} {:>12}", "pages", d.pages, w.pages);
    println!(
        "{:<22} {:>8.2} MiB {:>8.2} MiB",
        "bytes received",
        mib(d.bytes as u64),
        mib(w.bytes as u64)
    );
    println!(
        "{:<22} {:>12} {:>9.1} ms",
        "per Wharf page",
        "",
        ms(w_last) / w.pages as f64
    );

    let peak_growth = after.peak.saturating_sub(before.rss);
    let rss_growth = after.rss.saturating_sub(before.rss);
    println!();
    println!(
        "Wharf server memory    {:>14} {:>14}",
        "before listing",
        format!("after {runs} run(s)")
    );
    println!(
        "  RSS (VmRSS)          {:>10.1} MiB {:>10.1} MiB   (+{:.1} MiB)",
        mib(before.rss),
        mib(after.rss),
        mib(rss_growth)
    );
    println!(
        "  peak RSS (VmHWM)     {:>10.1} MiB {:>10.1} MiB   (+{:.1} MiB over the RSS before listing{})",
        mib(before.peak),
        mib(after.peak),
        mib(peak_growth),
        if peak_reset {
            "; peak reset before the first run"
        } else {
            "; the peak could not be reset, so it may be start-up's"
        }
    );
    println!(
        "  server CPU during the runs: {cpu_runs:.2} s ({:.0} ms per full listing)",
        cpu_runs * 1000.0 / runs as f64
    );

    let spread = |runs: &[Listing], f: fn(&Listing) -> Duration| {
        let v: Vec<f64> = runs.iter().map(|l| ms(f(l))).collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        format!("{lo:.1}–{hi:.1} ms")
    };
    let first_extra = ms(w_first) - ms(d_first);
    let all_ratio = w_last.as_secs_f64() / d_last.as_secs_f64();
    let mut rows = vec![
        Row::new(
            "Listing a 10,000-file folder through the picker",
            "first page",
            format!(
                "{:.1} ms ({})",
                ms(w_first),
                spread(&wharf_runs, |l| l.first)
            ),
            format!(
                "the same list_folder call direct {:.1} ms ({})",
                ms(d_first),
                spread(&direct_runs, |l| l.first)
            ),
            format!("{first_extra:+.1} ms"),
            "≤ direct + 10 ms",
            Outcome::of(first_extra <= MAX_FIRST_PAGE_EXTRA_MS),
            format!("pages of {LIMIT}; {runs} runs, medians"),
        ),
        Row::new(
            "Listing a 10,000-file folder through the picker",
            "all pages",
            format!(
                "{:.1} ms ({}), {} pages",
                ms(w_last),
                spread(&wharf_runs, |l| l.last),
                w.pages
            ),
            format!(
                "list_folder + continue direct {:.1} ms ({})",
                ms(d_last),
                spread(&direct_runs, |l| l.last)
            ),
            format!("{all_ratio:.2}× direct"),
            "≤ 1.2× direct",
            Outcome::of(all_ratio <= MAX_ALL_PAGES_RATIO),
            format!(
                "Wharf adds {:.1} ms per page (server CPU {:.1} ms a page: its own request, session, \
                 permission check, the field, the data source and its token, and 200 entries parsed \
                 and written again) to a sandbox in this process answering a page in {:.1} ms: see \
                 the row with Dropbox's latency",
                (ms(w_last) - ms(d_last)) / w.pages as f64,
                cpu_runs * 1000.0 / runs as f64 / w.pages as f64,
                ms(d_last) / d.pages as f64
            ),
        ),
        Row::new(
            "Memory of listing",
            "server peak RSS growth over the runs",
            format!("{:.1} MiB", mib(peak_growth)),
            String::new(),
            String::new(),
            "≤ 64 MiB",
            Outcome::of(mib(peak_growth) <= MAX_RSS_GROWTH_MIB),
            format!("RSS {:.1} MiB before listing", mib(before.rss)),
        ),
    ];
    if let Some(rclone) = &rclone {
        let by_rclone = median(rclone_runs.clone());
        let lo = rclone_runs.iter().min().copied().unwrap_or_default();
        let hi = rclone_runs.iter().max().copied().unwrap_or_default();
        rows.push(Row::new(
            "Listing a 10,000-file folder through the picker",
            "all pages, against rclone",
            format!("{:.1} ms", ms(w_last)),
            format!(
                "rclone lsjson {:.1} ms ({:.1}–{:.1} ms)",
                ms(by_rclone),
                ms(lo),
                ms(hi)
            ),
            format!("{:.2}× rclone", w_last.as_secs_f64() / by_rclone.as_secs_f64()),
            "faster than rclone",
            Outcome::of(w_last < by_rclone),
            format!(
                "{}: the process started per listing, as a person runs it, its calls through an \
                 HTTPS proxy in the bench (TLS as against Dropbox; Wharf's calls to the sandbox are \
                 plain HTTP); {runs} runs, medians",
                rclone.version
            ),
        ));
    }
    rows.push(measure_with_latency(&listers, runs.min(3)).await?);
    let rules_form = set_up_rules_form(&wharf, &admin, data_source).await?;
    rows.extend(
        measure_find_items(
            &wharf,
            &admin,
            &direct,
            &sandbox.base_url(),
            &token,
            &rules_form,
            runs,
        )
        .await?,
    );
    let scale_form =
        publish_picker_form(&wharf, &admin, data_source, "Scale", SCALE_FOLDER).await?;
    let scale = listers.with_form(&scale_form, SCALE_FOLDER);
    rows.extend(measure_scale(&account_id, &scale, runs.min(3)).await?);
    drop(wharf);
    Ok(rows)
}

#[tokio::main]
async fn main() {
    let arg = |n: usize, default: usize, least: usize| match std::env::args()
        .nth(n)
        .map(|a| a.parse::<usize>())
    {
        None => default,
        Some(Ok(v)) if v >= least => v,
        Some(_) => {
            eprintln!(
                "usage: picker-bench [RUNS] [FILES]   (default 5 runs of 10000 files; FILES ≥ 1200)"
            );
            std::process::exit(2);
        }
    };
    let runs = arg(1, 5, 1);
    // Find items needs 20 names starting `file-01` and ending `7.txt`: 1,200 files have them.
    FILES.store(arg(2, 10_000, 1_200), std::sync::atomic::Ordering::Relaxed);
    bench_support::run_against_sandbox("picker-bench", async |sandbox| measure(sandbox, runs).await)
        .await
}

// ---- With Dropbox's latency (issue 17) -------------------------------------------------------

/// How long the sandbox waits before answering each listing call in [`measure_with_latency`]: far
/// less than a call to Dropbox's API over the internet takes, so the figure flatters no one.
const DROPBOX_LATENCY_MS: u64 = 20;

/// All pages of `FOLDER` both ways with the sandbox answering every `list_folder` call
/// `DROPBOX_LATENCY_MS` late, as Dropbox over a network does: the in-process sandbox answers a page
/// in ≈ 2 ms, where Wharf's fixed cost per page (its own request, session, permission check and
/// the page parsed and written again) decides the ratio; with a network in between, reading ahead
/// hides that cost behind Dropbox's own time.
async fn measure_with_latency(listers: &BothWays<'_>, runs: usize) -> BenchResult<Row> {
    use dropbox_sandbox::{FaultKind, FaultSpec};
    let sandbox = listers.sandbox;
    let pages = files().div_ceil(LIMIT as usize) as u32 + 1;
    let delay = FaultKind::Delay {
        millis: DROPBOX_LATENCY_MS,
    };
    let (mut d_times, mut w_times) = (Vec::new(), Vec::new());
    for run in 0..runs {
        sandbox.clear_faults();
        sandbox.add_fault(FaultSpec::new("files/list_folder", delay.clone()).times(2));
        sandbox.add_fault(
            FaultSpec::new("files/list_folder/continue", delay.clone()).times(2 * pages),
        );
        let (d, w) = listers.both(run).await?;
        d_times.push(d.last);
        w_times.push(w.last);
    }
    sandbox.clear_faults();
    let (d, w) = (median(d_times), median(w_times));
    let ratio = w.as_secs_f64() / d.as_secs_f64();
    println!();
    println!(
        "all pages with Dropbox answering {DROPBOX_LATENCY_MS} ms late: direct {:.1} ms, Wharf {:.1} \
         ms: {ratio:.2}× ({runs} runs, medians)",
        ms(d),
        ms(w)
    );
    Ok(Row::new(
        "Listing a 10,000-file folder through the picker",
        &format!("all pages, Dropbox answering {DROPBOX_LATENCY_MS} ms late"),
        format!("{:.1} ms", ms(w)),
        format!("list_folder + continue direct {:.1} ms", ms(d)),
        format!("{ratio:.2}× direct"),
        "≤ 1.2× direct",
        Outcome::of(ratio <= MAX_ALL_PAGES_RATIO),
        format!(
            "the sandbox waits {DROPBOX_LATENCY_MS} ms before each listing call (a call to \
             Dropbox over the internet takes longer); Wharf reads the next page ahead while a page \
             is shown; {runs} runs, medians"
        ),
    ))
}

// ---- Scale curve (issue 17) -----------------------------------------------------------------

const SCALE_FOLDER: &str = "/Scale";
/// How much slower per entry the largest folder may list than the smallest: linear means 1.
const SCALE_MAX_PER_ENTRY_GROWTH: f64 = 1.5;
/// How far the server's peak RSS while listing may differ between folder sizes (±10 %).
const SCALE_MAX_MEMORY_SPREAD: f64 = 1.1;

/// One folder size of the curve: whole listings through Wharf and direct (medians), the server's
/// peak RSS while Wharf listed it.
struct ScalePoint {
    entries: usize,
    wharf: Duration,
    direct: Duration,
    peak_rss: u64,
}

impl ScalePoint {
    fn wharf_per_entry_us(&self) -> f64 {
        self.wharf.as_secs_f64() * 1e6 / self.entries as f64
    }
}

/// Lists `SCALE_FOLDER` whole at a tenth of `FILES`, `FILES` and ten times as many files (1,000,
/// 10,000 and 100,000 in a full run), growing the folder between sizes: time per entry must stay
/// flat (linear, no quadratic step) and so must the server's peak RSS while listing.
async fn measure_scale(
    account: &str,
    listers: &BothWays<'_>,
    runs: usize,
) -> BenchResult<Vec<Row>> {
    let (sandbox, pid) = (listers.sandbox, listers.wharf.pid());
    let sizes = [files() / 10, files(), files() * 10];
    println!();
    println!("Scale curve: {SCALE_FOLDER} listed whole at {sizes:?} files, {runs} run(s) each");
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>14} {:>14}",
        "files", "seeded", "direct", "Wharf", "Wharf/entry", "peak RSS"
    );
    let mut points: Vec<ScalePoint> = Vec::new();
    let mut seeded = 0;
    for size in sizes {
        let seeding = Instant::now();
        seed_files(sandbox, account, SCALE_FOLDER, seeded..size).await?;
        seeded = size;
        let seeded_in = seeding.elapsed();
        // One listing each way before timing, so every size starts as warm as the others.
        listers.through_wharf().await?;
        reset_peak(pid);
        let (mut w_times, mut d_times) = (Vec::new(), Vec::new());
        for run in 0..runs {
            let (d, w) = listers.both(run).await?;
            for (side, l) in [("Wharf", &w), ("direct", &d)] {
                if l.entries != size {
                    return Err(format!("{side} listed {} of {size} files", l.entries).into());
                }
            }
            w_times.push(w.last);
            d_times.push(d.last);
        }
        let point = ScalePoint {
            entries: size,
            wharf: median(w_times),
            direct: median(d_times),
            peak_rss: Memory::of(pid)?.peak,
        };
        println!(
            "{size:>8} {:>8.1} s {:>9.1} ms {:>9.1} ms {:>11.1} µs {:>10.1} MiB",
            seeded_in.as_secs_f64(),
            ms(point.direct),
            ms(point.wharf),
            point.wharf_per_entry_us(),
            mib(point.peak_rss)
        );
        points.push(point);
    }
    let (first, last) = (&points[0], &points[points.len() - 1]);
    let per_entry_growth = last.wharf_per_entry_us() / first.wharf_per_entry_us();
    let peaks = points.iter().map(|p| p.peak_rss);
    let memory_spread = mib(peaks.clone().max().unwrap_or(0)) / mib(peaks.min().unwrap_or(1));
    println!(
        "  per entry, the largest folder over the smallest: {per_entry_growth:.2}× (goal ≤ \
         {SCALE_MAX_PER_ENTRY_GROWTH}×); peak RSS, largest over smallest: {memory_spread:.2}× (goal \
         ≤ {SCALE_MAX_MEMORY_SPREAD}×)"
    );
    let curve = |f: &dyn Fn(&ScalePoint) -> String| {
        points
            .iter()
            .map(|p| format!("{}: {}", p.entries, f(p)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Ok(vec![
        Row::new(
            "Scale curve of listing through the picker",
            "whole folder, by files in it",
            curve(&|p| {
                format!(
                    "{:.0} ms ({:.1} µs per file)",
                    ms(p.wharf),
                    p.wharf_per_entry_us()
                )
            }),
            format!("direct {}", curve(&|p| format!("{:.0} ms", ms(p.direct)))),
            format!("{per_entry_growth:.2}× per file, largest over smallest"),
            "linear: time per file ≤ 1.5× the smallest folder's",
            Outcome::of(per_entry_growth <= SCALE_MAX_PER_ENTRY_GROWTH),
            format!("{runs} runs per size, medians; the folder grown between sizes"),
        ),
        Row::new(
            "Memory across folder sizes",
            "server peak RSS while listing",
            curve(&|p| format!("{:.1} MiB", mib(p.peak_rss))),
            String::new(),
            format!("{memory_spread:.2}× largest over smallest"),
            "flat: within ±10 %",
            Outcome::of(memory_spread <= SCALE_MAX_MEMORY_SPREAD),
            "the peak reset before each size".to_owned(),
        ),
    ])
}

// ---- Find items (issue 15) ------------------------------------------------------------------

const FIND_ROWS: usize = 20;
const FIND_MAX_RATIO: f64 = 1.2;
const FIND_MAX_EXTRA_MS: f64 = 10.0;
const FIND_MAX_RSS_GROWTH_MIB: f64 = 16.0;
/// Entries per `list_folder` page, as Wharf's Find items asks (`domain::connector::FIND_PAGE_LIMIT`).
const FIND_LIST_LIMIT: u32 = domain::connector::FIND_PAGE_LIMIT;

/// The two Find items of the bench: (button, filter operator, value, pushed to Dropbox as a search).
const FIND_CASES: [(&str, &str, &str, bool); 2] = [
    ("by_prefix", "StartsWith", "file-01", true),
    ("by_suffix", "EndsWith", "7.txt", false),
];

/// Publishes a form with one Button per case whose Find items fills `results` (20 rows a page, Max
/// rows 20, by Name ascending).
async fn set_up_rules_form(wharf: &Wharf, admin: &Client, data_source: i64) -> BenchResult<String> {
    let form_id = wharf
        .call(admin, "create_form", &[("title", "Find items bench")])
        .await?
        .as_i64()
        .ok_or("create_form answered no id")?;
    let field = |name: &str, kind: Value| {
        json!({
            "title": name, "name": name, "help": "", "required": false,
            "enabled": true, "visible": true, "kind": kind,
        })
    };
    let mut fields = vec![field(
        "results",
        json!({ "Table": {
            "columns": [{ "name": "name", "title": "Name", "kind": "Text" },
                        { "name": "file", "title": "File", "kind": "File" }],
            "editable": false, "page_size": FIND_ROWS,
        }}),
    )];
    let mut rules = Vec::new();
    for (i, (button, operator, value, _)) in FIND_CASES.iter().enumerate() {
        fields.push(field(button, json!({ "Button": { "label": button } })));
        rules.push(json!({
            "id": format!("r{}", i + 1), "name": button, "enabled": true,
            "trigger": { "Button": { "field": button } },
            "conditions": { "combine": "And", "groups": [] },
            "action": { "FindItems": {
                "data_source_id": data_source, "folder": FOLDER, "include_subfolders": false,
                "filters": [{ "parameter": "Name", "operator": operator, "value": { "Text": value } }],
                "sort": { "parameter": "Name", "direction": "Ascending" },
                "max_rows": FIND_ROWS,
                "table": { "field": "results", "mode": "Override", "columns": [
                    { "column": "name", "parameter": "Name" },
                    { "column": "file", "parameter": "Name" },
                ]},
                "first_match": [],
                "on_success": { "assignments": [], "message": "" },
                "on_error": { "assignments": [], "message": "" },
                "no_match": { "clear": true, "message": "", "is_error": false },
            }},
        }));
    }
    wharf
        .call_json(
            admin,
            "save_form",
            json!({ "id": form_id, "title": "Find items bench",
                    "draft": { "fields": fields, "rules": rules } }),
        )
        .await?;
    wharf
        .call(admin, "publish_form", &[("id", &form_id.to_string())])
        .await?;
    Ok(form_id.to_string())
}

/// The 20 first names (ascending) of what the case matches, straight from the sandbox.
async fn find_direct(
    http: &Client,
    base_url: &str,
    token: &str,
    (_, operator, value, pushed): (&str, &str, &str, bool),
) -> BenchResult<Vec<String>> {
    let call = |route: &str, arg: Value| {
        http.post(format!("{base_url}/2/files/{route}"))
            .bearer_auth(token)
            .json(&arg)
            .send()
    };
    let mut names: Vec<String> = Vec::new();
    let keep = |name: &str| match operator {
        "StartsWith" => name.to_lowercase().starts_with(value),
        _ => name.to_lowercase().ends_with(value),
    };
    if pushed {
        let mut route = "search_v2";
        let mut arg = json!({ "query": value, "options": {
            "path": FOLDER, "max_results": 100, "filename_only": true } });
        loop {
            let page: Value = call(route, arg).await?.error_for_status()?.json().await?;
            for m in page["matches"].as_array().ok_or("no matches")? {
                let md = &m["metadata"]["metadata"];
                if md[".tag"] == "file"
                    && let Some(name) = md["name"].as_str()
                    && keep(name)
                {
                    names.push(name.to_owned());
                }
            }
            if page["has_more"] != true {
                break;
            }
            route = "search/continue_v2";
            arg = json!({ "cursor": page["cursor"] });
        }
    } else {
        let mut route = "list_folder";
        let mut arg = json!({ "path": FOLDER, "limit": FIND_LIST_LIMIT });
        loop {
            let page: Value = call(route, arg).await?.error_for_status()?.json().await?;
            for e in page["entries"].as_array().ok_or("no entries")? {
                if e[".tag"] == "file"
                    && let Some(name) = e["name"].as_str()
                    && keep(name)
                {
                    names.push(name.to_owned());
                }
            }
            if page["has_more"] != true {
                break;
            }
            route = "list_folder/continue";
            arg = json!({ "cursor": page["cursor"] });
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    names.truncate(FIND_ROWS);
    Ok(names)
}

/// The same through Wharf: the Button's rules run, the table's first page answered.
async fn find_through_wharf(
    wharf: &Wharf,
    http: &Client,
    form_id: &str,
    button: &str,
) -> BenchResult<Vec<String>> {
    let outcome = wharf
        .call_json(
            http,
            "run_rules",
            json!({ "form_id": form_id.parse::<i64>()?, "event": { "Button": { "field": button } },
                    "values": {} }),
        )
        .await?;
    let rows = outcome["tables"]["results"]["rows"]
        .as_array()
        .ok_or_else(|| wharf.failed(format!("run_rules answered no table: {outcome}")))?;
    Ok(rows
        .iter()
        .filter_map(|r| r["name"]["Text"].as_str().map(str::to_owned))
        .collect())
}

/// Times both ways per case, alternating which goes first; prints medians; answers the rows.
async fn measure_find_items(
    wharf: &Wharf,
    admin: &Client,
    direct: &Client,
    base_url: &str,
    token: &str,
    form_id: &str,
    runs: usize,
) -> BenchResult<Vec<Row>> {
    let pid = wharf.pid();
    // One warm-up run per case: the first search of a folder builds nothing in Wharf worth timing.
    for case in FIND_CASES {
        find_through_wharf(wharf, admin, form_id, case.0).await?;
    }
    let before = Memory::of(pid)?;
    let peak_reset = reset_peak(pid);
    let mut rows = Vec::new();
    println!();
    println!(
        "Find items: {FIND_ROWS} rows by Name from {FOLDER} ({} files), {runs} run(s) per case",
        files()
    );
    println!(
        "{:<11} {:>13} {:>13} {:>10} {:>11}",
        "case", "direct", "Wharf", "ratio", "Wharf−direct"
    );
    for case in FIND_CASES {
        let (mut d_times, mut w_times) = (Vec::new(), Vec::new());
        for run in 0..runs {
            let time_direct = async {
                let started = Instant::now();
                let names = find_direct(direct, base_url, token, case).await?;
                BenchResult::Ok((started.elapsed(), names))
            };
            let time_wharf = async {
                let started = Instant::now();
                let names = find_through_wharf(wharf, admin, form_id, case.0).await?;
                BenchResult::Ok((started.elapsed(), names))
            };
            let ((d, d_names), (w, w_names)) = if run.is_multiple_of(2) {
                let d = time_direct.await?;
                (d, time_wharf.await?)
            } else {
                let w = time_wharf.await?;
                (time_direct.await?, w)
            };
            if d_names != w_names || w_names.len() != FIND_ROWS {
                return Err(wharf.failed(format!(
                    "{}: Wharf found {w_names:?}, directly {d_names:?}",
                    case.0
                )));
            }
            d_times.push(d);
            w_times.push(w);
        }
        let (d, w) = (median(d_times), median(w_times));
        let ratio = w.as_secs_f64() / d.as_secs_f64();
        println!(
            "{:<11} {:>10.1} ms {:>10.1} ms {:>9.2}× {:>+9.1} ms   ({})",
            case.0,
            ms(d),
            ms(w),
            ratio,
            ms(w) - ms(d),
            if case.3 {
                "search_v2 pushed"
            } else {
                "list_folder, filtered while streaming"
            }
        );
        rows.push(Row::new(
            "Find items (10,000-file folder, 20 rows)",
            case.0,
            format!("{:.1} ms", ms(w)),
            format!("the same Dropbox calls direct {:.1} ms", ms(d)),
            format!("{ratio:.2}×, {:+.1} ms", ms(w) - ms(d)),
            "≤ 1.2× direct + 10 ms",
            Outcome::of(ms(w) <= ms(d) * FIND_MAX_RATIO + FIND_MAX_EXTRA_MS),
            if case.3 {
                "search_v2 pushed to Dropbox".to_owned()
            } else {
                "list_folder, filtered while streaming".to_owned()
            },
        ));
    }
    let after = Memory::of(pid)?;
    let growth = after.peak.saturating_sub(before.rss);
    println!(
        "  server RSS {:.1} MiB before, {:.1} MiB after; peak growth +{:.1} MiB{} (goal ≤ \
         {FIND_MAX_RSS_GROWTH_MIB} MiB)",
        mib(before.rss),
        mib(after.rss),
        mib(growth),
        if peak_reset {
            ""
        } else {
            " (peak not reset: may be earlier)"
        }
    );
    rows.push(Row::new(
        "Memory of Find items",
        "server peak RSS growth over the runs",
        format!("{:.1} MiB", mib(growth)),
        String::new(),
        String::new(),
        "≤ 16 MiB",
        Outcome::of(mib(growth) <= FIND_MAX_RSS_GROWTH_MIB),
        String::new(),
    ));
    Ok(rows)
}
