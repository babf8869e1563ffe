//! Administration > Users over HTTP: adding, editing, disabling, resetting and deleting users, and the
//! rules that keep Wharf administrable.
use crate::helpers::{FIRST_PASSWORD, PASSWORD, TestApp, id_of, spawn_app, validation};
use reqwest::{Client, StatusCode};
use sea_orm::EntityTrait;
use wharf_types::Role;

/// `username` (added with [`FIRST_PASSWORD`]) signs in from a browser of their own and picks
/// `new_password`, as the first sign-in makes them.
async fn first_sign_in(app: &TestApp, username: &str, new_password: &str) -> Client {
    let browser = app.browser_signed_in_as(username, FIRST_PASSWORD).await;
    let changed = app
        .change_password_from(&browser, FIRST_PASSWORD, new_password, new_password)
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    browser
}

#[tokio::test]
async fn an_administrator_adds_a_user_who_chooses_their_own_password_at_first_sign_in() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;

    let id = id_of(
        app.add_user(
            "Dana",
            &[Role::ManageDataSources, Role::DesignBusinessProcess],
        )
        .await,
    )
    .await;

    let listed = app.users("dan").await.rows;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id.to_string(), id);
    assert_eq!(listed[0].username, "dana");
    assert_eq!(
        listed[0].roles,
        [Role::ManageDataSources, Role::DesignBusinessProcess]
    );
    assert!(listed[0].must_change_password);
    assert!(!listed[0].disabled);
    let wire = app.call("list_users", &[("search", "dan")]).await;
    assert!(!wire.text().await.unwrap().contains("password_hash"));

    // Dana signs in elsewhere: the password change comes first, then her roles apply
    let dana = app.browser_signed_in_as("DANA", FIRST_PASSWORD).await;
    let before = app
        .call_from(&dana, "list_data_sources", &[("search", "")])
        .await;
    assert_eq!(before.status(), StatusCode::FORBIDDEN);
    let changed = app
        .change_password_from(
            &dana,
            FIRST_PASSWORD,
            "dana's own password",
            "dana's own password",
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let after = app
        .call_from(&dana, "list_data_sources", &[("search", "")])
        .await;
    assert_eq!(after.status(), StatusCode::OK);
    assert_eq!(
        app.call_from(&dana, "list_users", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn bad_input_is_refused_at_its_field_and_creates_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    id_of(app.add_user("erin", &[Role::User]).await).await;
    let base = [
        ("username", "frank"),
        ("display_name", "Frank"),
        ("email", "frank@example.com"),
        ("password", "first password 1"),
        ("confirm_password", "first password 1"),
        ("roles[0]", "User"),
    ];
    let with = |key: &'static str, value: &'static str| {
        base.iter()
            .map(|&(k, v)| if k == key { (k, value) } else { (k, v) })
            .collect::<Vec<_>>()
    };
    let cases = [
        (with("username", "ERIN"), "username", "already exists"),
        (with("username", " "), "username", "Enter a user name."),
        (with("display_name", ""), "display_name", "name"),
        (with("email", "frank at example"), "email", "email address"),
        (
            with("confirm_password", "something else"),
            "confirm_password",
            "do not match",
        ),
        (
            with("password", "short"),
            "confirm_password",
            "do not match",
        ),
        (base[..5].to_vec(), "roles", "at least one role"),
    ];
    for (form, field, words) in cases {
        let (got_field, message) = validation(app.call("create_user", &form).await).await;
        assert_eq!(got_field.as_deref(), Some(field), "{message}");
        assert!(message.contains(words), "{message}");
    }
    let mut short = with("password", "short");
    short.retain(|(k, _)| *k != "confirm_password");
    short.push(("confirm_password", "short"));
    let (field, message) = validation(app.call("create_user", &short).await).await;
    assert_eq!(field.as_deref(), Some("password"));
    assert!(message.contains("at least 10 characters"), "{message}");

    assert_eq!(usernames(&app).await, ["admin", "erin"]);
}

#[tokio::test]
async fn the_last_active_administrator_cannot_be_demoted_disabled_or_deleted() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let admin = app.user_id_of("admin").await;

    let demote = app
        .update_user(&admin, "Administrator", &[Role::User], false)
        .await;
    let (field, message) = validation(demote).await;
    assert_eq!(field, None);
    assert!(message.contains("last active administrator"), "{message}");
    let disable_self = app
        .update_user(&admin, "Administrator", &[Role::Administrator], true)
        .await;
    assert!(
        validation(disable_self)
            .await
            .1
            .contains("your own account")
    );
    let delete_self = app.call("delete_user", &[("id", &admin)]).await;
    assert!(validation(delete_self).await.1.contains("your own account"));
    assert_eq!(
        app.users("admin").await.rows[0].roles,
        [Role::Administrator]
    );

    // with a second administrator, the first may step down — and then the second is the last one
    let bea = id_of(app.add_user("bea", &[Role::Administrator]).await).await;
    let step_down = app
        .update_user(&admin, "Administrator", &[Role::User], false)
        .await;
    assert_eq!(step_down.status(), StatusCode::OK);
    // the caller is no longer an administrator: refused from now on
    assert_eq!(
        app.update_user(&bea, "bea", &[Role::User], false)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// Two administrators, each in their own browser, disable each other at the same moment: one wins, the
/// other is told why, and Wharf keeps an administrator.
#[tokio::test]
async fn concurrent_changes_leave_one_active_administrator() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let admin = app.user_id_of("admin").await;
    let bea_id = id_of(app.add_user("bea", &[Role::Administrator]).await).await;
    let bea = first_sign_in(&app, "bea", "bea's own password").await;

    let disable_admin = [
        ("id", admin.as_str()),
        ("display_name", "Administrator"),
        ("roles[0]", "Administrator"),
        ("disabled", "true"),
    ];
    let bea_disables_admin = app.call_from(&bea, "update_user", &disable_admin);
    let admin_demotes_bea = app.update_user(&bea_id, "bea", &[Role::User], false);
    let (a, b) = tokio::join!(bea_disables_admin, admin_demotes_bea);

    // Either both requests got past sign-in and the database let one through (422 for the other), or
    // one committed before the other request was authorized: that caller is disabled (401) or no
    // longer an administrator (403) by then. All are correct; what must never happen is two 200s.
    let statuses = [a.status(), b.status()];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    let refused = if a.status() == StatusCode::OK { b } else { a };
    match refused.status() {
        StatusCode::UNPROCESSABLE_ENTITY => assert!(
            validation(refused)
                .await
                .1
                .contains("last active administrator")
        ),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {}
        other => panic!("the losing change answered {other}"),
    }
    let active_admins = domain::identity::list_users(&app.db, "", 0)
        .await
        .unwrap()
        .rows
        .into_iter()
        .filter(|u| !u.disabled && u.roles.contains(&Role::Administrator))
        .count();
    assert_eq!(active_admins, 1);
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_at_once() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.create_user("pat", &[Role::ManageDataSources]).await;
    let pat_id = app.user_id_of("pat").await;
    let pat = app.browser_signed_in_as("pat", PASSWORD).await;
    assert_eq!(
        app.call_from(&pat, "list_data_sources", &[("search", "")])
            .await
            .status(),
        StatusCode::OK
    );

    let disabled = app
        .update_user(&pat_id, "pat", &[Role::ManageDataSources], true)
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);

    // the very next call is anonymous, and so is the next page
    let next_call = app
        .call_from(&pat, "list_data_sources", &[("search", "")])
        .await;
    assert_eq!(next_call.status(), StatusCode::UNAUTHORIZED);
    let page = app.get_from(&pat, "/admin/data-sources").await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/sign-in?next=%2Fadmin%2Fdata-sources"
    );
    // signing in again is refused like a wrong password
    let again = app.sign_in_from(&pat, "pat", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(app.users("pat").await.rows[0].disabled);

    // enabled again, pat signs in anew; the old session stays ended
    let enabled = app
        .update_user(&pat_id, "pat", &[Role::ManageDataSources], false)
        .await;
    assert_eq!(enabled.status(), StatusCode::OK);
    assert_eq!(app.current_user_of(&pat).await, None);
}

#[tokio::test]
async fn a_reset_password_works_once_and_must_be_replaced() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    app.create_user("pat", &[Role::User]).await;
    let pat_id = app.user_id_of("pat").await;

    let mismatch = app
        .call(
            "set_user_password",
            &[
                ("id", &pat_id),
                ("password", "temporary pass 9"),
                ("confirm_password", "nope"),
            ],
        )
        .await;
    assert_eq!(
        validation(mismatch).await.0.as_deref(),
        Some("confirm_password")
    );
    let reset = app
        .call(
            "set_user_password",
            &[
                ("id", &pat_id),
                ("password", "temporary pass 9"),
                ("confirm_password", "temporary pass 9"),
            ],
        )
        .await;
    assert_eq!(reset.status(), StatusCode::OK);

    let pat = app.another_browser();
    let old = app.sign_in_from(&pat, "pat", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app.sign_in_from(&pat, "pat", "temporary pass 9").await;
    assert_eq!(new.status(), StatusCode::OK);
    let home = app.get_from(&pat, "/").await;
    assert_eq!(home.headers()["location"], "/change-password");

    // the audit trail says it happened, never what the password is
    let events = entity::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let reset = events
        .iter()
        .find(|e| e.action == "user_password_reset")
        .expect("recorded");
    assert_eq!(reset.data_source_id, None);
    assert!(
        events
            .iter()
            .all(|e| !e.detail.contains("temporary pass 9"))
    );
}

#[tokio::test]
async fn an_administrator_edits_and_deletes_a_user() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = id_of(app.add_user("gus", &[Role::User]).await).await;

    let saved = app
        .call(
            "update_user",
            &[
                ("id", &id),
                ("display_name", "Gus Grissom"),
                ("email", "gus@example.com"),
                ("roles[0]", "User"),
                ("roles[1]", "DesignBusinessProcess"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let gus = app.user(&id).await;
    assert_eq!(gus.display_name, "Gus Grissom");
    assert_eq!(gus.email.as_deref(), Some("gus@example.com"));
    assert_eq!(gus.roles, [Role::DesignBusinessProcess, Role::User]);
    let no_roles = app.update_user(&id, "Gus", &[], false).await;
    assert_eq!(validation(no_roles).await.0.as_deref(), Some("roles"));

    assert_eq!(
        app.call("delete_user", &[("id", &id)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.call("get_user", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("delete_user", &[("id", &id)]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_administrators_may_use_users_and_groups() {
    let app = spawn_app().await;
    app.create_user("dana", &[Role::ManageDataSources]).await;
    let calls: [(&str, &[(&str, &str)]); 9] = [
        ("get_user", &[("id", "1")]),
        (
            "create_user",
            &[
                ("username", "x"),
                ("display_name", "x"),
                ("password", "long password 1"),
                ("confirm_password", "long password 1"),
                ("roles[0]", "Administrator"),
            ],
        ),
        (
            "update_user",
            &[("id", "1"), ("display_name", "x"), ("roles[0]", "User")],
        ),
        (
            "set_user_password",
            &[
                ("id", "1"),
                ("password", "long password 1"),
                ("confirm_password", "long password 1"),
            ],
        ),
        ("delete_user", &[("id", "1")]),
        ("list_groups", &[]),
        ("get_group", &[("id", "1")]),
        ("save_group", &[("name", "x")]),
        ("delete_group", &[("id", "1")]),
    ];
    for (endpoint, form) in calls {
        assert_eq!(
            app.call(endpoint, form).await.status(),
            StatusCode::UNAUTHORIZED,
            "{endpoint}"
        );
    }
    app.sign_in("dana", PASSWORD).await;
    for (endpoint, form) in calls {
        assert_eq!(
            app.call(endpoint, form).await.status(),
            StatusCode::FORBIDDEN,
            "{endpoint}"
        );
    }
    assert_eq!(
        app.call("find_group_candidates", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    // nothing was changed by the refused calls
    assert_eq!(usernames(&app).await, ["admin", "dana"]);
}

/// Every user name, read from the database (whoever is signed in).
async fn usernames(app: &TestApp) -> Vec<String> {
    domain::identity::list_users(&app.db, "", 0)
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|u| u.username)
        .collect()
}
