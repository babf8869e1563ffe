//! Scripted faults: rate limits, server errors, cut connections and slow answers — and what gives up.

mod common;

use bytes::Bytes;
use common::*;
use dropbox::{DropboxError, ListOptions, RetryPolicy, WriteMode, content_hash};
use dropbox_sandbox::{FaultKind, FaultSpec, SandboxConfig};
use futures::TryStreamExt;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_it_names() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "users/get_space_usage",
        FaultKind::RateLimit { retry_after: 1 },
    ));

    let started = Instant::now();
    w.client.space_usage().await.unwrap();
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_secs(1), "waited {elapsed:?}");
    let statuses = w.statuses("users/get_space_usage");
    assert_eq!(statuses, vec![429, 200]);
}

#[tokio::test]
async fn a_429_on_a_write_is_retried_too_because_dropbox_did_not_perform_it() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "files/create_folder_v2",
        FaultKind::RateLimit { retry_after: 1 },
    ));

    w.client.create_folder("/after-429").await.unwrap();

    assert_eq!(w.count("files/create_folder_v2"), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_gives_up_as_rate_limited() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "users/get_space_usage",
        FaultKind::RateLimit { retry_after: 300 },
    ));

    let err = w.client.space_usage().await.unwrap_err();

    assert!(
        matches!(err, DropboxError::RateLimited { retry_after } if retry_after == Duration::from_secs(300)),
        "{err:?}"
    );
    assert_eq!(w.count("users/get_space_usage"), 1);
}

#[tokio::test]
async fn a_503_on_a_read_is_retried_with_backoff() {
    let w = world().await;
    w.seed("/a.txt", b"a").await;
    w.sb.add_fault(
        FaultSpec::new(
            "files/get_metadata",
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(2),
    );

    w.client.get_metadata("/a.txt").await.unwrap();

    assert_eq!(w.count("files/get_metadata"), 3);
}

#[tokio::test]
async fn persistent_5xx_gives_up_after_the_bounded_attempts_with_a_transient_error() {
    let w = world().await;
    w.sb.add_fault(
        FaultSpec::new(
            "files/list_folder",
            FaultKind::Status {
                status: 500,
                retry_after: None,
            },
        )
        .times(10),
    );

    let err = w
        .client
        .list_folder(ListOptions::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();

    assert!(
        matches!(err, DropboxError::Transient { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(w.count("files/list_folder"), 4);
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_503_on_a_write_is_not_repeated() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "files/create_folder_v2",
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));

    let err = w.client.create_folder("/once").await.unwrap_err();

    assert!(
        matches!(err, DropboxError::Transient { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(w.count("files/create_folder_v2"), 1);
}

#[tokio::test]
async fn a_connection_reset_mid_download_resumes_from_where_it_broke() {
    let w = world().await;
    let data = pattern(3 * 1024 * 1024);
    w.seed("/movie.bin", &data).await;
    w.sb.add_fault(FaultSpec::new(
        "files/download",
        FaultKind::ResetMidBody {
            after_bytes: 1_000_000,
        },
    ));

    let got = collect(w.client.download("/movie.bin", None).await.unwrap())
        .await
        .unwrap();

    assert_eq!(got.len(), data.len());
    assert!(got == data, "content intact after resuming");
    assert_eq!(w.count("files/download"), 2);
}

#[tokio::test]
async fn a_slow_answer_past_the_read_timeout_is_abandoned_and_retried() {
    let w = world_with(SandboxConfig::for_tests(), |mut c| {
        c.read_timeout = Duration::from_millis(400);
        c
    })
    .await;
    w.sb.add_fault(FaultSpec::new(
        "users/get_current_account",
        FaultKind::Delay { millis: 3000 },
    ));

    let started = Instant::now();
    w.client.current_account().await.unwrap();
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(2500),
        "did not wait for the slow answer: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_simply_awaited() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "users/get_current_account",
        FaultKind::Delay { millis: 300 },
    ));

    let started = Instant::now();
    w.client.current_account().await.unwrap();

    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(w.count("users/get_current_account"), 1);
}

#[tokio::test]
async fn an_upload_session_resumes_after_an_append_whose_answer_was_lost() {
    let w = world_with(SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    let data = pattern(13 * 1024 * 1024);
    // The chunk lands, but the connection dies before the answer: it is sent again (a concurrent
    // session takes a piece again at its offset).
    w.sb.add_fault(FaultSpec::new(
        "files/upload_session/append_v2",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));
    w.sb.add_fault(FaultSpec::new(
        "files/upload_session/append_v2",
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));

    let meta = w
        .client
        .upload(
            "/resumed.bin",
            WriteMode::Overwrite,
            stream_of(data.clone(), 1 << 20),
        )
        .await
        .unwrap();

    assert_eq!(meta.size, data.len() as u64);
    assert!(w.content("/resumed.bin").await.unwrap() == data);
    assert_eq!(meta.content_hash.unwrap(), content_hash(&data));
    let appends = w.statuses("files/upload_session/append_v2");
    assert!(appends.contains(&503), "{appends:?}");
    // Three full chunks and the closing tail, the one whose answer was lost and the one refused.
    assert_eq!(appends.len(), 6, "{appends:?}");
}

#[tokio::test]
async fn a_single_upload_in_add_mode_is_not_repeated_after_a_lost_answer() {
    let w = world_with(SandboxConfig::for_tests(), |c| {
        c.with_retry(RetryPolicy {
            max_attempts: 3,
            ..fast_retry()
        })
    })
    .await;
    w.sb.add_fault(FaultSpec::new(
        "files/upload",
        FaultKind::ResetMidBody { after_bytes: 0 },
    ));

    let err = w
        .client
        .upload_bytes("/once.txt", WriteMode::Add, Bytes::from_static(b"x"))
        .await
        .unwrap_err();

    assert!(matches!(err, DropboxError::Transient { .. }), "{err:?}");
    assert_eq!(w.count("files/upload"), 1);
}

#[tokio::test]
async fn a_503_with_retry_after_waits_that_long_before_the_retry() {
    let w = world().await;
    w.sb.add_fault(FaultSpec::new(
        "users/get_space_usage",
        FaultKind::Status {
            status: 503,
            retry_after: Some(1),
        },
    ));

    let started = Instant::now();
    w.client.space_usage().await.unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(w.count("users/get_space_usage"), 2);
}

#[tokio::test]
async fn a_source_failing_mid_upload_is_a_source_error_and_nothing_is_committed() {
    let w = world_with(SandboxConfig::for_tests(), |mut c| {
        c.upload_chunk_size = 4 * 1024 * 1024;
        c
    })
    .await;
    let ok = Bytes::from(pattern(6 * 1024 * 1024));
    let broken = futures::stream::iter([Ok(ok), Err(std::io::Error::other("disk went away"))]);

    let err = w
        .client
        .upload("/half.bin", WriteMode::Overwrite, broken)
        .await
        .unwrap_err();

    assert!(matches!(err, DropboxError::Source(_)), "{err:?}");
    assert_eq!(w.count("files/upload_session/finish"), 0);
    assert!(w.content("/half.bin").await.is_none());
}
