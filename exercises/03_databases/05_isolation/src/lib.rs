//! Read-modify-write without lost updates: row locks, or SERIALIZABLE with retries.

use std::time::Duration;

use sqlx::PgPool;

/// How often `update_serializable` tries before giving up.
pub const MAX_ATTEMPTS: u32 = 100;

#[derive(Debug)]
pub enum UpdateError {
    NotFound,
    /// The business rule (the closure) said no. Never retried: trying again cannot help.
    Rejected(String),
    /// Still failing to serialize after MAX_ATTEMPTS.
    TooManyRetries,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for UpdateError {
    fn from(e: sqlx::Error) -> Self {
        UpdateError::Database(e)
    }
}

/// A successful update: the new balance, and how many attempts it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    pub balance: i64,
    pub attempts: u32,
}

/// Reads the wallet's balance, computes the new one in Rust with `change`, writes it — holding a
/// row lock (`SELECT … FOR UPDATE`) from the read to the commit, so concurrent updates of the
/// same wallet queue up instead of overwriting each other.
pub async fn update_locked<F>(pool: &PgPool, id: i64, change: F) -> Result<i64, UpdateError>
where
    F: Fn(i64) -> Result<i64, String>,
{
    let _ = (pool, id, change);
    todo!()
}

/// The same read-modify-write in a SERIALIZABLE transaction, without locks: Postgres aborts one
/// of two conflicting transactions with SQLSTATE 40001, and this function runs it again (from
/// the read: the closure sees the new balance), up to MAX_ATTEMPTS times.
pub async fn update_serializable<F>(
    pool: &PgPool,
    id: i64,
    change: F,
) -> Result<Updated, UpdateError>
where
    F: Fn(i64) -> Result<i64, String>,
{
    // TODO: call serializable_attempt up to MAX_ATTEMPTS times; retry (after a short sleep) only
    // when it failed with a serialization failure; count the attempts.
    let _ = (pool, id, change, Duration::ZERO);
    todo!()
}

/// One attempt: begin, `SET TRANSACTION ISOLATION LEVEL SERIALIZABLE` (the transaction's first
/// statement), read the balance (no FOR UPDATE), apply `change`, write, commit.
async fn serializable_attempt<F>(pool: &PgPool, id: i64, change: &F) -> Result<i64, UpdateError>
where
    F: Fn(i64) -> Result<i64, String>,
{
    let _ = (pool, id, change);
    todo!()
}

/// 40001 serialization_failure (and 40P01 deadlock_detected): the transaction did nothing and
/// may simply be run again.
pub fn is_serialization_failure(e: &sqlx::Error) -> bool {
    let _ = e;
    todo!()
}

/// Withdraws `amount` from wallet `id` provided the owner's wallets *together* still hold at
/// least `amount` (one wallet may go below zero when another covers it). The rule reads every
/// wallet of the owner and writes only one, so no single-row conflict protects it: in a
/// SERIALIZABLE transaction, retried on 40001 like `update_serializable`. Too little money is
/// `Rejected("not enough")`.
pub async fn withdraw_serializable(
    pool: &PgPool,
    id: i64,
    amount: i64,
) -> Result<Updated, UpdateError> {
    // TODO: the same retry loop around a different attempt (factor the loop out): the owner of
    // `id`, the sum of the owner's balances, the check, the update of wallet `id`, the commit.
    let _ = (pool, id, amount);
    todo!()
}
