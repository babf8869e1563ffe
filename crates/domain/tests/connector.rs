//! The Dropbox connector against the Dropbox-compatible sandbox over real HTTP: authorize like a
//! browser would, store tokens sealed, test, refuse replayed states, revoke on delete.
use domain::connector::{
    Authorization, CallbackOutcome, ConnectorError, DropboxConnector, REAUTHORIZE_HINT,
    RevokeOutcome,
};
use domain::db::connect_and_migrate;
use domain::identity::{NewUser, create_user, find_active_user};
use domain::oauth_states::StateError;
use domain::vault::Vault;
use domain::{AuthenticatedUser, data_sources};
use dropbox::{DropboxConfig, DropboxEndpoints, DropboxHub, OAuthApp, Secret};
use dropbox_sandbox::{AppSpec, RunningSandbox, SandboxConfig, spawn};
use entity::dropbox_credential;
use sea_orm::{DatabaseConnection, EntityTrait};
use wharf_types::{ConnectorSettings, DataSourceKind, DataSourceStatus, DropboxSettings, Role};

const REDIRECT: &str = "http://wharf.test/oauth/dropbox/callback";

struct World {
    sandbox: RunningSandbox,
    db: DatabaseConnection,
    vault: Vault,
    connector: DropboxConnector,
    admin: AuthenticatedUser,
    other: AuthenticatedUser,
    data_source: i32,
}

async fn user(db: &DatabaseConnection, name: &str) -> AuthenticatedUser {
    let id = create_user(
        db,
        NewUser {
            username: name,
            display_name: name,
            email: None,
            password: "password123!",
            roles: &[Role::Administrator],
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    find_active_user(db, id).await.unwrap().unwrap()
}

async fn world() -> World {
    let sandbox = spawn(
        SandboxConfig::for_tests()
            .with_app(AppSpec::new("wharf", "wharf-secret").redirect_uri(REDIRECT)),
    )
    .await
    .unwrap();
    let app = OAuthApp {
        app_key: "wharf".into(),
        app_secret: Some(Secret::new("wharf-secret")),
        redirect_uri: REDIRECT.into(),
    };
    let hub = DropboxHub::new(
        DropboxConfig::new(DropboxEndpoints::all_at(&sandbox.base_url()).unwrap()).with_app(app),
    )
    .unwrap();
    let db = connect_and_migrate("sqlite::memory:").await.unwrap();
    let vault = Vault::from_key(&[9; 32]);
    let admin = user(&db, "ann").await;
    let other = user(&db, "bob").await;
    let data_source = data_sources::create(
        &db,
        DataSourceKind::Dropbox,
        ConnectorSettings::new("Sales", DropboxSettings::default()),
        &admin,
    )
    .await
    .unwrap();
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
    let url = world
        .connector
        .begin_authorization(world.data_source, &world.admin)
        .await
        .unwrap();
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

    let url = world
        .connector
        .begin_authorization(world.data_source, &world.admin)
        .await
        .unwrap();
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
    let row = dropbox_credential::Entity::find_by_id(world.data_source)
        .one(&world.db)
        .await
        .unwrap()
        .unwrap();
    let access = world
        .vault
        .open_sealed(
            &row.access_token,
            &format!("data_source:{}:access_token", world.data_source),
        )
        .unwrap();
    assert!(
        !row.access_token.contains(&access),
        "the access token is not stored in clear"
    );
    assert!(
        row.refresh_token.is_some(),
        "offline access gives a refresh token"
    );
    assert_eq!(
        data_sources::get(&world.db, world.data_source)
            .await
            .unwrap()
            .summary
            .status,
        DataSourceStatus::Ready
    );
}

#[tokio::test]
async fn a_replayed_or_foreign_state_is_refused_and_changes_nothing() {
    let world = world().await;
    let url = world
        .connector
        .begin_authorization(world.data_source, &world.admin)
        .await
        .unwrap();
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
    let url = world
        .connector
        .begin_authorization(world.data_source, &world.admin)
        .await
        .unwrap();
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
    assert_eq!(
        data_sources::get(&world.db, world.data_source)
            .await
            .unwrap()
            .summary
            .status,
        DataSourceStatus::Incomplete
    );
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
    let row = dropbox_credential::Entity::find_by_id(world.data_source)
        .one(&world.db)
        .await
        .unwrap()
        .unwrap();
    let access = world
        .vault
        .open_sealed(
            &row.access_token,
            &format!("data_source:{}:access_token", world.data_source),
        )
        .unwrap();

    assert!(world.sandbox.revoke_token(&access));
    let report = world
        .connector
        .test_connection(world.data_source, Some(&world.admin))
        .await
        .unwrap();

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
    data_sources::update(
        &world.db,
        world.data_source,
        ConnectorSettings::new("Sales", settings),
        &world.admin,
    )
    .await
    .unwrap();

    let report = world
        .connector
        .test_connection(world.data_source, Some(&world.admin))
        .await
        .unwrap();

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
    data_sources::update(
        &world.db,
        world.data_source,
        ConnectorSettings::new("Sales", settings),
        &world.admin,
    )
    .await
    .unwrap();

    let report = world
        .connector
        .test_connection(world.data_source, Some(&world.admin))
        .await
        .unwrap();

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
