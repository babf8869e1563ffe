//! Turns the result rows the benches wrote (`$WHARF_BENCH_OUT`, JSON lines) into
//! `docs/benchmarks.md` and README's "Measured by scripts/bench.sh" table (between its
//! `<!-- bench:begin -->` and `<!-- bench:end -->` lines). Run by `scripts/bench.sh`:
//!
//! ```sh
//! target/release/bench-report RESULTS.jsonl docs/benchmarks.md README.md
//! ```
//!
//! The run's facts come from the environment `scripts/bench.sh` sets: `BENCH_DATE`, `BENCH_COMMIT`,
//! `BENCH_LOAD` (load average before the benches), `BENCH_MODE` (`full` or `quick`), `BENCH_FAILED`
//! (benches that did not finish).

use serde_json::Value;
use std::fmt::Write;

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

struct Row {
    benchmark: String,
    measure: String,
    wharf: String,
    peers: String,
    ratio: String,
    goal: String,
    outcome: String,
    note: String,
}

impl Row {
    fn from(v: &Value) -> Option<Row> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Row {
            benchmark: s("benchmark")?,
            measure: s("measure")?,
            wharf: s("wharf")?,
            peers: s("peers").unwrap_or_default(),
            ratio: s("ratio").unwrap_or_default(),
            goal: s("goal").unwrap_or_default(),
            outcome: s("outcome").unwrap_or_default(),
            note: s("note").unwrap_or_default(),
        })
    }

    fn met(&self) -> &'static str {
        match self.outcome.as_str() {
            "met" => "✅ met",
            "missed" => "❌ missed",
            _ => "—",
        }
    }
}

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| "?".to_owned())
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB", kib as f64 / 1024.0 / 1024.0)
        });
    format!("{cores} cores ({model}){memory}")
}

fn document(rows: &[Row]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench.sh` ({} run) on {} at commit `{}`; {}; load average before \
         the benches {}. Every figure in a row comes from the same run: Wharf and its peers measured \
         side by side, alternating, on the same machine. Figures are medians (lowest–highest) of \
         the rounds. Do not edit by hand: run `scripts/bench.sh` again.\n",
        env("BENCH_MODE"),
        env("BENCH_DATE"),
        env("BENCH_COMMIT"),
        machine(),
        env("BENCH_LOAD")
    );
    let failed = env("BENCH_FAILED");
    if !failed.trim().is_empty() && failed != "?" {
        let _ = writeln!(md, "**Did not finish in this run:** {failed}.\n");
    }
    let _ = writeln!(
        md,
        "| benchmark | measure | Wharf | peers in the same run | ratio | goal | |\n|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.benchmark),
            cell(&r.measure),
            cell(&r.wharf),
            cell(&r.peers),
            cell(&r.ratio),
            cell(&r.goal),
            r.met()
        );
    }
    let _ = writeln!(md, "\n## Notes per row\n");
    for r in rows.iter().filter(|r| !r.note.is_empty()) {
        let _ = writeln!(md, "- **{} — {}**: {}", r.benchmark, r.measure, r.note);
    }
    md
}

/// README's table: one line per row, the figures only.
fn readme_table(rows: &[Row]) -> String {
    let mut t = format!(
        "Measured by `scripts/bench.sh` ({} run, {}, commit `{}`, {}); details and peers in \
         [docs/benchmarks.md](docs/benchmarks.md):\n\n| benchmark | measure | Wharf | ratio | goal | |\n|---|---|---|---|---|---|\n",
        env("BENCH_MODE"),
        env("BENCH_DATE"),
        env("BENCH_COMMIT"),
        machine()
    );
    for r in rows {
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&r.benchmark),
            cell(&r.measure),
            cell(&r.wharf),
            cell(&r.ratio),
            cell(&r.goal),
            r.met()
        );
    }
    t
}

/// `readme` with the text between the markers replaced by `table`; `None` without the markers.
fn with_table(readme: &str, table: &str) -> Option<String> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    Some(format!("{}\n{table}{}", &readme[..start], &readme[end..]))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, results, out, readme] = args.as_slice() else {
        eprintln!("usage: bench-report RESULTS.jsonl docs/benchmarks.md README.md");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(results).unwrap_or_default();
    let rows: Vec<Row> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| Row::from(&v))
        .collect();
    if rows.is_empty() {
        eprintln!("bench-report: no result rows in {results}");
        std::process::exit(1);
    }
    if let Err(e) = std::fs::write(out, document(&rows)) {
        eprintln!("bench-report: {out}: {e}");
        std::process::exit(1);
    }
    let current = std::fs::read_to_string(readme).unwrap_or_default();
    match with_table(&current, &readme_table(&rows)) {
        Some(updated) => {
            if let Err(e) = std::fs::write(readme, updated) {
                eprintln!("bench-report: {readme}: {e}");
                std::process::exit(1);
            }
        }
        None => eprintln!("bench-report: {readme} has no {BEGIN} … {END}: left as it is"),
    }
    let missed = rows.iter().filter(|r| r.outcome == "missed").count();
    println!(
        "bench-report: {} rows ({missed} goals missed) → {out}, {readme}",
        rows.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_table_replaces_only_what_is_between_the_markers() {
        let readme = format!("intro\n{BEGIN}\nold table\n{END}\nafter\n");
        let updated = with_table(&readme, "new table\n").unwrap();
        assert_eq!(
            updated,
            format!("intro\n{BEGIN}\nnew table\n{END}\nafter\n")
        );
        assert!(with_table("no markers", "t").is_none());
    }

    #[test]
    fn rows_become_table_lines_with_their_outcome() {
        let v = serde_json::json!({
            "benchmark": "Start-up", "measure": "until /healthz", "wharf": "420 ms",
            "goal": "≤ 1 s", "outcome": "met", "peers": "a | b",
        });
        let row = Row::from(&v).unwrap();
        let md = document(&[row]);
        assert!(
            md.contains("| Start-up | until /healthz | 420 ms | a \\| b |  | ≤ 1 s | ✅ met |")
        );
        assert!(md.contains("## Notes per row"));
    }
}
