use crate::helpers::{json, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn security_lists_are_saved_read_back_and_emptied_again_with_a_readable_audit_line() {
    let app = spawn_app().await;
    app.sign_in_as_admin().await;
    let id = app.new_data_source("Ledger").await;
    app.create_user("ivy", &[wharf_types::Role::User]).await;
    let found = json(app.call("search_grantees", &[("query", "iv")]).await).await;
    let ivy = found
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "ivy")
        .expect("ivy is found")["grantee"]["User"]
        .to_string();

    let saved = app
        .call(
            "save_data_source_security",
            &[
                ("id", &id),
                ("users[0][User]", &ivy),
                ("users[1][Role]", "DesignBusinessProcess"),
                ("read_only", "true"),
            ],
        )
        .await;
    assert_eq!(
        saved.status(),
        StatusCode::OK,
        "{}",
        saved.text().await.unwrap()
    );
    let view = json(app.call("get_data_source_security", &[("id", &id)]).await).await;
    assert_eq!(view["users"].as_array().unwrap().len(), 2);
    assert_eq!(view["users_restricted"], true);
    assert_eq!(view["administrators"].as_array().unwrap().len(), 0);
    assert_eq!(view["read_only"], true);

    // Both lists empty, as the dialog sends them (no fields at all): back to the defaults.
    let emptied = app.call("save_data_source_security", &[("id", &id)]).await;
    assert_eq!(
        emptied.status(),
        StatusCode::OK,
        "{}",
        emptied.text().await.unwrap()
    );
    let view = json(app.call("get_data_source_security", &[("id", &id)]).await).await;
    assert_eq!(view["users"].as_array().unwrap().len(), 0);
    assert_eq!(view["users_restricted"], false);
    assert_eq!(view["read_only"], false);

    let detail = json(app.call("get_data_source", &[("id", &id)]).await).await;
    let lines: Vec<String> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["detail"].as_str().unwrap().to_owned())
        .collect();
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
    let view = json(app.call("get_data_source_security", &[("id", &id)]).await).await;
    assert_eq!(view["admins_restricted"], false);
}
