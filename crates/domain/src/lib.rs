//! Wharf's server-side services. Functions take `&impl ConnectionTrait` where a caller may want to
//! compose them in one transaction; nothing here knows about HTTP or Leptos.

pub mod audit;
pub mod confine;
pub mod connector;
pub mod data_sources;
pub mod db;
pub mod files;
pub mod form_store;
pub mod forms;
pub mod groups;
pub mod identity;
pub mod jobs;
pub mod oauth_states;
pub mod paging;
pub mod picker;
pub mod policy;
pub mod rules;
mod search;
pub mod security;
pub mod sessions;
pub mod sign_in_throttle;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod uploads;
pub mod vault;

pub use identity::AuthenticatedUser;
