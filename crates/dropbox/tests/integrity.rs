//! content_hash: corruption in transit is detected in both directions, never silent.

mod common;

use bytes::Bytes;
use common::proxy::{Proxy, Tamper};
use common::*;
use dropbox::{BLOCK_SIZE, DropboxError, DropboxHub, Space, WriteMode};

#[tokio::test]
async fn a_download_corrupted_in_transit_ends_in_a_content_hash_mismatch() {
    let w = world().await;
    // Two 4 MiB blocks, several hashing batches: the check runs beside the transfer.
    w.seed("/report.pdf", &pattern(BLOCK_SIZE + 50_000)).await;
    let proxy = Proxy::start(&w.sb.base_url()).await;
    let client = DropboxHub::new(config_for(&proxy.base_url))
        .unwrap()
        .client("p", w.store.clone(), Space::MyFiles);
    proxy.tamper("files/download", Tamper::FlipResponseByte, 1);

    let err = collect(client.download("/report.pdf", None).await.unwrap())
        .await
        .unwrap_err();

    assert!(
        matches!(err, DropboxError::ContentHashMismatch { .. }),
        "{err:?}"
    );
    assert!(err.user_message().contains("corrupted"));
}

#[tokio::test]
async fn an_upload_corrupted_in_transit_is_rejected_by_its_content_hash() {
    let w = world().await;
    let proxy = Proxy::start(&w.sb.base_url()).await;
    let client = DropboxHub::new(config_for(&proxy.base_url))
        .unwrap()
        .client("p", w.store.clone(), Space::MyFiles);
    proxy.tamper("files/upload", Tamper::FlipRequestByte, 1);

    let err = client
        .upload_bytes(
            "/x.txt",
            WriteMode::Overwrite,
            Bytes::from_static(b"precious"),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(err, DropboxError::ContentHashMismatch { .. }),
        "{err:?}"
    );
    assert!(
        w.content("/x.txt").await.is_none(),
        "nothing corrupt was stored"
    );
}

#[tokio::test]
async fn an_untampered_download_through_the_proxy_passes_the_check() {
    let w = world().await;
    let data = pattern(BLOCK_SIZE + 50_000);
    w.seed("/ok.bin", &data).await;
    let proxy = Proxy::start(&w.sb.base_url()).await;
    let client = DropboxHub::new(config_for(&proxy.base_url))
        .unwrap()
        .client("p", w.store.clone(), Space::MyFiles);

    let got = collect(client.download("/ok.bin", None).await.unwrap())
        .await
        .unwrap();

    assert!(got == data);
}
