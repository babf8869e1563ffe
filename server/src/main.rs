use server::config::Settings;
use server::startup::{Application, shutdown_signal};
use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_allocations_at_once();
    serve()
}

/// glibc's malloc raises its mmap threshold to the size of any large block freed (up to 32 MiB)
/// and from then on serves such blocks from per-thread arenas, which keep them: every sign-in's
/// Argon2 hash (19 MiB, on a blocking thread) left ≈ 20 MiB resident per thread — an idle server went
/// from 32 to 92 MiB after one person signed in. A fixed threshold keeps blocks of 4 MiB and more
/// in their own mappings, returned when freed (measured: 35 MiB after sign-in, requests/s
/// unchanged). Set before any thread exists, so every arena sees it.
fn return_large_allocations_at_once() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc's parameters; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

#[tokio::main]
async fn serve() -> ExitCode {
    server::telemetry::init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Wharf cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Wharf cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("listening on http://{}", app.local_addr());
    match app.run_until(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Wharf stopped with an error: {e}");
            ExitCode::FAILURE
        }
    }
}
