//! A JetStream consumer that applies each payment effectively once — at-least-once delivery,
//! made harmless by an idempotent consumer — and a dead-letter stream for the messages that
//! fail every time.

use std::time::Duration;

#[allow(unused_imports)] // you will need them
use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, consumer::pull};
#[allow(unused_imports)]
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The producer's id for this payment: the same on every copy of it.
    pub event_id: String,
    pub customer: String,
    pub amount_cents: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("broker: {0}")]
    Broker(String),
    #[error("not an advisory: {0}")]
    Advisory(String),
}

/// Headers a dead letter carries, besides the original message's own.
pub const DEAD_STREAM: &str = "Dead-Letter-Stream";
pub const DEAD_SEQUENCE: &str = "Dead-Letter-Sequence";
pub const DEAD_SUBJECT: &str = "Dead-Letter-Subject";

/// The durable consumer billing reads with: it survives billing's restarts, every message is
/// acknowledged explicitly, unacknowledged ones come back after `ack_wait`, and none is
/// delivered more than `max_deliver` times.
pub fn consumer_config(durable: &str, max_deliver: i64, ack_wait: Duration) -> pull::Config {
    todo!("durable, explicit acks, ack_wait and max_deliver")
}

/// Applies `payment` unless it was applied before. Returns whether it was applied now.
/// The check and the effect are one transaction, and the check is the primary key of
/// `processed_events`: two copies racing cannot both get through.
pub async fn apply(pool: &PgPool, payment: &Payment) -> Result<bool, sqlx::Error> {
    todo!("record the event and apply it, once, in one transaction")
}

/// Fetches what `consumer` has now (waiting at most `wait`), applies each payment and
/// acknowledges it once it is applied (or was before); a payment that could not be applied is
/// asked for again. Returns how many messages were acknowledged.
pub async fn process_batch(
    consumer: &PullConsumer,
    pool: &PgPool,
    wait: Duration,
) -> Result<usize, BillingError> {
    todo!("fetch; apply; answer each message as its outcome deserves")
}

/// The subject of the advisory the server publishes when a message of `stream` has been
/// delivered `max_deliver` times by `consumer` and will not be delivered again.
pub fn max_deliveries_subject(stream: &str, consumer: &str) -> String {
    format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}")
}

/// The fields of the advisory you need.
#[allow(dead_code)]
#[derive(Deserialize)]
struct MaxDeliveries {
    stream: String,
    stream_seq: u64,
}

/// Handles one max-deliveries advisory: copies the message it names, payload and headers, to
/// `dead_subject` (a dead-letter stream captures it), with where it came from, and returns
/// once the dead-letter stream stored it. Forwarding the same advisory twice stores one copy.
pub async fn forward_dead_letter(
    js: &jetstream::Context,
    advisory: &async_nats::Message,
    dead_subject: &str,
) -> Result<(), BillingError> {
    todo!("fetch the message the advisory names and copy it to dead_subject")
}
