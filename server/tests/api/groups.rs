//! Administration > Groups over HTTP: names unique regardless of case, members replaced as a set.
use crate::helpers::{id_of, spawn_app, validation};
use reqwest::StatusCode;
use wharf_types::Role;

#[tokio::test]
async fn an_administrator_creates_a_group_sets_its_members_and_deletes_it() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let amy = id_of(app.add_user("amy", &[Role::User]).await).await;
    let bob = id_of(app.add_user("bob", &[Role::User]).await).await;

    let finance = id_of(app.save_group("", "Finance", &[&amy, &bob]).await).await;

    let list = app.groups("fin").await;
    assert_eq!(list.total, 1);
    assert_eq!(list.rows[0].name, "Finance");
    assert_eq!(list.rows[0].member_count, 2);
    assert_eq!(app.users("amy").await.rows[0].groups, ["Finance"]);

    // renamed, with bob only; then with nobody (no member_ids at all)
    id_of(app.save_group(&finance, "Finance team", &[&bob]).await).await;
    let group = app.group(&finance).await;
    assert_eq!(group.name, "Finance team");
    let members: Vec<&str> = group.members.iter().map(|m| m.username.as_str()).collect();
    assert_eq!(members, ["bob"]);
    id_of(app.save_group(&finance, "Finance team", &[]).await).await;
    assert!(app.group(&finance).await.members.is_empty());

    // the member picker finds users by name
    assert_eq!(app.group_candidates("BO").await[0].username, "bob");

    assert_eq!(
        app.call("delete_group", &[("id", &finance)]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.call("get_group", &[("id", &finance)]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_group_input_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let amy = id_of(app.add_user("amy", &[Role::User]).await).await;
    let ops = id_of(app.save_group("", "Ops", &[&amy]).await).await;

    let duplicate = validation(app.save_group("", "OPS", &[]).await).await;
    assert_eq!(duplicate.0.as_deref(), Some("name"));
    assert!(duplicate.1.contains("already exists"), "{}", duplicate.1);
    let blank = validation(app.save_group("", "  ", &[]).await).await;
    assert_eq!(blank.0.as_deref(), Some("name"));
    // an unknown member refuses the whole save: neither the rename nor the members change
    let unknown = validation(app.save_group(&ops, "Operations", &["424242"]).await).await;
    assert_eq!(unknown.0.as_deref(), Some("members"));

    let group = app.group(&ops).await;
    assert_eq!(group.name, "Ops");
    assert_eq!(group.members[0].username, "amy");
    assert_eq!(app.groups("").await.total, 1);
    assert_eq!(
        app.save_group("999", "Nowhere", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}
