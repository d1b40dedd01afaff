//! An atomic money transfer.

use sqlx::PgPool;

#[derive(Debug, PartialEq, Eq)]
pub enum TransferError {
    /// The amount is zero or negative.
    InvalidAmount,
    /// One of the two accounts does not exist.
    UnknownAccount(i64),
    /// The source would go below zero (the CHECK constraint refused it: SQLSTATE 23514).
    InsufficientFunds,
    /// Anything else the database said.
    Database(String),
}

impl From<sqlx::Error> for TransferError {
    fn from(e: sqlx::Error) -> Self {
        TransferError::Database(e.to_string())
    }
}

/// Moves `amount_cents` from `from` to `to` and records it in `transfers`, all or nothing.
/// Updates the two accounts in the order of their ids, so concurrent transfers cannot deadlock.
pub async fn transfer(
    pool: &PgPool,
    from: i64,
    to: i64,
    amount_cents: i64,
) -> Result<(), TransferError> {
    todo!(
        "pool.begin(), two UPDATEs in id order (check rows_affected), INSERT INTO transfers, commit"
    )
}
