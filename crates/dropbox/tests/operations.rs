//! Every operation of the client against the sandbox over HTTP.

mod common;

use bytes::Bytes;
use common::*;
use dropbox::types::{Metadata, ThumbnailFormat, ThumbnailSize};
use dropbox::{DownloadRange, DropboxError, ListOptions, WriteMode, content_hash};
use dropbox_sandbox::{FaultKind, FaultSpec};
use futures::TryStreamExt;

fn names(entries: &[Metadata]) -> Vec<String> {
    let mut v: Vec<String> = entries
        .iter()
        .map(|m| match m {
            Metadata::File(f) => f.name.clone(),
            Metadata::Folder(f) => f.name.clone(),
            Metadata::Deleted(d) => format!("deleted:{}", d.name),
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn test_connection_reports_account_and_space_usage() {
    let w = world().await;

    let info = w.client.test_connection().await.unwrap();

    assert_eq!(info.account_id, w.account.account_id);
    assert_eq!(info.email, w.account.email);
    assert!(info.allocated_bytes.unwrap_or(0) > 0);
    assert!(!info.has_team_space);
}

#[tokio::test]
async fn get_metadata_returns_the_file_and_not_found_for_a_missing_path() {
    let w = world().await;
    w.seed("/Reports/q1.csv", b"a,b\n").await;

    let found = w.client.get_metadata("/reports/Q1.csv").await.unwrap();
    let missing = w.client.get_metadata("/nope.txt").await.unwrap_err();

    let Metadata::File(f) = found else {
        panic!("a file: {found:?}")
    };
    assert_eq!(f.size, 4);
    assert_eq!(
        f.content_hash.as_deref(),
        Some(content_hash(b"a,b\n").as_str())
    );
    assert!(matches!(missing, DropboxError::NotFound(_)), "{missing:?}");
    assert!(missing.user_message().contains("not found"));
}

#[tokio::test]
async fn list_folder_pages_through_every_entry() {
    let w = world().await;
    for i in 0..7 {
        w.seed(&format!("/Docs/f{i}.txt"), b"x").await;
    }

    let pages: Vec<_> = w
        .client
        .list_folder(ListOptions {
            path: "/Docs".into(),
            limit: Some(3),
            ..Default::default()
        })
        .try_collect()
        .await
        .unwrap();

    assert!(
        pages.len() >= 3,
        "limit 3 gives several pages: {}",
        pages.len()
    );
    let all: Vec<Metadata> = pages.iter().flat_map(|p| p.entries.clone()).collect();
    assert_eq!(names(&all).len(), 7);
    assert!(!pages.last().unwrap().has_more);
    assert!(pages.iter().all(|p| !p.restarted));
}

#[tokio::test]
async fn list_folder_restarts_from_scratch_when_the_cursor_is_reset() {
    let w = world().await;
    for i in 0..5 {
        w.seed(&format!("/Docs/f{i}.txt"), b"x").await;
    }
    let mut stream = w.client.list_folder(ListOptions {
        path: "/Docs".into(),
        limit: Some(2),
        ..Default::default()
    });
    let first = stream.try_next().await.unwrap().unwrap();
    assert!(first.has_more);

    w.sb.reset_cursors(&w.account.account_id).unwrap();
    let rest: Vec<_> =
        tokio::time::timeout(std::time::Duration::from_secs(20), stream.try_collect())
            .await
            .expect("listing ends")
            .unwrap();

    assert!(
        rest[0].restarted,
        "the page after a reset says the listing restarted"
    );
    let after: Vec<Metadata> = rest.iter().flat_map(|p| p.entries.clone()).collect();
    assert_eq!(names(&after).len(), 5, "the restarted listing is complete");
}

#[tokio::test]
async fn search_finds_files_by_name_across_pages() {
    let w = world().await;
    w.seed("/a/budget-2024.xlsx", b"1").await;
    w.seed("/b/budget-2025.xlsx", b"2").await;
    w.seed("/b/notes.txt", b"3").await;

    let pages: Vec<_> = w.client.search("budget", None).try_collect().await.unwrap();

    let found: Vec<Metadata> = pages.into_iter().flat_map(|p| p.entries).collect();
    assert_eq!(names(&found), vec!["budget-2024.xlsx", "budget-2025.xlsx"]);
}

#[tokio::test]
async fn download_streams_content_with_metadata_and_supports_ranges() {
    let w = world().await;
    let data = pattern(300_000);
    w.seed("/big.bin", &data).await;

    let whole = w.client.download("/big.bin", None).await.unwrap();
    assert_eq!(whole.metadata.size, 300_000);
    assert_eq!(whole.content_length, Some(300_000));
    let got = collect(whole).await.unwrap();
    let part = w
        .client
        .download(
            "/big.bin",
            Some(DownloadRange {
                start: 1000,
                end: Some(1999),
            }),
        )
        .await
        .unwrap();
    let got_part = collect(part).await.unwrap();

    assert_eq!(got, data);
    assert_eq!(got_part, &data[1000..2000]);
}

#[tokio::test]
async fn small_upload_is_one_call_and_checks_the_content_hash() {
    let w = world().await;

    let meta = w
        .client
        .upload_bytes(
            "/up/small.txt",
            WriteMode::Add,
            Bytes::from_static(b"hello"),
        )
        .await
        .unwrap();

    assert_eq!(
        meta.content_hash.as_deref(),
        Some(content_hash(b"hello").as_str())
    );
    assert_eq!(w.content("/up/small.txt").await.unwrap(), b"hello");
    assert_eq!(w.count("files/upload"), 1);
    assert_eq!(w.count("files/upload_session/start"), 0);
}

#[tokio::test]
async fn large_upload_uses_a_session_with_chunks_of_a_multiple_of_4_mib() {
    let w = world_with(dropbox_sandbox::SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    let data = pattern(9 * 1024 * 1024 + 123);

    let meta = w
        .client
        .upload(
            "/up/large.bin",
            WriteMode::Overwrite,
            stream_of(data.clone(), 100_000),
        )
        .await
        .unwrap();

    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(meta.content_hash.unwrap(), content_hash(&data));
    assert_eq!(w.content("/up/large.bin").await.unwrap(), data);
    assert_eq!(w.count("files/upload_session/start"), 1);
    // A concurrent session: two full chunks, then the tail that closes it; the finish carries none.
    assert_eq!(w.count("files/upload_session/append_v2"), 3);
    assert_eq!(w.count("files/upload_session/finish"), 1);
    assert_eq!(w.count("files/upload"), 0);
}

#[tokio::test]
async fn a_session_fed_as_bytes_arrive_is_committed_later_once() {
    let w = world_with(dropbox_sandbox::SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    let data = pattern(9 * 1024 * 1024 + 77);

    let mut upload = w.client.session_upload();
    for piece in data.chunks(300_001) {
        upload.push(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    let pending = upload.close().await.unwrap();
    // Kept in a database between the upload and the commit.
    let pending: dropbox::PendingUpload =
        serde_json::from_str(&serde_json::to_string(&pending).unwrap()).unwrap();
    assert_eq!(w.count("files/upload_session/finish"), 0);
    let meta = w
        .client
        .commit_upload(&pending, "/later/file.bin", WriteMode::Add, false)
        .await
        .unwrap();

    assert_eq!(pending.size, data.len() as u64);
    assert_eq!(meta.content_hash.unwrap(), content_hash(&data));
    assert_eq!(w.content("/later/file.bin").await.unwrap(), data);
    assert_eq!(w.count("files/upload_session/start"), 1);
    // Two full chunks, then the tail that closes the (concurrent) session.
    assert_eq!(w.count("files/upload_session/append_v2"), 3);
    // A session is committed once: a second commit is an upload-session error, not a second file.
    let again = w
        .client
        .commit_upload(&pending, "/later/again.bin", WriteMode::Add, false)
        .await
        .unwrap_err();
    assert!(matches!(again, DropboxError::UploadSession(_)), "{again:?}");
}

#[tokio::test]
async fn a_session_sends_the_next_chunk_while_dropbox_still_stores_one() {
    let w = world_with(dropbox_sandbox::SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    // Exactly three chunks: the session is closed by an empty append after them.
    let data = pattern(3 * 4 * 1024 * 1024);
    // Dropbox takes long over the first append to arrive; one sent only after its answer would be
    // the first to be answered.
    w.sb.add_fault(FaultSpec::new(
        "files/upload_session/append_v2",
        FaultKind::Delay { millis: 1500 },
    ));

    let mut upload = w.client.session_upload();
    for piece in data.chunks(1 << 20) {
        upload.push(Bytes::copy_from_slice(piece)).await.unwrap();
    }
    let pending = upload.close().await.unwrap();
    let meta = w
        .client
        .commit_upload(&pending, "/big/three.bin", WriteMode::Add, false)
        .await
        .unwrap();

    let appends: Vec<_> =
        w.sb.requests()
            .into_iter()
            .filter(|r| r.route == "files/upload_session/append_v2")
            .collect();
    assert_eq!(appends.len(), 4, "three chunks and the closing append");
    assert!(
        appends[0].fault.is_none(),
        "another append was answered while the delayed one was held: {appends:?}"
    );
    assert_eq!(meta.content_hash.unwrap(), content_hash(&data));
    assert_eq!(w.content("/big/three.bin").await.unwrap(), data);
}

#[tokio::test]
async fn an_append_of_a_session_whose_answer_is_cut_is_sent_again() {
    let w = world_with(dropbox_sandbox::SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    let data = pattern(2 * 4 * 1024 * 1024 + 5);
    // The append lands but its answer never arrives.
    w.sb.add_fault(FaultSpec::new(
        "files/upload_session/append_v2",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));

    let mut upload = w.client.session_upload();
    upload.push(Bytes::from(data.clone())).await.unwrap();
    let pending = upload.close().await.unwrap();
    let meta = w
        .client
        .commit_upload(&pending, "/big/cut.bin", WriteMode::Add, false)
        .await
        .unwrap();

    assert_eq!(
        w.count("files/upload_session/append_v2"),
        4,
        "3 and the one sent again"
    );
    assert_eq!(meta.content_hash.unwrap(), content_hash(&data));
    assert_eq!(w.content("/big/cut.bin").await.unwrap(), data);
}

#[tokio::test]
async fn a_session_of_a_small_or_empty_file_still_commits() {
    let w = world().await;
    for (name, data) in [("small.txt", b"small".to_vec()), ("empty.txt", Vec::new())] {
        let mut upload = w.client.session_upload();
        upload.push(Bytes::from(data.clone())).await.unwrap();
        let pending = upload.close().await.unwrap();
        let meta = w
            .client
            .commit_upload(&pending, &format!("/s/{name}"), WriteMode::Add, false)
            .await
            .unwrap();
        assert_eq!(meta.size, data.len() as u64);
        assert_eq!(w.content(&format!("/s/{name}")).await.unwrap(), data);
    }
}

#[tokio::test]
async fn upload_in_add_mode_to_an_existing_name_is_a_conflict() {
    let w = world().await;
    w.seed("/taken.txt", b"old").await;

    let err = w
        .client
        .upload_bytes("/taken.txt", WriteMode::Add, Bytes::from_static(b"new"))
        .await
        .unwrap_err();

    assert!(matches!(err, DropboxError::Conflict(_)), "{err:?}");
}

#[tokio::test]
async fn create_folder_move_copy_and_delete_change_the_tree() {
    let w = world().await;
    w.seed("/src/a.txt", b"A").await;

    let folder = w.client.create_folder("/Projects").await.unwrap();
    let dup = w.client.create_folder("/projects").await.unwrap_err();
    w.client
        .move_to("/src/a.txt", "/Projects/b.txt")
        .await
        .unwrap();
    w.client
        .copy_to("/Projects/b.txt", "/Projects/c.txt")
        .await
        .unwrap();
    w.client.delete("/src").await.unwrap();
    let gone = w.client.get_metadata("/src").await.unwrap_err();

    assert_eq!(folder.name, "Projects");
    assert!(matches!(dup, DropboxError::Conflict(_)), "{dup:?}");
    assert!(w.content("/src/a.txt").await.is_none());
    assert_eq!(w.content("/Projects/b.txt").await.unwrap(), b"A");
    assert_eq!(w.content("/Projects/c.txt").await.unwrap(), b"A");
    assert!(matches!(gone, DropboxError::NotFound(_)));
}

#[tokio::test]
async fn malformed_paths_are_reported_as_such() {
    let w = world().await;

    let err = w.client.get_metadata("no-leading-slash").await.unwrap_err();

    assert!(
        matches!(
            err,
            DropboxError::MalformedPath(_) | DropboxError::BadRequest(_)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn temporary_link_serves_the_file() {
    let w = world().await;
    w.seed("/share.txt", b"shared bytes").await;

    let link = w.client.temporary_link("/share.txt").await.unwrap();
    let body = reqwest::get(&link.link)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    assert_eq!(link.metadata.name, "share.txt");
    assert_eq!(&body[..], b"shared bytes");
}

#[tokio::test]
async fn revisions_are_listed_and_an_old_one_restored() {
    let w = world().await;
    w.seed("/doc.txt", b"v1").await;
    w.seed("/doc.txt", b"v2").await;

    let revs = w.client.list_revisions("/doc.txt", 10).await.unwrap();
    let oldest = revs
        .iter()
        .find(|r| r.size == 2 && r.content_hash.as_deref() == Some(&content_hash(b"v1")))
        .expect("v1 listed");
    let restored = w.client.restore("/doc.txt", &oldest.rev).await.unwrap();

    assert!(revs.len() >= 2);
    assert_eq!(restored.content_hash.unwrap(), content_hash(b"v1"));
    assert_eq!(w.content("/doc.txt").await.unwrap(), b"v1");
}

#[tokio::test]
async fn thumbnail_of_a_png_is_an_image() {
    let w = world().await;
    w.seed("/pic.png", &png(64, 48)).await;

    let thumb = w
        .client
        .thumbnail("/pic.png", ThumbnailFormat::Png, ThumbnailSize::W32h32)
        .await
        .unwrap();

    assert!(thumb.starts_with(b"\x89PNG"), "PNG signature");
}

#[tokio::test]
async fn longpoll_reports_changes_after_a_write() {
    let w = world().await;
    w.client.create_folder("/watched").await.unwrap();
    let cursor = w.client.latest_cursor("/watched", true).await.unwrap();
    let quiet = w
        .client
        .longpoll(&cursor, std::time::Duration::from_secs(30))
        .await
        .unwrap();

    w.seed("/watched/new.txt", b"n").await;
    let changed = w
        .client
        .longpoll(&cursor, std::time::Duration::from_secs(30))
        .await
        .unwrap();

    assert!(!quiet.changes, "nothing changed before the write");
    assert!(changed.changes);
}

#[tokio::test]
async fn longpoll_on_a_reset_cursor_is_a_cursor_reset_without_any_token_use() {
    let w = world().await;
    let cursor = w.client.latest_cursor("", true).await.unwrap();
    w.sb.reset_cursors(&w.account.account_id).unwrap();
    w.sb.clear_requests();

    let err = w
        .client
        .longpoll(&cursor, std::time::Duration::from_secs(30))
        .await
        .unwrap_err();

    assert!(matches!(err, DropboxError::CursorReset), "{err:?}");
    assert!(!err.is_transient(), "waiting does not help: list again");
    let log = w.sb.requests();
    assert_eq!(
        log.len(),
        1,
        "one longpoll, no retry and no refresh: {log:?}"
    );
    assert_eq!((log[0].status, log[0].token_id.as_deref()), (409, None));
}

/// A minimal valid RGB PNG (stored/uncompressed deflate blocks).
fn png(w: u32, h: u32) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[(x * 4) as u8, (y * 5) as u8, 128]);
        }
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, blk) in blocks.iter().enumerate() {
        z.push(u8::from(i == blocks.len() - 1));
        z.extend_from_slice(&(blk.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(blk.len() as u16)).to_le_bytes());
        z.extend_from_slice(blk);
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn a_listing_whose_cursor_keeps_being_reset_gives_up_instead_of_looping() {
    let w = world().await;
    for i in 0..4 {
        w.seed(&format!("/Docs/f{i}.txt"), b"x").await;
    }
    let mut stream = w.client.list_folder(ListOptions {
        path: "/Docs".into(),
        limit: Some(1),
        ..Default::default()
    });
    stream.try_next().await.unwrap();

    w.sb.add_fault(
        FaultSpec::new(
            "files/list_folder/continue",
            FaultKind::RouteError {
                tag: "reset".into(),
            },
        )
        .times(10),
    );
    let result: Result<Vec<_>, _> =
        tokio::time::timeout(std::time::Duration::from_secs(20), stream.try_collect())
            .await
            .expect("listing ends");

    assert!(
        matches!(result, Err(DropboxError::CursorReset)),
        "{result:?}"
    );
    assert_eq!(
        w.count("files/list_folder"),
        4,
        "the first listing and three restarts"
    );
}
