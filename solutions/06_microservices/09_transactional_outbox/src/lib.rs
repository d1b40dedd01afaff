//! The transactional outbox: a change and the event that announces it are committed together,
//! and a relay publishes the events, at least once, never for a change that did not happen.

#[allow(unused_imports)]
use async_nats::jetstream::{self, message::PublishMessage};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub amount_cents: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("broker: {0}")]
    Publish(String),
}

/// The id of the event that announces `order`: the same however often it is published, so that
/// the stream (and every consumer) can recognise a repeat.
pub fn event_id(order: &Order) -> String {
    format!("order-placed-{}", order.id)
}

#[derive(Clone)]
pub struct Orders {
    pool: PgPool,
    /// The broker is at hand, and it is tempting; `place` must not use it.
    #[allow(dead_code)]
    js: jetstream::Context,
    /// The subject `order.placed` events are published on.
    subject: String,
}

impl Orders {
    pub fn new(pool: PgPool, js: jetstream::Context, subject: &str) -> Orders {
        Orders {
            pool,
            js,
            subject: subject.to_owned(),
        }
    }

    /// Stores `order` and its `order.placed` event, both or neither.
    pub async fn place(&self, order: &Order) -> Result<(), OutboxError> {
        let payload =
            serde_json::to_value(order).map_err(|e| OutboxError::Publish(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO orders (id, amount_cents) VALUES ($1, $2)")
            .bind(&order.id)
            .bind(order.amount_cents)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)")
            .bind(event_id(order))
            .bind(&self.subject)
            .bind(payload)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub struct Relay {
    pool: PgPool,
    js: jetstream::Context,
    batch: i64,
}

impl Relay {
    pub fn new(pool: PgPool, js: jetstream::Context, batch: i64) -> Relay {
        Relay { pool, js, batch }
    }

    /// Publishes up to `batch` unpublished events, oldest first, and marks them published.
    /// Returns how many it published. Rows another relay is publishing right now are skipped.
    pub async fn relay_once(&self) -> Result<usize, OutboxError> {
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(i64, String, String, serde_json::Value)> = sqlx::query_as(
            "SELECT id, event_id, subject, payload FROM outbox \
             WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.batch)
        .fetch_all(&mut *tx)
        .await?;
        let mut ids = Vec::with_capacity(rows.len());
        for (id, event_id, subject, payload) in rows {
            let message = PublishMessage::build()
                .message_id(event_id)
                .payload(payload.to_string().into());
            self.js
                .send_publish(subject, message)
                .await
                .map_err(|e| OutboxError::Publish(e.to_string()))?
                .await
                .map_err(|e| OutboxError::Publish(e.to_string()))?;
            ids.push(id);
        }
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ids.len())
    }
}
