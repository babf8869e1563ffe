//! The Dropbox connector against the Dropbox-compatible sandbox over real HTTP: authorize like a
//! browser would, store tokens sealed, test, refuse replayed states, revoke on delete.
use domain::connector::{
    Authorization, CallbackOutcome, ConnectorError, DropboxConnector, REAUTHORIZE_HINT,
    RevokeOutcome, TestReport,
};
use domain::oauth_states::StateError;
use domain::testing::{dropbox_source, memory_db, user};
use domain::vault::Vault;
use domain::{AuthenticatedUser, data_sources};
use dropbox_sandbox::RunningSandbox;
use entity::dropbox_credential;
use sea_orm::{DatabaseConnection, EntityTrait};
use wharf_types::{ConnectorSettings, DataSourceStatus, DropboxSettings, Role};

mod support;
use support::{REDIRECT, sandbox_and_hub};

struct World {
    sandbox: RunningSandbox,
    db: DatabaseConnection,
    vault: Vault,
    connector: DropboxConnector,
    admin: AuthenticatedUser,
    other: AuthenticatedUser,
    data_source: i32,
}

async fn world() -> World {
    let (sandbox, hub) = sandbox_and_hub().await;
    let db = memory_db().await;
    let vault = Vault::from_key(&[9; 32]);
    let admin = user(&db, "ann", &[Role::Administrator]).await;
    let other = user(&db, "bob", &[Role::Administrator]).await;
    let data_source = dropbox_source(&db, "Sales", &admin).await.unwrap();
    let connector = DropboxConnector::new(db.clone(), vault.clone(), hub);
    World {
        sandbox,
        db,
        vault,
        connector,
        admin,
        other,
        data_source,
    }
}

impl World {
    /// Starts authorizing the data source as the administrator; answers the authorize URL.
    async fn begin(&self) -> String {
        self.connector
            .begin_authorization(self.data_source, &self.admin)
            .await
            .unwrap()
    }

    /// The stored credential row and its access token, unsealed.
    async fn stored_access_token(&self) -> (dropbox_credential::Model, String) {
        let row = dropbox_credential::Entity::find_by_id(self.data_source)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let access = self
            .vault
            .open_sealed(
                &row.access_token,
                &format!("data_source:{}:access_token", self.data_source),
            )
            .unwrap();
        (row, access)
    }

    /// Saves `settings` (name "Sales") as the administrator.
    async fn save_settings(&self, settings: DropboxSettings) {
        data_sources::update(
            &self.db,
            self.data_source,
            ConnectorSettings::new("Sales", settings),
            &self.admin,
        )
        .await
        .unwrap();
    }

    /// Tests the connection as the administrator would from the connector page.
    async fn test_as_admin(&self) -> TestReport {
        self.connector
            .test_connection(self.data_source, Some(&self.admin))
            .await
            .unwrap()
    }

    async fn status(&self) -> DataSourceStatus {
        data_sources::get(&self.db, self.data_source)
            .await
            .unwrap()
            .summary
            .status
    }
}

/// Opens the authorize URL and answers the sandbox's page as a person would; returns (code, state).
async fn answer_dropbox_page(
    world: &World,
    url: &str,
    decision: &str,
) -> (Option<String>, String, Option<String>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the authorize page opens");
    let parsed = url::Url::parse(url).unwrap();
    let mut form: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    form.push((
        "account_id".into(),
        world.sandbox.accounts()[0].account_id.clone(),
    ));
    form.push(("decision".into(), decision.into()));
    let answer = http
        .post(format!("{}/oauth2/authorize", world.sandbox.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let get = |k: &str| {
        location
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    (
        get("code"),
        get("state").expect("state comes back"),
        get("error"),
    )
}

async fn authorize(world: &World) -> Authorization {
    let url = world.begin().await;
    let (code, state, _) = answer_dropbox_page(world, &url, "allow").await;
    world
        .connector
        .complete_authorization(&state, CallbackOutcome::Code(code.unwrap()), &world.admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn authorizing_stores_sealed_tokens_and_tests_the_connection() {
    let world = world().await;

    let url = world.begin().await;
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("token_access_type=offline"),
        "{url}"
    );
    let (code, state, _) = answer_dropbox_page(&world, &url, "allow").await;
    let outcome = world
        .connector
        .complete_authorization(&state, CallbackOutcome::Code(code.unwrap()), &world.admin)
        .await
        .unwrap();

    let Authorization::Connected {
        data_source_id,
        test,
    } = outcome
    else {
        panic!("connected")
    };
    assert_eq!(data_source_id, world.data_source);
    assert!(test.ok, "{}", test.message);
    assert_eq!(test.status, DataSourceStatus::Ready);
    assert_eq!(
        test.account.unwrap().email,
        world.sandbox.accounts()[0].email
    );
    let (row, access) = world.stored_access_token().await;
    assert!(
        !row.access_token.contains(&access),
        "the access token is not stored in clear"
    );
    assert!(
        row.refresh_token.is_some(),
        "offline access gives a refresh token"
    );
    assert_eq!(world.status().await, DataSourceStatus::Ready);
}

#[tokio::test]
async fn a_replayed_or_foreign_state_is_refused_and_changes_nothing() {
    let world = world().await;
    let url = world.begin().await;
    let (code, state, _) = answer_dropbox_page(&world, &url, "allow").await;
    let code = code.unwrap();

    let foreign = world
        .connector
        .complete_authorization(&state, CallbackOutcome::Code(code.clone()), &world.other)
        .await;
    assert!(matches!(
        foreign,
        Err(ConnectorError::State(StateError::ForeignUser))
    ));
    world
        .connector
        .complete_authorization(&state, CallbackOutcome::Code(code.clone()), &world.admin)
        .await
        .unwrap();
    let replay = world
        .connector
        .complete_authorization(&state, CallbackOutcome::Code(code), &world.admin)
        .await;
    assert!(matches!(
        replay,
        Err(ConnectorError::State(StateError::UnknownOrUsed))
    ));
}

#[tokio::test]
async fn cancel_on_dropbox_leaves_the_data_source_incomplete() {
    let world = world().await;
    let url = world.begin().await;
    let (code, state, error) = answer_dropbox_page(&world, &url, "cancel").await;
    assert!(code.is_none());

    let outcome = world
        .connector
        .complete_authorization(
            &state,
            CallbackOutcome::Refused(error.unwrap_or_default()),
            &world.admin,
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Authorization::Cancelled { .. }));
    assert_eq!(world.status().await, DataSourceStatus::Incomplete);
    assert!(
        dropbox_credential::Entity::find_by_id(world.data_source)
            .one(&world.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_revoked_grant_turns_the_status_into_test_failed_with_the_reauthorize_hint() {
    let world = world().await;
    authorize(&world).await;
    let (_, access) = world.stored_access_token().await;

    assert!(world.sandbox.revoke_token(&access));
    let report = world.test_as_admin().await;

    assert!(!report.ok);
    assert_eq!(report.message, REAUTHORIZE_HINT);
    let detail = data_sources::get(&world.db, world.data_source)
        .await
        .unwrap();
    assert_eq!(detail.summary.status, DataSourceStatus::TestFailed);
    assert_eq!(detail.status_message.as_deref(), Some(REAUTHORIZE_HINT));
}

#[tokio::test]
async fn a_missing_root_folder_fails_the_test_with_what_to_do() {
    let world = world().await;
    authorize(&world).await;
    let settings = DropboxSettings {
        root_folder: "/Does not exist".into(),
        ..Default::default()
    };
    world.save_settings(settings).await;

    let report = world.test_as_admin().await;

    assert!(!report.ok);
    assert!(
        report.message.contains("“/Does not exist” does not exist"),
        "{}",
        report.message
    );
    assert_eq!(report.status, DataSourceStatus::TestFailed);
}

#[tokio::test]
async fn deleting_revokes_the_grant_at_dropbox_first() {
    let world = world().await;
    authorize(&world).await;

    let outcome = world
        .connector
        .revoke_for_delete(world.data_source)
        .await
        .unwrap();

    assert_eq!(outcome, RevokeOutcome::Revoked);
    assert!(
        world
            .sandbox
            .requests()
            .iter()
            .any(|r| r.route == "auth/token/revoke" && r.status == 200)
    );
    let after = world
        .connector
        .test_connection(world.data_source, None)
        .await
        .unwrap();
    assert!(!after.ok, "the revoked grant no longer works");
}

#[tokio::test]
async fn choosing_the_team_space_for_a_personal_account_fails_the_test_with_what_to_do() {
    let world = world().await;
    authorize(&world).await;
    let settings = DropboxSettings {
        space: wharf_types::DropboxSpace::TeamSpace,
        ..Default::default()
    };
    world.save_settings(settings).await;

    let report = world.test_as_admin().await;

    assert!(!report.ok);
    assert!(
        report.message.contains("no team space"),
        "{}",
        report.message
    );
    assert_eq!(report.status, DataSourceStatus::TestFailed);
    assert_eq!(
        report.account.unwrap().email,
        world.sandbox.accounts()[0].email,
        "the account is still shown"
    );
}
