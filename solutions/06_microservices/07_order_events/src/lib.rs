//! Order events over NATS JetStream: stored once however often they are published, applied at
//! least once however often applying fails.

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, message::PublishMessage};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub amount_cents: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("cannot publish: {0}")]
    Publish(String),
    #[error("cannot fetch: {0}")]
    Fetch(String),
    #[error("cannot acknowledge: {0}")]
    Ack(String),
}

/// Applying an order failed for a reason that may pass (the database was briefly away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transient;

/// Publishes `order` on `subject` and returns once the stream has stored it. Publishing the
/// same order again (a retry after a lost acknowledgement) stores nothing new.
pub async fn publish_order(
    js: &jetstream::Context,
    subject: &str,
    order: &Order,
) -> Result<(), EventError> {
    let payload = serde_json::to_vec(order).map_err(|e| EventError::Publish(e.to_string()))?;
    let publish = PublishMessage::build()
        .payload(payload.into())
        .message_id(&order.id);
    js.send_publish(subject.to_owned(), publish)
        .await
        .map_err(|e| EventError::Publish(e.to_string()))?
        .await
        .map_err(|e| EventError::Publish(e.to_string()))?;
    Ok(())
}

/// Hands every order `consumer` has now to `apply`, and tells the server what became of it:
/// applied orders are acknowledged, orders whose `apply` failed come again, and a message that
/// is not an order at all is never delivered again. Returns how many orders were applied.
pub async fn process_pending(
    consumer: &PullConsumer,
    mut apply: impl FnMut(&Order) -> Result<(), Transient>,
) -> Result<usize, EventError> {
    let mut messages = consumer
        .fetch()
        .max_messages(100)
        .messages()
        .await
        .map_err(|e| EventError::Fetch(e.to_string()))?;
    let mut applied = 0;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| EventError::Fetch(e.to_string()))?;
        let outcome = match serde_json::from_slice::<Order>(&message.payload) {
            // It will not parse next time either: retrying it would block nothing but cost
            // forever. Terminated, the server reports it for a human (or a dead-letter stream).
            Err(_) => message.ack_with(AckKind::Term).await,
            Ok(order) => match apply(&order) {
                Ok(()) => {
                    applied += 1;
                    message.ack().await
                }
                Err(Transient) => message.ack_with(AckKind::Nak(None)).await,
            },
        };
        outcome.map_err(|e| EventError::Ack(e.to_string()))?;
    }
    Ok(applied)
}
