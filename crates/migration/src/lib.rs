//! Schema migrations, run at start-up. Written with the schema builder only, so that the same
//! migrations produce the same schema on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_identity;
mod m20261127_000002_data_sources;
mod m20261127_000003_dropbox_credentials;
mod m20261127_000004_groups_and_security;
mod m20261127_000005_forms;
mod m20261127_000006_form_uploads;
mod m20261206_000008_rule_runs;
mod m20261207_000009_upload_field_settings;
mod m20261207_000010_jobs;
mod m20261207_000011_upload_sessions;
mod m20261212_000007_session_ids_hashed;
mod m20261214_000012_upload_checksums;
mod m20261215_000013_form_versions;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_identity::Migration),
            Box::new(m20261127_000002_data_sources::Migration),
            Box::new(m20261127_000003_dropbox_credentials::Migration),
            Box::new(m20261127_000004_groups_and_security::Migration),
            Box::new(m20261127_000005_forms::Migration),
            Box::new(m20261127_000006_form_uploads::Migration),
            Box::new(m20261212_000007_session_ids_hashed::Migration),
            Box::new(m20261206_000008_rule_runs::Migration),
            Box::new(m20261207_000009_upload_field_settings::Migration),
            Box::new(m20261207_000010_jobs::Migration),
            Box::new(m20261207_000011_upload_sessions::Migration),
            Box::new(m20261214_000012_upload_checksums::Migration),
            Box::new(m20261215_000013_form_versions::Migration),
        ]
    }
}
