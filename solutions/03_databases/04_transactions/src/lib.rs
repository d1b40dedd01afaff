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
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        match code.as_deref() {
            Some("23514") => TransferError::InsufficientFunds,
            _ => TransferError::Database(e.to_string()),
        }
    }
}

/// Moves `amount_cents` from `from` to `to` and records it in `transfers`, all or nothing.
pub async fn transfer(
    pool: &PgPool,
    from: i64,
    to: i64,
    amount_cents: i64,
) -> Result<(), TransferError> {
    if amount_cents <= 0 {
        return Err(TransferError::InvalidAmount);
    }
    let mut tx = pool.begin().await?;
    // Same lock order for every transfer: lower id first.
    let mut changes = [(from, -amount_cents), (to, amount_cents)];
    changes.sort_by_key(|(id, _)| *id);
    for (id, delta) in changes {
        let updated =
            sqlx::query("UPDATE accounts SET balance_cents = balance_cents + $1 WHERE id = $2")
                .bind(delta)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if updated.rows_affected() == 0 {
            // Returning drops `tx` without commit: everything is rolled back.
            return Err(TransferError::UnknownAccount(id));
        }
    }
    sqlx::query("INSERT INTO transfers (from_id, to_id, amount_cents) VALUES ($1, $2, $3)")
        .bind(from)
        .bind(to)
        .bind(amount_cents)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
