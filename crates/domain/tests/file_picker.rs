//! What the forms file picker asks of the connector, against the sandbox over real HTTP: name search
//! paged with sealed cursors and confined to the data source's root, cached thumbnails, and creation
//! times from revisions.
use domain::confine::PathRefused;
use domain::connector::{CallbackOutcome, DropboxConnector, FilesError, PAGE_LIMIT};
use domain::testing::{dropbox_source, memory_db, user};
use domain::vault::Vault;
use domain::{AuthenticatedUser, data_sources};
use dropbox::SEARCH_PAGE_SIZE;
use dropbox_sandbox::RunningSandbox;
use dropbox_sandbox::sample::gradient_png;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use wharf_types::{ConnectorSettings, DataSourceKind, DropboxSettings, Role};

mod support;
use support::sandbox_and_hub;

struct World {
    sandbox: RunningSandbox,
    db: DatabaseConnection,
    connector: DropboxConnector,
    admin: AuthenticatedUser,
    account_id: String,
    /// Connected, rooted at `/Invoices`.
    invoices: i32,
}

async fn world() -> World {
    let (sandbox, hub) = sandbox_and_hub().await;
    let db = memory_db().await;
    let admin = user(&db, "ann", &[Role::Administrator]).await;
    let connector = DropboxConnector::new(db.clone(), Vault::from_key(&[7; 32]), hub);
    let account_id = sandbox.accounts()[0].account_id.clone();
    let mut world = World {
        sandbox,
        db,
        connector,
        admin,
        account_id,
        invoices: 0,
    };
    world
        .sandbox
        .seed_folder(&world.account_id, "/Invoices")
        .unwrap();
    world.invoices = world.connected_data_source("Invoices", "/Invoices").await;
    world
}

impl World {
    async fn connected_data_source(&self, name: &str, root: &str) -> i32 {
        let settings = DropboxSettings {
            root_folder: root.into(),
            ..Default::default()
        };
        let id = data_sources::create(
            &self.db,
            DataSourceKind::Dropbox,
            ConnectorSettings::new(name, settings),
            &self.admin,
        )
        .await
        .unwrap();
        let url = self
            .connector
            .begin_authorization(id, &self.admin)
            .await
            .unwrap();
        let (code, state) = self.allow_on_dropbox_page(&url).await;
        self.connector
            .complete_authorization(&state, CallbackOutcome::Code(code), &self.admin)
            .await
            .unwrap();
        id
    }

    /// Answers the sandbox's authorize page with "allow", as a person would; returns (code, state).
    async fn allow_on_dropbox_page(&self, url: &str) -> (String, String) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut form: Vec<(String, String)> = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        form.push(("account_id".into(), self.account_id.clone()));
        form.push(("decision".into(), "allow".into()));
        let answer = http
            .post(format!("{}/oauth2/authorize", self.sandbox.base_url()))
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
        let get = |k: &str| {
            location
                .query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        (get("code"), get("state"))
    }

    /// Puts a file into the account; answers its metadata.
    async fn seed(&self, path: &str, content: &[u8]) -> Value {
        self.sandbox
            .seed_file(&self.account_id, path, content)
            .await
            .unwrap()
    }

    fn calls(&self, route: &str) -> usize {
        self.sandbox
            .requests()
            .iter()
            .filter(|r| r.route == route)
            .count()
    }
}

fn paths(page: &domain::connector::FolderPage) -> Vec<String> {
    let mut v: Vec<String> = page.entries.iter().map(|e| e.path.clone()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn search_pages_through_the_results_with_a_sealed_cursor() {
    let w = world().await;
    let total = SEARCH_PAGE_SIZE as usize + 5;
    for i in 0..total {
        w.seed(&format!("/Invoices/INV-{i:03}.pdf"), b"%PDF").await;
    }
    w.seed("/Other/INV-999.pdf", b"%PDF").await;

    let first = w
        .connector
        .search_page(w.invoices, "", "inv", None, true)
        .await
        .unwrap();
    let next = first.next.clone().expect("more to come");
    let second = w
        .connector
        .search_page(w.invoices, "", "inv", Some(&next), true)
        .await
        .unwrap();

    assert_eq!(first.entries.len(), SEARCH_PAGE_SIZE as usize);
    assert_eq!(second.entries.len(), 5);
    assert_eq!(second.next, None);
    let all: BTreeSet<String> = paths(&first).into_iter().chain(paths(&second)).collect();
    assert_eq!(all.len(), total);
    assert!(
        all.iter()
            .all(|p| p.starts_with("INV-") && p.ends_with(".pdf")),
        "paths are relative to the root: {all:?}"
    );
    assert_eq!(w.calls("files/search/continue_v2"), 1);
}

#[tokio::test]
async fn search_never_leaves_the_root_whatever_the_query_or_folder() {
    let w = world().await;
    w.seed("/Invoices/2026/march-report.pdf", b"1").await;
    w.seed("/Other/march-report.pdf", b"2").await;
    w.seed("/Invoices-old/march-report.pdf", b"3").await;
    w.seed("/Other/..report.pdf", b"4").await;

    let found = w
        .connector
        .search_page(w.invoices, "", "report", None, true)
        .await
        .unwrap();
    let dots = w
        .connector
        .search_page(w.invoices, "", "..", None, true)
        .await
        .unwrap();
    let climbing = w
        .connector
        .search_page(w.invoices, "../Other", "report", None, true)
        .await;

    assert_eq!(paths(&found), vec!["2026/march-report.pdf"]);
    assert!(dots.entries.is_empty(), "{:?}", dots.entries);
    assert!(
        matches!(climbing, Err(FilesError::Path(PathRefused::Traversal))),
        "{climbing:?}"
    );
}

#[tokio::test]
async fn search_in_a_folder_keeps_only_its_children_unless_recursive() {
    let w = world().await;
    w.seed("/Invoices/2026/a-receipt.pdf", b"1").await;
    w.seed("/Invoices/2026/q1/b-receipt.pdf", b"2").await;
    w.seed("/Invoices/c-receipt.pdf", b"3").await;

    let direct = w
        .connector
        .search_page(w.invoices, "2026", "receipt", None, false)
        .await
        .unwrap();
    let below = w
        .connector
        .search_page(w.invoices, "/2026/", "receipt", None, true)
        .await
        .unwrap();

    assert_eq!(direct.folder, "2026");
    assert_eq!(paths(&direct), vec!["2026/a-receipt.pdf"]);
    assert_eq!(
        paths(&below),
        vec!["2026/a-receipt.pdf", "2026/q1/b-receipt.pdf"]
    );
}

#[tokio::test]
async fn a_cursor_from_another_search_folder_or_data_source_is_refused() {
    let w = world().await;
    for i in 0..=SEARCH_PAGE_SIZE {
        w.seed(&format!("/Invoices/2026/INV-{i:03}.pdf"), b"%PDF")
            .await;
    }
    let other = w.connected_data_source("Everything", "").await;
    let first = w
        .connector
        .search_page(w.invoices, "2026", "inv", None, true)
        .await
        .unwrap();
    let next = first.next.expect("a second page");

    let attempts = [
        (w.invoices, "2026", "invoice", next.as_str(), true),
        (w.invoices, "", "inv", next.as_str(), true),
        (w.invoices, "2026", "inv", next.as_str(), false),
        (other, "Invoices/2026", "inv", next.as_str(), true),
        (w.invoices, "2026", "inv", "forged-cursor", true),
    ];
    for (id, folder, query, cursor, recursive) in attempts {
        let refused = w
            .connector
            .search_page(id, folder, query, Some(cursor), recursive)
            .await;
        assert!(
            matches!(refused, Err(FilesError::StaleCursor)),
            "{id} {folder:?} {query:?} {recursive}: {refused:?}"
        );
    }
    assert_eq!(w.calls("files/search/continue_v2"), 0);
}

#[tokio::test]
async fn a_blank_or_over_long_query_is_refused_before_asking_dropbox() {
    let w = world().await;

    let blank = w
        .connector
        .search_page(w.invoices, "", "   ", None, true)
        .await;
    let long = w
        .connector
        .search_page(w.invoices, "", &"a".repeat(201), None, true)
        .await;

    assert!(matches!(blank, Err(FilesError::EmptyQuery)), "{blank:?}");
    assert!(matches!(long, Err(FilesError::QueryTooLong)), "{long:?}");
    assert!(blank.unwrap_err().is_invalid_input());
    assert_eq!(w.calls("files/search_v2"), 0);
}

#[tokio::test]
async fn a_thumbnail_is_fetched_once_per_revision() {
    let w = world().await;
    let first = w
        .seed("/Invoices/scan.png", &gradient_png([10, 80, 200]))
        .await;
    let rev = first["rev"].as_str().unwrap().to_owned();

    let a = w
        .connector
        .thumbnail(w.invoices, "scan.png", Some(&rev))
        .await
        .unwrap();
    let b = w
        .connector
        .thumbnail(w.invoices, "SCAN.png", Some(&rev))
        .await
        .unwrap();

    assert!(a.jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert_eq!(a, b);
    assert_eq!(a.rev, rev);
    assert_eq!(
        w.calls("files/get_thumbnail_v2"),
        1,
        "the second came from memory"
    );

    let changed = w
        .seed("/Invoices/scan.png", &gradient_png([200, 20, 20]))
        .await;
    let current = w
        .connector
        .thumbnail(w.invoices, "scan.png", None)
        .await
        .unwrap();
    let again = w
        .connector
        .thumbnail(w.invoices, "scan.png", None)
        .await
        .unwrap();

    assert_eq!(current.rev, changed["rev"].as_str().unwrap());
    assert_ne!(current.jpeg, a.jpeg);
    assert_eq!(current, again);
    assert_eq!(
        w.calls("files/get_thumbnail_v2"),
        2,
        "a new revision, one fetch"
    );
}

#[tokio::test]
async fn only_pictures_inside_the_root_have_thumbnails() {
    let w = world().await;
    w.seed("/Invoices/INV-1.pdf", b"%PDF-1.4").await;
    w.seed("/Other/secret.png", &gradient_png([1, 2, 3])).await;

    let pdf = w.connector.thumbnail(w.invoices, "INV-1.pdf", None).await;
    let outside = w
        .connector
        .thumbnail(w.invoices, "../Other/secret.png", None)
        .await;
    let missing = w.connector.thumbnail(w.invoices, "nowhere.png", None).await;

    assert!(matches!(pdf, Err(FilesError::NoThumbnail)), "{pdf:?}");
    assert!(matches!(outside, Err(FilesError::Path(_))), "{outside:?}");
    assert!(missing.unwrap_err().is_not_found());
    assert_eq!(w.calls("files/get_thumbnail_v2"), 0);
}

#[tokio::test]
async fn created_is_the_time_of_the_earliest_revision_and_is_remembered() {
    let w = world().await;
    let v1 = w.seed("/Invoices/contract.txt", b"v1").await;
    // Dropbox's times have whole seconds: a later second tells the revisions apart.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let v2 = w.seed("/Invoices/contract.txt", b"v2").await;
    let other = w.seed("/Invoices/other.txt", b"o").await;
    let file_id = v1["id"].as_str().unwrap().to_owned();
    assert_eq!(v2["id"], v1["id"], "one file, two revisions");
    let files = vec![
        ("contract.txt".to_owned(), file_id.clone()),
        // Another file's id at this path: not this file's Created time.
        (
            "contract.txt".to_owned(),
            other["id"].as_str().unwrap().to_owned(),
        ),
        ("gone.txt".to_owned(), "id:gone".to_owned()),
        ("../Other/x.txt".to_owned(), "id:outside".to_owned()),
    ];

    let created = w.connector.created_times(w.invoices, &files).await.unwrap();
    let revision_calls = w.calls("files/list_revisions");
    let again = w
        .connector
        .created_times(w.invoices, &files[..1])
        .await
        .unwrap();

    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[&file_id], v1["server_modified"].as_str().unwrap());
    assert_ne!(created[&file_id], v2["server_modified"].as_str().unwrap());
    assert_eq!(
        again,
        HashMap::from([(file_id.clone(), created[&file_id].clone())])
    );
    assert_eq!(
        w.calls("files/list_revisions"),
        revision_calls,
        "a remembered creation time costs no call"
    );
}

impl World {
    /// Saves the Invoices data source with this File pattern and Search in.
    async fn set_invoices(&self, file_pattern: &str, search_scope: wharf_types::SearchScope) {
        data_sources::update(
            &self.db,
            self.invoices,
            ConnectorSettings::new(
                "Invoices",
                DropboxSettings {
                    root_folder: "/Invoices".into(),
                    file_pattern: file_pattern.into(),
                    search_scope,
                    ..Default::default()
                },
            ),
            &self.admin,
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn the_file_pattern_hides_other_files_everywhere_and_refuses_them_by_path() {
    let w = world().await;
    w.seed("/Invoices/INV-1.pdf", b"%PDF").await;
    w.seed("/Invoices/Report.PDF", b"%PDF").await;
    w.seed("/Invoices/Welcome.txt", b"hi").await;
    w.seed("/Invoices/photo.png", &gradient_png([1, 2, 3]))
        .await;
    let old = w.seed("/Invoices/2026/old.txt", b"old").await;
    w.set_invoices("*.pdf", wharf_types::SearchScope::AllSubfolders)
        .await;

    let listed = w.connector.list_page(w.invoices, "", None).await.unwrap();
    let searched = w
        .connector
        .search_page(w.invoices, "", "o", None, true)
        .await
        .unwrap();
    let looked_up = w.connector.entry_at(w.invoices, "Welcome.txt").await;
    let folder = w.connector.entry_at(w.invoices, "2026").await.unwrap();
    let downloaded = w.connector.open_file(w.invoices, "welcome.TXT", None).await;
    let thumbnail = w.connector.thumbnail(w.invoices, "photo.png", None).await;
    let deleted = w.connector.delete_entry(w.invoices, "Welcome.txt").await;
    let old_id = old["id"].as_str().unwrap().to_owned();
    let created = w
        .connector
        .created_times(w.invoices, &[("2026/old.txt".into(), old_id)])
        .await
        .unwrap();

    assert_eq!(paths(&listed), vec!["2026", "INV-1.pdf", "Report.PDF"]);
    assert_eq!(
        paths(&searched),
        vec!["Report.PDF"],
        "old.txt and photo.png are not found"
    );
    for refused in [
        looked_up.map(drop),
        downloaded.map(drop),
        thumbnail.map(drop),
        deleted,
    ] {
        match refused {
            Err(e @ FilesError::FileTypeNotAllowed(_)) => assert_eq!(
                e.to_string(),
                "This file is not one of the file types this data source allows (*.pdf)."
            ),
            other => panic!("refused by the pattern, not {other:?}"),
        }
    }
    assert!(folder.is_folder, "folders are never refused");
    assert!(created.is_empty(), "{created:?}");
    assert_eq!(w.calls("files/download"), 0);
    assert_eq!(w.calls("files/get_thumbnail_v2"), 0);
    assert_eq!(w.calls("files/delete_v2"), 0);
}

#[tokio::test]
async fn a_data_source_searching_its_top_folder_only_keeps_to_the_folders_children() {
    let w = world().await;
    w.seed("/Invoices/2026/a-receipt.pdf", b"1").await;
    w.seed("/Invoices/2026/q1/b-receipt.pdf", b"2").await;
    w.set_invoices("", wharf_types::SearchScope::TopFolderOnly)
        .await;

    let asked_recursive = w
        .connector
        .search_page(w.invoices, "2026", "receipt", None, true)
        .await
        .unwrap();
    let from_root = w
        .connector
        .search_page(w.invoices, "", "receipt", None, true)
        .await
        .unwrap();

    assert_eq!(paths(&asked_recursive), vec!["2026/a-receipt.pdf"]);
    assert!(from_root.entries.is_empty(), "{:?}", from_root.entries);
}

#[tokio::test]
async fn a_data_source_never_authorized_is_not_connected_and_no_token_is_read() {
    let w = world().await;
    let never = dropbox_source(&w.db, "Never", &w.admin).await.unwrap();
    let calls_before = w.sandbox.requests().len();

    let listed = w.connector.list_page(never, "", None).await;
    let searched = w.connector.search_page(never, "", "x", None, true).await;
    let looked_up = w.connector.entry_at(never, "a.pdf").await;
    let downloaded = w.connector.open_file(never, "a.pdf", None).await;

    for result in [
        listed.map(drop),
        searched.map(drop),
        looked_up.map(drop),
        downloaded.map(drop),
    ] {
        assert!(
            matches!(result, Err(FilesError::NotConnected)),
            "{result:?}"
        );
    }
    assert_eq!(
        w.sandbox.requests().len(),
        calls_before,
        "Dropbox is not asked"
    );
}

#[tokio::test]
async fn paging_on_reads_the_next_page_ahead_and_lists_every_file_once() {
    let w = world().await;
    let total = 3 * PAGE_LIMIT as usize + 50;
    for n in 0..total {
        w.seed(&format!("/Invoices/f{n:04}.pdf"), b"%PDF").await;
    }
    w.sandbox.clear_requests();
    let first = w.connector.list_page(w.invoices, "", None).await.unwrap();
    let mut seen = paths(&first);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        w.calls("files/list_folder/continue"),
        0,
        "nothing is read ahead for a first page: most people never page on"
    );

    let second = w
        .connector
        .list_page(w.invoices, "", first.next.as_deref())
        .await
        .unwrap();
    seen.extend(paths(&second));
    // The third page is fetched while the second is shown.
    let mut waited = 0;
    while w.calls("files/list_folder/continue") < 2 && waited < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    assert_eq!(
        w.calls("files/list_folder/continue"),
        2,
        "page 2 and page 3 read ahead"
    );

    let mut next = second.next;
    while let Some(cursor) = next {
        let page = w
            .connector
            .list_page(w.invoices, "", Some(&cursor))
            .await
            .unwrap();
        seen.extend(paths(&page));
        next = page.next;
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        (seen.len(), unique.len()),
        (total, total),
        "every file once"
    );
    assert_eq!(
        (
            w.calls("files/list_folder"),
            w.calls("files/list_folder/continue")
        ),
        (1, 3),
        "one call per page, read ahead or not: none wasted past the last page"
    );

    // A page read ahead serves only the cursor it continues, in its own data source.
    let other = w.connected_data_source("Other", "/Invoices").await;
    let theirs = w.connector.list_page(other, "", None).await.unwrap();
    let refused = w
        .connector
        .list_page(w.invoices, "", theirs.next.as_deref())
        .await;
    assert!(
        matches!(refused, Err(FilesError::StaleCursor)),
        "{refused:?}"
    );
}
