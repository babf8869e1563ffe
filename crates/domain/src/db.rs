//! Opening the database and bringing its schema up to date.
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects to `url` (`sqlite://…` or `postgres://…`) and runs every pending migration.
///
/// For a SQLite file, the folder it lives in is created first so that a fresh checkout starts without
/// any preparation.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url)
        && let Some(parent) = std::path::Path::new(&path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 4 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// The file behind a `sqlite://path?…` URL, or `None` for in-memory and non-SQLite URLs.
fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_paths_are_read_from_urls() {
        assert_eq!(
            sqlite_file_path("sqlite://data/wharf.db?mode=rwc").as_deref(),
            Some("data/wharf.db")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/wharf"), None);
    }

    #[tokio::test]
    async fn migrations_run_on_a_fresh_sqlite_file_in_a_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/wharf.db?mode=rwc", dir.path().display());
        let db = connect_and_migrate(&url).await.expect("migrated");
        // running them again is a no-op, as at every restart
        Migrator::up(&db, None).await.expect("idempotent");
        assert!(dir.path().join("nested/wharf.db").exists());
    }
}
