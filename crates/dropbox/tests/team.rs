//! Team spaces: a team member's data source set to TeamSpace addresses the team's root namespace.

mod common;

use bytes::Bytes;
use common::*;
use dropbox::types::Metadata;
use dropbox::{DropboxClient, ListOptions, MemoryTokenStore, Space, WriteMode};
use dropbox_sandbox::{AccountSpec, SandboxConfig};
use futures::TryStreamExt;
use std::sync::Arc;

async fn names(client: &DropboxClient) -> Vec<String> {
    let pages: Vec<_> = client
        .list_folder(ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    let mut v: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.entries)
        .map(|m| match m {
            Metadata::File(f) => f.name,
            Metadata::Folder(f) => f.name,
            Metadata::Deleted(d) => d.name,
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_team_member_lists_the_team_space_separately_from_their_own_files() {
    let w = world_with(
        SandboxConfig::for_tests()
            .with_account(AccountSpec::new("ana@acme.test").team_member("Acme"))
            .with_account(AccountSpec::new("ben@acme.test").team_member("Acme")),
        |c| c,
    )
    .await;
    let members: Vec<_> =
        w.sb.accounts()
            .into_iter()
            .filter(|a| a.team_member_id.is_some())
            .collect();
    assert_eq!(members.len(), 2);
    let (ana, ben) = (&members[0], &members[1]);
    let store = |a| {
        Arc::new(MemoryTokenStore::new(token_set(
            &issue(&w.sb, a, 14_400),
            14_400,
        )))
    };
    let ana_team = w.hub.client("ana-team", store(ana), Space::TeamSpace);
    let ana_home = w.hub.client("ana-home", store(ana), Space::MyFiles);
    let ben_team = w.hub.client("ben-team", store(ben), Space::TeamSpace);
    w.sb.seed_file(&ana.account_id, "/private.txt", b"mine")
        .await
        .unwrap();

    ana_team
        .upload_bytes(
            "/Shared Plan.txt",
            WriteMode::Add,
            Bytes::from_static(b"team"),
        )
        .await
        .unwrap();
    let ana_team_sees = names(&ana_team).await;
    let ben_team_sees = names(&ben_team).await;
    let ana_home_sees = names(&ana_home).await;

    assert!(ana_team.test_connection().await.unwrap().has_team_space);
    assert!(
        ana_team_sees.contains(&"Shared Plan.txt".to_string()),
        "{ana_team_sees:?}"
    );
    assert!(!ana_team_sees.contains(&"private.txt".to_string()));
    assert!(
        ben_team_sees.contains(&"Shared Plan.txt".to_string()),
        "teammates share the space"
    );
    assert_eq!(ana_home_sees, vec!["private.txt"]);
}

#[tokio::test]
async fn team_space_for_an_account_without_a_team_is_its_own_files() {
    let w = world().await;
    w.seed("/solo.txt", b"s").await;
    let client = w.hub.client("solo", w.store.clone(), Space::TeamSpace);

    let seen = names(&client).await;

    assert_eq!(seen, vec!["solo.txt"]);
}
