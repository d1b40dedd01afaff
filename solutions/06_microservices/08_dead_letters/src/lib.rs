//! A JetStream consumer that applies each payment effectively once — at-least-once delivery,
//! made harmless by an idempotent consumer — and a dead-letter stream for the messages that
//! fail every time.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, consumer::pull};
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
    pull::Config {
        durable_name: Some(durable.to_owned()),
        ack_policy: jetstream::consumer::AckPolicy::Explicit,
        ack_wait,
        max_deliver,
        ..Default::default()
    }
}

/// Applies `payment` unless it was applied before. Returns whether it was applied now.
/// The check and the effect are one transaction, and the check is the primary key of
/// `processed_events`: two copies racing cannot both get through.
pub async fn apply(pool: &PgPool, payment: &Payment) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let first = sqlx::query(
        "INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&payment.event_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        return Ok(false);
    }
    sqlx::query("INSERT INTO ledger (event_id, customer, amount_cents) VALUES ($1, $2, $3)")
        .bind(&payment.event_id)
        .bind(&payment.customer)
        .bind(payment.amount_cents)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE accounts SET balance_cents = balance_cents + $2 WHERE customer = $1")
        .bind(&payment.customer)
        .bind(payment.amount_cents)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Fetches what `consumer` has now (waiting at most `wait`), applies each payment and
/// acknowledges it once it is applied (or was before); a payment that could not be applied is
/// asked for again. Returns how many messages were acknowledged.
pub async fn process_batch(
    consumer: &PullConsumer,
    pool: &PgPool,
    wait: Duration,
) -> Result<usize, BillingError> {
    let broker = |e: String| BillingError::Broker(e);
    let mut messages = consumer
        .fetch()
        .max_messages(50)
        .expires(wait)
        .messages()
        .await
        .map_err(|e| broker(e.to_string()))?;
    let mut acked = 0;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| broker(e.to_string()))?;
        let answer = match serde_json::from_slice::<Payment>(&message.payload) {
            Err(_) => AckKind::Term,
            Ok(payment) => match apply(pool, &payment).await {
                Ok(_) => AckKind::Ack,
                Err(_) => AckKind::Nak(None),
            },
        };
        let done = matches!(answer, AckKind::Ack);
        message
            .ack_with(answer)
            .await
            .map_err(|e| broker(e.to_string()))?;
        acked += usize::from(done);
    }
    Ok(acked)
}

/// The subject of the advisory the server publishes when a message of `stream` has been
/// delivered `max_deliver` times by `consumer` and will not be delivered again.
pub fn max_deliveries_subject(stream: &str, consumer: &str) -> String {
    format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}")
}

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
    let broker = |e: String| BillingError::Broker(e);
    let advisory: MaxDeliveries = serde_json::from_slice(&advisory.payload)
        .map_err(|e| BillingError::Advisory(e.to_string()))?;
    let stream = js
        .get_stream(&advisory.stream)
        .await
        .map_err(|e| broker(e.to_string()))?;
    let original = stream
        .get_raw_message(advisory.stream_seq)
        .await
        .map_err(|e| broker(e.to_string()))?;
    let mut headers = original.headers.clone();
    headers.insert(DEAD_STREAM, advisory.stream.as_str());
    headers.insert(DEAD_SEQUENCE, advisory.stream_seq.to_string().as_str());
    headers.insert(DEAD_SUBJECT, original.subject.as_str());
    // A forwarder that crashed after publishing forwards again: one id per original message.
    headers.insert(
        "Nats-Msg-Id",
        format!("dead-{}-{}", advisory.stream, advisory.stream_seq).as_str(),
    );
    js.publish_with_headers(dead_subject.to_owned(), headers, original.payload)
        .await
        .map_err(|e| broker(e.to_string()))?
        .await
        .map_err(|e| broker(e.to_string()))?;
    Ok(())
}
