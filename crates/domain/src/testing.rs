//! Set-up shared by tests: an in-memory database, people with roles, groups and data sources. Only
//! in test builds: this crate's own (`cfg(test)`), and with the `testing` feature for its
//! integration tests and other crates' tests (as a dev-dependency).
use crate::AuthenticatedUser;
use crate::data_sources;
use crate::db::connect_and_migrate;
use crate::identity::{NewUser, create_user, find_active_user};
use entity::{group, group_member};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use time::OffsetDateTime;
use wharf_types::{ConnectorSettings, DataSourceKind, DropboxSettings, Role};

/// The password every test person gets: long enough for the rules.
pub const PASSWORD: &str = "a long enough password";

/// A fresh, migrated in-memory SQLite database.
pub async fn memory_db() -> DatabaseConnection {
    connect_and_migrate("sqlite::memory:").await.unwrap()
}

/// A new person named `name` (user name and display name), with [`PASSWORD`], no e-mail and
/// `roles`; change fields with `NewUser { display_name: "Dana", ..new_user("dana", roles) }`.
pub fn new_user<'a>(name: &'a str, roles: &'a [Role]) -> NewUser<'a> {
    NewUser {
        username: name,
        display_name: name,
        email: None,
        password: PASSWORD,
        roles,
        must_change_password: false,
    }
}

/// Creates [`new_user`]`(name, roles)` and answers its id.
pub async fn person(db: &DatabaseConnection, name: &str, roles: &[Role]) -> i32 {
    create_user(db, new_user(name, roles)).await.unwrap()
}

/// The person `id` as the services see them once signed in.
pub async fn signed_in(db: &DatabaseConnection, id: i32) -> AuthenticatedUser {
    find_active_user(db, id).await.unwrap().unwrap()
}

/// Creates [`new_user`]`(name, roles)` and answers them signed in.
pub async fn user(db: &DatabaseConnection, name: &str, roles: &[Role]) -> AuthenticatedUser {
    let id = person(db, name, roles).await;
    signed_in(db, id).await
}

/// An administrator acting in tests; audit rows need no real user behind them.
pub fn someone() -> AuthenticatedUser {
    AuthenticatedUser {
        id: 0,
        username: "root".into(),
        display_name: "Root".into(),
        email: None,
        roles: vec![Role::Administrator],
        must_change_password: false,
        group_ids: Vec::new(),
        listed_as_connection_administrator: false,
    }
}

/// A group named `name` with `members` (user ids), written straight to the tables; answers its id.
pub async fn group_of(db: &DatabaseConnection, name: &str, members: &[i32]) -> i32 {
    let now = OffsetDateTime::now_utc();
    let g = group::ActiveModel {
        name: Set(name.to_owned()),
        name_key: Set(name.to_lowercase()),
        description: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    for m in members {
        group_member::ActiveModel {
            group_id: Set(g.id),
            user_id: Set(*m),
        }
        .insert(db)
        .await
        .unwrap();
    }
    g.id
}

/// Creates a Dropbox data source named `name` with default settings, as `actor`.
pub async fn dropbox_source(
    db: &DatabaseConnection,
    name: &str,
    actor: &AuthenticatedUser,
) -> Result<i32, data_sources::DataSourceError> {
    data_sources::create(
        db,
        DataSourceKind::Dropbox,
        ConnectorSettings::new(name, DropboxSettings::default()),
        actor,
    )
    .await
}
