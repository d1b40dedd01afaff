//! Read-modify-write without lost updates: row locks, or SERIALIZABLE with retries.

use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

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
    let tx = pool.begin().await?;
    read_change_write(
        tx,
        "SELECT balance FROM wallets WHERE id = $1 FOR UPDATE",
        id,
        &change,
    )
    .await
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
    retry_serializable(|| serializable_attempt(pool, id, &change)).await
}

async fn serializable_attempt<F>(pool: &PgPool, id: i64, change: &F) -> Result<i64, UpdateError>
where
    F: Fn(i64) -> Result<i64, String>,
{
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        .execute(&mut *tx)
        .await?;
    read_change_write(tx, "SELECT balance FROM wallets WHERE id = $1", id, change).await
}

/// The read-modify-write both strategies share, inside `tx`: read with `select`, apply `change`,
/// write, commit (the commit can fail with 40001 too: it is part of the attempt).
async fn read_change_write<F>(
    mut tx: Transaction<'_, Postgres>,
    select: &'static str,
    id: i64,
    change: &F,
) -> Result<i64, UpdateError>
where
    F: Fn(i64) -> Result<i64, String>,
{
    let balance: i64 = sqlx::query_scalar(select)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(UpdateError::NotFound)?;
    let new = change(balance).map_err(UpdateError::Rejected)?;
    sqlx::query("UPDATE wallets SET balance = $2 WHERE id = $1")
        .bind(id)
        .bind(new)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(new)
}

/// 40001 serialization_failure (and 40P01 deadlock_detected): the transaction did nothing and
/// may simply be run again.
pub fn is_serialization_failure(e: &sqlx::Error) -> bool {
    matches!(
        e.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("40001" | "40P01")
    )
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
    retry_serializable(|| async move {
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            .execute(&mut *tx)
            .await?;
        let owner: i64 = sqlx::query_scalar("SELECT owner FROM wallets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(UpdateError::NotFound)?;
        let total: i64 =
            sqlx::query_scalar("SELECT sum(balance)::BIGINT FROM wallets WHERE owner = $1")
                .bind(owner)
                .fetch_one(&mut *tx)
                .await?;
        if total < amount {
            return Err(UpdateError::Rejected("not enough".to_owned()));
        }
        let balance: i64 = sqlx::query_scalar(
            "UPDATE wallets SET balance = balance - $2 WHERE id = $1 RETURNING balance",
        )
        .bind(id)
        .bind(amount)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(balance)
    })
    .await
}

/// Runs `attempt` until it does not fail with a serialization failure, at most MAX_ATTEMPTS
/// times, with a short growing pause in between.
async fn retry_serializable<F, Fut>(attempt: F) -> Result<Updated, UpdateError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<i64, UpdateError>>,
{
    for n in 1..=MAX_ATTEMPTS {
        match attempt().await {
            Err(UpdateError::Database(e)) if is_serialization_failure(&e) => {
                tokio::time::sleep(Duration::from_millis(u64::from(n.min(20)))).await;
            }
            Ok(balance) => {
                return Ok(Updated {
                    balance,
                    attempts: n,
                });
            }
            Err(other) => return Err(other),
        }
    }
    Err(UpdateError::TooManyRetries)
}
