// The identity services together, on in-memory SQLite.
use super::*;
use crate::db::connect_and_migrate;
use crate::testing::{memory_db, new_user, someone};
use entity::{group_member, user, user_role};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use users::active_administrators;
use wharf_types::PAGE_SIZE;
use wharf_types::Role;

const ALICE_PASSWORD: &str = "correct horse battery";

/// A database with Alice in it; answers her id too.
async fn with_alice() -> (DatabaseConnection, i32) {
    let db = memory_db().await;
    let id = alice(&db).await;
    (db, id)
}

async fn alice(db: &DatabaseConnection) -> i32 {
    create_user(
        db,
        NewUser {
            username: " Alice ",
            display_name: "Alice Liddell",
            email: Some("alice@example.com"),
            password: ALICE_PASSWORD,
            roles: &[Role::User, Role::DesignBusinessProcess],
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_user_signs_in_case_insensitively_and_gets_their_roles() {
    let (db, _) = with_alice().await;
    let user = authenticate(&db, "ALICE", ALICE_PASSWORD).await.unwrap();
    assert_eq!(user.username, "alice");
    assert_eq!(user.roles, vec![Role::DesignBusinessProcess, Role::User]);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_are_refused_alike() {
    let (db, _) = with_alice().await;
    let wrong = authenticate(&db, "alice", "wrong password!")
        .await
        .unwrap_err();
    let unknown = authenticate(&db, "bob", ALICE_PASSWORD).await.unwrap_err();
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert!(matches!(wrong, IdentityError::InvalidCredentials));
}

#[tokio::test]
async fn duplicate_user_names_are_refused_without_a_partial_user() {
    let (db, _) = with_alice().await;
    let again = create_user(
        &db,
        NewUser {
            display_name: "Another",
            password: "another password",
            ..new_user("alice", &[Role::Administrator])
        },
    )
    .await;
    assert!(matches!(again, Err(IdentityError::UsernameTaken(_))));
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(user_role::Entity::find().count(&db).await.unwrap(), 2);
}

#[tokio::test]
async fn changing_a_password_needs_the_current_one_and_a_strong_new_one() {
    let (db, id) = with_alice().await;
    assert!(matches!(
        change_password(&db, id, "not it at all", "a brand new password").await,
        Err(IdentityError::WrongCurrentPassword)
    ));
    assert!(matches!(
        change_password(&db, id, ALICE_PASSWORD, "short").await,
        Err(IdentityError::PasswordRejected(_))
    ));
    assert!(matches!(
        change_password(&db, id, ALICE_PASSWORD, ALICE_PASSWORD).await,
        Err(IdentityError::PasswordRejected(_))
    ));
    change_password(&db, id, ALICE_PASSWORD, "a brand new password")
        .await
        .unwrap();
    assert!(authenticate(&db, "alice", ALICE_PASSWORD).await.is_err());
    assert!(
        authenticate(&db, "alice", "a brand new password")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_first_start_creates_one_administrator_who_must_change_the_password() {
    let db = memory_db().await;
    let dir = tempfile::tempdir().unwrap();
    let admin = ensure_initial_admin(&db, dir.path())
        .await
        .unwrap()
        .expect("created");
    assert_eq!(admin.password.len(), 20);
    let on_disk = std::fs::read_to_string(dir.path().join(INITIAL_PASSWORD_FILE)).unwrap();
    assert_eq!(on_disk.trim(), admin.password);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&admin.password_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let user = authenticate(&db, "admin", &admin.password).await.unwrap();
    assert!(user.must_change_password);
    assert_eq!(user.roles, vec![Role::Administrator]);
    // a second start finds users and creates nothing
    assert!(
        ensure_initial_admin(&db, dir.path())
            .await
            .unwrap()
            .is_none()
    );
    forget_initial_password(dir.path());
    assert!(!dir.path().join(INITIAL_PASSWORD_FILE).exists());
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_and_are_not_found_active() {
    let (db, id) = with_alice().await;
    let mut active: user::ActiveModel = user::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .into();
    active.disabled = Set(true);
    active.update(&db).await.unwrap();
    assert!(authenticate(&db, "alice", ALICE_PASSWORD).await.is_err());
    assert!(find_active_user(&db, id).await.unwrap().is_none());
}

async fn add(db: &DatabaseConnection, name: &str, roles: &[Role]) -> i32 {
    add_user(db, &someone(), new_user(name, roles))
        .await
        .unwrap()
}

fn changes(roles: &[Role], disabled: bool) -> UserChanges<'_> {
    UserChanges {
        display_name: "Changed Name",
        email: None,
        roles,
        disabled,
    }
}

fn field_of(e: &IdentityError) -> Option<&'static str> {
    match e {
        IdentityError::Invalid { field, .. } => Some(field),
        _ => None,
    }
}

#[tokio::test]
async fn bad_input_names_its_field_and_creates_nothing() {
    let db = memory_db().await;
    add(&db, "alice", &[Role::User]).await;
    let base = NewUser {
        username: "bob",
        display_name: "Bob",
        email: Some("bob@example.com"),
        password: "a long enough password",
        roles: &[Role::User],
        must_change_password: true,
    };
    let cases = [
        (
            NewUser {
                username: "  ",
                ..base.clone()
            },
            "username",
        ),
        (
            NewUser {
                username: "bo b",
                ..base.clone()
            },
            "username",
        ),
        (
            NewUser {
                display_name: " ",
                ..base.clone()
            },
            "display_name",
        ),
        (
            NewUser {
                email: Some("bob@"),
                ..base.clone()
            },
            "email",
        ),
        (
            NewUser {
                email: Some("bob example.com"),
                ..base.clone()
            },
            "email",
        ),
        (
            NewUser {
                roles: &[],
                ..base.clone()
            },
            "roles",
        ),
        (
            NewUser {
                password: "short",
                ..base.clone()
            },
            "password",
        ),
    ];
    for (new, field) in cases {
        let e = add_user(&db, &someone(), new).await.unwrap_err();
        assert_eq!(field_of(&e), Some(field), "{e}");
        assert!(e.to_string().ends_with('.'), "{e}");
    }
    let taken = add_user(
        &db,
        &someone(),
        NewUser {
            username: " ALICE ",
            ..base.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(taken, IdentityError::UsernameTaken(ref n) if n.as_str() == "alice"));
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 1);
    // a blank email is no email
    let id = add_user(
        &db,
        &someone(),
        NewUser {
            email: Some("  "),
            ..base
        },
    )
    .await
    .unwrap();
    let bob = get_user(&db, id).await.unwrap();
    assert_eq!(bob.email, None);
    assert!(bob.must_change_password);
}

#[tokio::test]
async fn the_last_active_administrator_cannot_be_demoted_disabled_or_deleted() {
    let db = memory_db().await;
    let ann = add(&db, "ann", &[Role::Administrator]).await;
    let ben = add(&db, "ben", &[Role::Administrator, Role::User]).await;
    // two administrators: one of them may go
    update_user(&db, &someone(), ben, changes(&[Role::Administrator], true))
        .await
        .unwrap();

    // ben is disabled, so ann is the last active one, however it is tried
    let demote = update_user(&db, &someone(), ann, changes(&[Role::User], false)).await;
    assert!(matches!(demote, Err(IdentityError::LastAdministrator(_))));
    let disable = update_user(&db, &someone(), ann, changes(&[Role::Administrator], true)).await;
    assert!(matches!(disable, Err(IdentityError::LastAdministrator(_))));
    let delete = delete_user(&db, &someone(), ann).await;
    assert!(matches!(delete, Err(IdentityError::LastAdministrator(_))));

    // refused means nothing changed, not even the name sent with it
    let after = get_user(&db, ann).await.unwrap();
    assert_eq!(after.roles, vec![Role::Administrator]);
    assert!(!after.disabled);
    assert_eq!(after.display_name, "ann");

    // enabling ben again makes ann free to change
    update_user(&db, &someone(), ben, changes(&[Role::Administrator], false))
        .await
        .unwrap();
    update_user(&db, &someone(), ann, changes(&[Role::User], false))
        .await
        .unwrap();
    assert_eq!(get_user(&db, ann).await.unwrap().roles, vec![Role::User]);
}

/// A request's user is loaded with their roles in one join: every role comes back (once), a user
/// without any role is still found, and another user's roles never mix in.
#[tokio::test]
async fn the_user_of_a_request_comes_with_exactly_their_roles() {
    let db = memory_db().await;
    let ann = add(
        &db,
        "ann",
        &[Role::User, Role::Administrator, Role::DesignBusinessProcess],
    )
    .await;
    let ben = add(&db, "ben", &[Role::ManageDataSources]).await;
    let cat = add(&db, "cat", &[Role::User]).await;
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(cat))
        .exec(&db)
        .await
        .unwrap();

    let as_ann = find_active_user(&db, ann).await.unwrap().unwrap();
    let as_ben = find_active_user(&db, ben).await.unwrap().unwrap();
    let as_cat = find_active_user(&db, cat).await.unwrap().unwrap();

    assert_eq!(
        as_ann.roles,
        vec![Role::Administrator, Role::DesignBusinessProcess, Role::User]
    );
    assert_eq!((as_ann.id, as_ann.username.as_str()), (ann, "ann"));
    assert_eq!(as_ben.roles, vec![Role::ManageDataSources]);
    assert_eq!((as_cat.username.as_str(), as_cat.roles.len()), ("cat", 0));
    assert!(find_active_user(&db, cat + 100).await.unwrap().is_none());
}

#[tokio::test]
async fn administrators_cannot_disable_or_delete_themselves() {
    let db = memory_db().await;
    let ann = add(&db, "ann", &[Role::Administrator]).await;
    add(&db, "ben", &[Role::Administrator]).await;
    let me = find_active_user(&db, ann).await.unwrap().unwrap();

    let disable = update_user(&db, &me, ann, changes(&[Role::Administrator], true)).await;
    assert!(matches!(disable, Err(IdentityError::NotYourself(_))));
    let delete = delete_user(&db, &me, ann).await;
    assert!(matches!(delete, Err(IdentityError::NotYourself(_))));
    // renaming oneself is fine
    update_user(&db, &me, ann, changes(&[Role::Administrator], false))
        .await
        .unwrap();
}

/// Two administrators disable each other at the same moment, on a file database with several
/// connections: one wins, the other is refused, and an active administrator remains.
#[tokio::test]
async fn concurrent_changes_never_remove_the_last_administrator() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = connect_and_migrate(&format!(
            "sqlite://{}/wharf.db?mode=rwc",
            dir.path().display()
        ))
        .await
        .unwrap();
        let ann = add(&db, "ann", &[Role::Administrator]).await;
        let ben = add(&db, "ben", &[Role::Administrator]).await;
        let as_ann = find_active_user(&db, ann).await.unwrap().unwrap();
        let as_ben = find_active_user(&db, ben).await.unwrap().unwrap();

        let (a, b) = tokio::join!(
            update_user(&db, &as_ben, ann, changes(&[Role::Administrator], true)),
            update_user(&db, &as_ann, ben, changes(&[Role::User], false)),
        );

        assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
        assert!(
            [&a, &b]
                .iter()
                .any(|r| matches!(r, Err(IdentityError::LastAdministrator(_))))
        );
        assert_eq!(active_administrators(&db).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_password_set_by_an_administrator_must_be_changed_at_next_sign_in() {
    let (db, id) = with_alice().await;
    let short = set_password_by_admin(&db, &someone(), id, "short").await;
    assert_eq!(field_of(&short.unwrap_err()), Some("password"));

    set_password_by_admin(&db, &someone(), id, "temporary password 1")
        .await
        .unwrap();

    assert!(authenticate(&db, "alice", ALICE_PASSWORD).await.is_err());
    let alice = authenticate(&db, "alice", "temporary password 1")
        .await
        .unwrap();
    assert!(alice.must_change_password);
    let events = entity::audit_event::Entity::find().all(&db).await.unwrap();
    let reset = events
        .iter()
        .find(|e| e.action == "user_password_reset")
        .unwrap();
    assert_eq!(reset.data_source_id, None);
    assert!(!reset.detail.contains("temporary password 1"));
}

#[tokio::test]
async fn the_users_list_searches_pages_and_names_groups() {
    let db = memory_db().await;
    for i in 0..PAGE_SIZE + 2 {
        add(&db, &format!("user{i:03}"), &[Role::User]).await;
    }
    let carol = add(&db, "carol", &[Role::DesignBusinessProcess, Role::User]).await;
    let finance = crate::groups::create(&db, &someone(), "Finance", "")
        .await
        .unwrap();
    crate::groups::set_members(&db, &someone(), finance, &[carol])
        .await
        .unwrap();

    let first = list_users(&db, "", 0).await.unwrap();
    assert_eq!(first.total, PAGE_SIZE + 3);
    assert_eq!(first.rows.len() as u64, PAGE_SIZE);
    let second = list_users(&db, "", 1).await.unwrap();
    assert_eq!(second.rows.len(), 3);

    let found = list_users(&db, "CAR", 0).await.unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].groups, vec!["Finance".to_owned()]);
    assert_eq!(
        found.rows[0].roles,
        vec![Role::DesignBusinessProcess, Role::User]
    );
    // wildcards are matched literally
    assert_eq!(list_users(&db, "%", 0).await.unwrap().total, 0);
}

#[tokio::test]
async fn deleting_a_user_removes_their_roles_and_memberships_and_is_recorded() {
    let db = memory_db().await;
    let id = add(&db, "dan", &[Role::User]).await;
    let ops = crate::groups::create(&db, &someone(), "Ops", "")
        .await
        .unwrap();
    crate::groups::set_members(&db, &someone(), ops, &[id])
        .await
        .unwrap();

    delete_user(&db, &someone(), id).await.unwrap();

    assert!(matches!(
        get_user(&db, id).await,
        Err(IdentityError::NotFound)
    ));
    assert_eq!(user_role::Entity::find().count(&db).await.unwrap(), 0);
    assert_eq!(group_member::Entity::find().count(&db).await.unwrap(), 0);
    let actions: Vec<String> = entity::audit_event::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"user_created".to_owned()));
    assert!(actions.contains(&"user_deleted".to_owned()));
    assert!(matches!(
        delete_user(&db, &someone(), id).await,
        Err(IdentityError::NotFound)
    ));
}
