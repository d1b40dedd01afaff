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

#[allow(dead_code)]
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
        todo!("the order and its event: both or neither")
    }
}

#[allow(dead_code)]
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
        todo!("claim unpublished rows, publish each (stored by the stream), mark them")
    }
}
