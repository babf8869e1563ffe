//! SeaORM entities: one module per table. Schema changes go through `crates/migration`.

pub mod audit_event;
pub mod data_source;
pub mod dropbox_credential;
pub mod oauth_state;
pub mod session;
pub mod user;
pub mod user_role;
