//! Wharf's HTTP server as a library, so that integration tests start the very same application.

pub mod config;
pub mod dropbox_setup;
pub mod failures;
pub mod file_download;
pub mod file_thumbnail;
pub mod guard;
pub mod memory;
pub mod oauth_callback;
pub mod security_headers;
pub mod startup;
pub mod static_files;
pub mod telemetry;
pub mod uploads;
