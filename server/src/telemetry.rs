//! Logging: `tracing` to standard output, filtered by `RUST_LOG` (default `info`).
use tracing_subscriber::EnvFilter;

pub fn init() {
    // dropbox_sdk logs every 401/409 it hands back as an ERROR, though Wharf's client handles them (a
    // refresh, a typed error) and logs its own outcome: keep it quiet unless asked for.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn,dropbox_sdk=off")
    });
    // try_init: a second call (several test apps in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
