//! Slows repeated failed sign-ins, per account name and per client address. The account name need
//! not exist: an unknown name is throttled exactly like a real one, so throttling reveals nothing.
//! Kept in the database, so every instance behind a load balancer sees the same counts.
use crate::db::begin_write;
use entity::sign_in_failure;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    TransactionSession, TransactionTrait,
};
use std::time::Duration;
use time::OffsetDateTime;

/// Failures older than this are forgotten.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest a key is ever blocked.
pub const MAX_BLOCK: Duration = Duration::from_secs(15 * 60);
/// The first block, doubled with each further failure.
pub const FIRST_BLOCK: Duration = Duration::from_secs(30);

/// What is counted, and how many failures it may have before it is slowed down. An address is
/// allowed more: many people can share one (an office behind NAT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThrottleKey {
    Account(String),
    Address(String),
}

impl ThrottleKey {
    fn db_key(&self) -> String {
        match self {
            ThrottleKey::Account(name) => format!("user:{name}"),
            ThrottleKey::Address(addr) => format!("addr:{addr}"),
        }
    }

    fn free_failures(&self) -> i32 {
        match self {
            ThrottleKey::Account(_) => 5,
            ThrottleKey::Address(_) => 20,
        }
    }
}

/// Sign-in is refused until the block ends.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Too many failed sign-in attempts. Wait {} and try again.", wait_text(*.retry_after))]
pub struct Throttled {
    pub retry_after: Duration,
}

fn wait_text(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    if secs < 90 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

/// How long a key with `failures` recent failures is blocked after its latest one.
pub fn block_after(key: &ThrottleKey, failures: i32) -> Option<Duration> {
    let over = failures - key.free_failures();
    if over < 0 {
        return None;
    }
    let doubled = FIRST_BLOCK.saturating_mul(1u32 << over.min(16) as u32);
    Some(doubled.min(MAX_BLOCK))
}

/// Refuses while any of `keys` is blocked; answers the longest remaining wait.
pub async fn check(
    db: &impl ConnectionTrait,
    keys: &[ThrottleKey],
    now: OffsetDateTime,
) -> Result<Result<(), Throttled>, DbErr> {
    let mut longest: Option<Duration> = None;
    for key in keys {
        let Some(row) = sign_in_failure::Entity::find_by_id(key.db_key())
            .one(db)
            .await?
        else {
            continue;
        };
        if let Some(until) = row.blocked_until
            && until > now
        {
            let left = Duration::try_from(until - now).unwrap_or_default();
            longest = Some(longest.map_or(left, |l| l.max(left)));
        }
    }
    Ok(match longest {
        Some(retry_after) => Err(Throttled { retry_after }),
        None => Ok(()),
    })
}

/// Counts one failure against each key; blocks (and reports, in the log) a key past its allowance.
pub async fn record_failure(
    db: &(impl ConnectionTrait + TransactionTrait),
    keys: &[ThrottleKey],
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    for key in keys {
        let db_key = key.db_key();
        let existing = sign_in_failure::Entity::find_by_id(db_key.clone())
            .one(&txn)
            .await?;
        let (failures, first_failed_at) = match &existing {
            Some(row) if now - row.last_failed_at < WINDOW => {
                (row.failures + 1, row.first_failed_at)
            }
            _ => (1, now),
        };
        let blocked_until = block_after(key, failures).map(|block| now + block);
        if let Some(until) = blocked_until {
            tracing::warn!(
                key = %db_key,
                failures,
                blocked_until = %until,
                "repeated failed sign-ins: slowing this key down"
            );
        }
        match existing {
            Some(row) => {
                let mut row = row.into_active_model();
                row.failures = Set(failures);
                row.first_failed_at = Set(first_failed_at);
                row.last_failed_at = Set(now);
                row.blocked_until = Set(blocked_until);
                row.update(&txn).await?;
            }
            None => {
                sign_in_failure::ActiveModel {
                    key: Set(db_key),
                    failures: Set(failures),
                    first_failed_at: Set(first_failed_at),
                    last_failed_at: Set(now),
                    blocked_until: Set(blocked_until),
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    txn.commit().await
}

/// A successful sign-in clears the account's count (not the address's: one good password must not
/// wipe out the evidence of guessing at other accounts from the same place).
pub async fn record_success(db: &impl ConnectionTrait, account: &str) -> Result<(), DbErr> {
    sign_in_failure::Entity::delete_by_id(ThrottleKey::Account(account.to_owned()).db_key())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_five_free_failures_then_blocks_that_double_up_to_a_cap() {
        let account = ThrottleKey::Account("ann".into());
        assert_eq!(block_after(&account, 4), None);
        assert_eq!(block_after(&account, 5), Some(Duration::from_secs(30)));
        assert_eq!(block_after(&account, 6), Some(Duration::from_secs(60)));
        assert_eq!(block_after(&account, 7), Some(Duration::from_secs(120)));
        assert_eq!(block_after(&account, 40), Some(MAX_BLOCK));
        assert_eq!(block_after(&account, i32::MAX), Some(MAX_BLOCK));
    }

    #[test]
    fn an_address_is_allowed_more_failures_than_an_account() {
        let addr = ThrottleKey::Address("10.0.0.1".into());
        assert_eq!(block_after(&addr, 19), None);
        assert_eq!(block_after(&addr, 20), Some(FIRST_BLOCK));
    }

    #[test]
    fn the_message_says_how_long_to_wait() {
        let short = Throttled {
            retry_after: Duration::from_secs(30),
        };
        assert_eq!(
            short.to_string(),
            "Too many failed sign-in attempts. Wait 30 seconds and try again."
        );
        let long = Throttled {
            retry_after: Duration::from_secs(600),
        };
        assert!(long.to_string().contains("10 minutes"));
    }
}
