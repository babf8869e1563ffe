//! Giving memory back after a busy spell. glibc's malloc keeps what a burst of requests freed in
//! its arenas (one per thread that allocated, up to eight per core) and returns only the top of
//! the main heap by itself: after a minute of 64 connections the server stayed at ≈ 1.5× the RSS it
//! had before, memory no request would use again until the next burst. Once requests stop for a
//! moment, [`return_freed_memory_when_quiet`] asks malloc to release the free pages of every arena
//! (`malloc_trim`): one walk over the free lists, a millisecond or two, only after activity.
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long no request may arrive before freed memory is returned.
pub const QUIET: Duration = Duration::from_millis(500);

/// Requests seen since start-up (only ever compared with itself).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Counts a request (a middleware around every route that allocates for its answer).
pub async fn note_request(request: Request, next: Next) -> Response {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

/// Runs for the server's life: after a [`QUIET`] spell that followed requests, returns the memory
/// malloc holds free. Nothing happens while the server stays idle or stays busy.
pub async fn return_freed_memory_when_quiet() {
    let mut every = tokio::time::interval(QUIET);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = REQUESTS.load(Ordering::Relaxed);
    let mut freed_since_trim = false;
    loop {
        every.tick().await;
        let now = REQUESTS.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            freed_since_trim = true;
        } else if freed_since_trim {
            freed_since_trim = false;
            let _ = tokio::task::spawn_blocking(return_free_pages).await;
        }
    }
}

/// Releases the free pages of every malloc arena to the system; true when some were released.
pub fn return_free_pages() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only takes each arena's lock and madvises pages no allocation uses.
    unsafe {
        libc::malloc_trim(0) == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    fn resident_bytes() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kb * 1024
    }

    /// What a burst leaves behind: many small blocks freed on another thread (its own arena, where
    /// malloc does not give memory back by itself), then trimmed.
    #[test]
    fn memory_freed_by_a_burst_on_another_thread_goes_back_to_the_system() {
        std::thread::spawn(|| {
            let blocks: Vec<Vec<u8>> = (0..100_000).map(|i| vec![i as u8; 1_000]).collect();
            // Keep one late block alive so the arena's top cannot shrink on its own.
            let keep = vec![1u8; 1_000];
            drop(blocks);
            let before = resident_bytes();
            assert!(return_free_pages(), "some pages were released");
            let after = resident_bytes();
            assert!(
                after + 50 * 1024 * 1024 < before,
                "at least 50 of the ≈ 100 MB freed returned: {before} → {after}"
            );
            drop(keep);
        })
        .join()
        .unwrap();
    }
}
