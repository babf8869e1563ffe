//! A data source's Security dialog over HTTP: both lists and read-only saved, read back, audited.
use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use wharf_types::Grantee;

/// Saves data source `id`'s Security dialog as the form sends it; fails the test unless it saved.
async fn save_security(app: &TestApp, id: &str, lists: &[(&str, &str)]) {
    let mut form = vec![("id", id)];
    form.extend_from_slice(lists);
    let saved = app.call("save_data_source_security", &form).await;
    assert_eq!(
        saved.status(),
        StatusCode::OK,
        "{}",
        saved.text().await.unwrap()
    );
}

#[tokio::test]
async fn security_lists_are_saved_read_back_and_emptied_again_with_a_readable_audit_line() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Ledger").await;
    app.create_user("ivy", &[wharf_types::Role::User]).await;
    let found = app.grantees("iv").await;
    let ivy = match found.iter().find(|g| g.label == "ivy").map(|g| &g.grantee) {
        Some(Grantee::User(id)) => id.to_string(),
        other => panic!("ivy is not found as a user: {other:?}"),
    };

    save_security(
        &app,
        &id,
        &[
            ("users[0][User]", &ivy),
            ("users[1][Role]", "DesignBusinessProcess"),
            ("read_only", "true"),
        ],
    )
    .await;
    let view = app.security(&id).await;
    assert_eq!(view.users.len(), 2);
    assert!(view.users_restricted);
    assert!(view.administrators.is_empty());
    assert!(view.read_only);

    // Both lists empty, as the dialog sends them (no fields at all): back to the defaults.
    save_security(&app, &id, &[]).await;
    let view = app.security(&id).await;
    assert!(view.users.is_empty());
    assert!(!view.users_restricted);
    assert!(!view.read_only);

    let audit = app.data_source(&id).await.audit;
    let lines: Vec<&str> = audit.iter().map(|a| a.detail.as_str()).collect();
    assert!(
        lines.iter().any(|l| l
            .contains("Connection users: added ivy, Design business process (role)")
            && l.contains("Made read-only")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("now open to the default")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_grantee_that_does_not_exist_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Ledger").await;
    let refused = app
        .call(
            "save_data_source_security",
            &[("id", &id), ("administrators[0][Group]", "4242")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.security(&id).await.admins_restricted);
}
