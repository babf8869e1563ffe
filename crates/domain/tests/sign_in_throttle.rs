//! Throttling on a real database, with the clock passed in.
use domain::db::connect_and_migrate;
use domain::sign_in_throttle::{ThrottleKey, WINDOW, check, record_failure, record_success};
use std::time::Duration;
use time::OffsetDateTime;

#[tokio::test]
async fn five_failures_block_the_account_and_success_clears_it() {
    let db = connect_and_migrate("sqlite::memory:").await.unwrap();
    let keys = [
        ThrottleKey::Account("ann".into()),
        ThrottleKey::Address("10.0.0.9".into()),
    ];
    let t0 = OffsetDateTime::now_utc();
    for i in 0..4 {
        record_failure(&db, &keys, t0 + Duration::from_secs(i))
            .await
            .unwrap();
        assert!(
            check(&db, &keys, t0 + Duration::from_secs(i))
                .await
                .unwrap()
                .is_ok()
        );
    }
    record_failure(&db, &keys, t0 + Duration::from_secs(5))
        .await
        .unwrap();
    let blocked = check(&db, &keys, t0 + Duration::from_secs(6))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(blocked.retry_after, Duration::from_secs(29));
    // Over after the block …
    assert!(
        check(&db, &keys, t0 + Duration::from_secs(36))
            .await
            .unwrap()
            .is_ok()
    );
    // … and one more failure doubles it.
    record_failure(&db, &keys, t0 + Duration::from_secs(40))
        .await
        .unwrap();
    let again = check(&db, &keys, t0 + Duration::from_secs(40))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(again.retry_after, Duration::from_secs(60));
    record_success(&db, "ann").await.unwrap();
    assert!(
        check(&db, &keys[..1], t0 + Duration::from_secs(41))
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn failures_outside_the_window_are_forgotten() {
    let db = connect_and_migrate("sqlite::memory:").await.unwrap();
    let keys = [ThrottleKey::Account("bob".into())];
    let t0 = OffsetDateTime::now_utc();
    for i in 0..4 {
        record_failure(&db, &keys, t0 + Duration::from_secs(i))
            .await
            .unwrap();
    }
    let later = t0 + WINDOW + Duration::from_secs(10);
    record_failure(&db, &keys, later).await.unwrap();
    assert!(
        check(&db, &keys, later).await.unwrap().is_ok(),
        "the count restarted at 1"
    );
}
