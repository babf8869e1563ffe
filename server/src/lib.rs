//! Wharf's HTTP server as a library, so that integration tests start the very same application.

pub mod config;
pub mod guard;
pub mod startup;
pub mod telemetry;
