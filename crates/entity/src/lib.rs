//! SeaORM entities: one module per table. Schema changes go through `crates/migration`.

pub mod audit_event;
pub mod data_source;
pub mod data_source_grant;
pub mod dropbox_credential;
pub mod form;
pub mod form_submission;
pub mod form_upload;
pub mod form_version;
pub mod group;
pub mod group_member;
pub mod job;
pub mod job_write;
pub mod oauth_state;
pub mod rule_run;
pub mod session;
pub mod sign_in_failure;
pub mod user;
pub mod user_role;
