//! Opening the database and bringing its schema up to date.
use crate::files;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::SqliteConnection;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the database could not be opened, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot prepare the SQLite database {}: {source}", path.display())]
    Prepare {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the SQLite database {} owner-only: {source}", path.display())]
    Protect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Connects to `url` (`sqlite://…` or `postgres://…`) and runs every pending migration.
///
/// For a SQLite file, the folder it lives in is created first (owner-only) so that a fresh checkout
/// starts without any preparation, and the database file and its journal files are owner-only
/// (0600): they hold password hashes, sealed tokens and session keys.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, ConnectError> {
    let sqlite_file = sqlite_file_path(url).map(PathBuf::from);
    if let Some(path) = &sqlite_file {
        prepare_sqlite_file(path, url.contains("mode=rwc")).map_err(|source| {
            ConnectError::Prepare {
                path: path.clone(),
                source,
            }
        })?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 4 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(keep_query_plans(conn)))
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    if let Some(path) = &sqlite_file {
        // SQLite gives the -wal/-shm/-journal files it creates the database file's mode; ones left
        // by an older Wharf are made owner-only here.
        restrict_sqlite_files(path).map_err(|source| ConnectError::Protect {
            path: path.clone(),
            source,
        })?;
    }
    Ok(db)
}

/// Begins a transaction that will write.
///
/// On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`), waiting its turn for the busy
/// timeout like any writer. A deferred transaction that reads first and writes later is refused at
/// once ("database is locked") when another connection wrote in between — SQLite cannot upgrade
/// its stale read snapshot — so every read-then-write service begins here, not with `begin()`.
/// PostgreSQL ignores the mode: its row locks and MVCC already let such transactions wait.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Makes a SQLite connection keep each prepared statement's plan whatever values are bound to it
/// (`SQLITE_DBCONFIG_ENABLE_QPSG`, the query planner stability guarantee).
///
/// Without it SQLite (since 3.47) plans `LIMIT ?` with the bound number and, to stay correct,
/// prepares the statement again — parsing and planning it anew — every time a value is bound: every
/// SeaORM `.one()`, `.limit(…)` and page of a list (the session lookup of each request among them).
/// That was a tenth of the server's CPU under load. The plans given up (a `LIMIT` or `LIKE` pattern
/// known at planning time) make no difference to Wharf's small, indexed queries.
async fn keep_query_plans(conn: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_db_config};
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held locked for the call; this option takes
    // an int (1: on) and an optional int pointer for the setting it leaves (none wanted).
    let rc = unsafe {
        sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc == SQLITE_OK {
        Ok(())
    } else {
        Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability guarantee (code {rc})").into(),
        ))
    }
}

/// Creates the folder of a SQLite database (0700) when missing and, when the URL may create the
/// database, the empty database file itself (0600) so that SQLite never creates it with the
/// process's default mode; then restricts what exists.
fn prepare_sqlite_file(path: &Path, may_create: bool) -> std::io::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        files::create_private_dir(parent)?;
    }
    if may_create {
        files::create_private_file(path)?;
    }
    restrict_sqlite_files(path)
}

/// The database file and the journal files SQLite keeps beside it, owner-only where they exist.
fn restrict_sqlite_files(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if file.exists() {
            files::restrict(&file, 0o600)?;
        }
    }
    Ok(())
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

    /// Over every connection of the pool (all held at once): how often statements containing
    /// `LIMIT` ran, and how often they were prepared again.
    async fn runs_and_reprepares(db: &DatabaseConnection) -> (i32, i32) {
        use libsqlite3_sys::{
            SQLITE_STMTSTATUS_REPREPARE, SQLITE_STMTSTATUS_RUN, sqlite3_next_stmt, sqlite3_sql,
            sqlite3_stmt_status,
        };
        let pool = db.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..pool.options().get_max_connections() {
            held.push(pool.acquire().await.unwrap());
        }
        let (mut runs, mut reprepares) = (0, 0);
        for conn in &mut held {
            let mut handle = conn.lock_handle().await.unwrap();
            let raw = handle.as_raw_handle().as_ptr();
            // SAFETY: the connection is held and locked; statements are only read, not changed.
            unsafe {
                let mut stmt = sqlite3_next_stmt(raw, std::ptr::null_mut());
                while !stmt.is_null() {
                    let sql = std::ffi::CStr::from_ptr(sqlite3_sql(stmt)).to_string_lossy();
                    if sql.contains("LIMIT") {
                        runs += sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_RUN, 0);
                        reprepares += sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0);
                    }
                    stmt = sqlite3_next_stmt(raw, stmt);
                }
            }
        }
        (runs, reprepares)
    }

    #[tokio::test]
    async fn statements_with_a_bound_limit_are_prepared_once_on_sqlite() {
        use sea_orm::{EntityTrait, QueryFilter, QuerySelect};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/wharf.db?mode=rwc", dir.path().display());
        let db = connect_and_migrate(&url).await.unwrap();
        // What every request does: `.one()` (LIMIT ?) and a page of a list (LIMIT ? OFFSET ?),
        // each time with values bound again.
        let requests = |rounds: i32| {
            let db = db.clone();
            async move {
                for i in 0..rounds {
                    entity::session::Entity::find_by_id(format!("s{i}"))
                        .one(&db)
                        .await
                        .unwrap();
                    entity::user::Entity::find()
                        .filter(sea_orm::ColumnTrait::gt(&entity::user::Column::Id, i))
                        .limit(20)
                        .offset(20 * i as u64)
                        .all(&db)
                        .await
                        .unwrap();
                }
            }
        };
        // The first round may meet a connection whose schema predates the migrations (prepared
        // again once, rightly); what counts is what repeating the statements costs.
        requests(2).await;
        let (runs_before, reprepares_before) = runs_and_reprepares(&db).await;
        requests(6).await;
        let (runs, reprepares) = runs_and_reprepares(&db).await;
        assert!(
            runs - runs_before >= 12,
            "the LIMIT statements ran {runs} times"
        );
        assert_eq!(
            reprepares - reprepares_before,
            0,
            "statements were prepared again"
        );
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

    #[tokio::test]
    async fn upload_checksums_name_their_algorithm_after_migrating_and_back() {
        use sea_orm::ConnectionTrait;
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(
            &db,
            Some(applied_before("m20261214_000012_upload_checksums")),
        )
        .await
        .unwrap();
        let sha = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        db.execute_unprepared(&format!(
            "INSERT INTO forms (id, title, draft, created_at, updated_at) \
             VALUES (1, 'F', '{{}}', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z'); \
             INSERT INTO form_uploads (token, form_id, field, file_name, size, content_type, \
             sha256, stored_name, created_at) VALUES ('t1', 1, 'f', 'a.txt', 11, 'text/plain', \
             '{sha}', 's1', '2026-12-01T00:00:00Z');"
        ))
        .await
        .unwrap();
        let checksum = |db: DatabaseConnection, column: &'static str| async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT {column} FROM form_uploads WHERE token = 't1'"),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0).unwrap()
        };

        Migrator::up(&db, Some(1)).await.unwrap();
        assert_eq!(
            checksum(db.clone(), "checksum").await,
            format!("sha256:{sha}")
        );
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(checksum(db.clone(), "sha256").await, sha);

        // Once a file is checked by content_hash, going back would leave it uncheckable: refused.
        Migrator::up(&db, Some(1)).await.unwrap();
        db.execute_unprepared(
            "UPDATE form_uploads SET checksum = 'dropbox:' || SUBSTR(checksum, 8)",
        )
        .await
        .unwrap();
        let refused = Migrator::down(&db, Some(1)).await.unwrap_err();
        assert!(refused.to_string().contains("content_hash"), "{refused}");
    }

    /// How many migrations run before the one called `name`.
    fn applied_before(name: &str) -> u32 {
        let all = Migrator::migrations();
        let at = all.iter().position(|m| m.name() == name).expect(name);
        u32::try_from(at).unwrap()
    }

    #[tokio::test]
    async fn the_published_definition_is_kept_as_its_version_when_versions_start_being_kept() {
        use sea_orm::{ConnectionTrait, EntityTrait};
        let db = Database::connect("sqlite::memory:").await.unwrap();
        Migrator::up(&db, Some(applied_before("m20261215_000013_form_versions")))
            .await
            .unwrap();
        db.execute_unprepared(
            "INSERT INTO forms (id, title, draft, published, version, published_at, created_at, \
             updated_at) VALUES (1, 'Published', '{\"fields\":[]}', '{\"fields\":[1]}', 3, \
             '2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z'), \
             (2, 'Draft only', '{}', NULL, 0, NULL, '2026-12-01T00:00:00Z', \
             '2026-12-01T00:00:00Z');",
        )
        .await
        .unwrap();

        Migrator::up(&db, Some(1)).await.unwrap();
        let kept = entity::form_version::Entity::find().all(&db).await.unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!((kept[0].form_id, kept[0].version), (1, 3));
        assert_eq!(kept[0].definition, r#"{"fields":[1]}"#);
        assert_eq!(kept[0].published_at.day(), 2);

        Migrator::down(&db, Some(1)).await.unwrap();
        Migrator::up(&db, Some(1)).await.expect("and up again");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_and_its_folder_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data");
        let url = format!("sqlite://{}/wharf.db?mode=rwc", folder.display());
        let db = connect_and_migrate(&url).await.expect("migrated");
        // WAL mode makes SQLite create the -wal and -shm files beside the database.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);",
        )
        .await
        .unwrap();

        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join("wharf.db")), 0o600);
        for companion in ["wharf.db-wal", "wharf.db-shm"] {
            let path = folder.join(companion);
            assert!(path.exists(), "{companion} exists in WAL mode");
            assert_eq!(mode(&path), 0o600, "{companion}");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_database_left_readable_by_others_is_made_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wharf.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        connect_and_migrate(&url)
            .await
            .unwrap()
            .close()
            .await
            .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(dir.path().join("wharf.db-journal"), b"").unwrap();
        std::fs::set_permissions(
            dir.path().join("wharf.db-journal"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();

        connect_and_migrate(&url).await.unwrap();

        for name in ["wharf.db", "wharf.db-journal"] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }

    /// Two read-then-write transactions on one SQLite file, the second starting while the first
    /// holds its read: begun by `begin_write`, both commit (the second waits); begun by `begin()`,
    /// the first is refused with "database is locked" once the second wrote — the failure publish
    /// met while a job ran.
    #[tokio::test]
    async fn read_then_write_transactions_wait_their_turn_on_sqlite() {
        use sea_orm::{ConnectionTrait, Statement};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/wharf.db?mode=rwc", dir.path().display());
        let db = connect_and_migrate(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0);")
            .await
            .unwrap();

        async fn increment(
            db: DatabaseConnection,
            deferred: bool,
            hold: Duration,
        ) -> Result<(), DbErr> {
            let txn = if deferred {
                db.begin().await?
            } else {
                begin_write(&db).await?
            };
            let row = txn
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT n FROM counter",
                ))
                .await?
                .expect("one row");
            let n: i32 = row.try_get_by_index(0)?;
            tokio::time::sleep(hold).await;
            txn.execute_unprepared(&format!("UPDATE counter SET n = {}", n + 1))
                .await?;
            txn.commit().await
        }
        let both = |deferred: bool| {
            let db = db.clone();
            async move {
                let first =
                    tokio::spawn(increment(db.clone(), deferred, Duration::from_millis(300)));
                tokio::time::sleep(Duration::from_millis(50)).await;
                let second = increment(db.clone(), deferred, Duration::ZERO).await;
                (first.await.unwrap(), second)
            }
        };

        let (first, second) = both(false).await;
        first.unwrap();
        second.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT n FROM counter",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get_by_index::<i32>(0).unwrap(),
            2,
            "no increment lost"
        );

        // The same with deferred transactions: the one that read before the other's write is refused.
        let (first, second) = both(true).await;
        let refused = [first, second]
            .into_iter()
            .filter_map(Result::err)
            .collect::<Vec<_>>();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].to_string().contains("locked"), "{}", refused[0]);
    }
}
