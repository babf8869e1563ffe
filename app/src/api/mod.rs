//! Server functions: thin. Each one establishes who is calling and whether they may, calls a domain
//! service, and maps its error to an [`AppError`](crate::error::AppError).

pub mod auth;
pub mod data_sources;
pub mod files;
pub mod forms;
pub mod groups;
pub mod rules;
pub mod security;
pub mod users;
pub mod writes;

#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod errors;

// Every server function names its endpoint (`/api/<name>`): stable URLs for tests, logs and any
// non-browser caller, instead of generated hashes that change with the code.
