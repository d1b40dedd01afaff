//! Order events over NATS JetStream: stored once however often they are published, applied at
//! least once however often applying fails.

#[allow(unused_imports)]
use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, message::PublishMessage};
#[allow(unused_imports)]
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
    todo!("publish the order as JSON, with an id JetStream can recognise it by")
}

/// Hands every order `consumer` has now to `apply`, and tells the server what became of it:
/// applied orders are acknowledged, orders whose `apply` failed come again, and a message that
/// is not an order at all is never delivered again. Returns how many orders were applied.
pub async fn process_pending(
    consumer: &PullConsumer,
    mut apply: impl FnMut(&Order) -> Result<(), Transient>,
) -> Result<usize, EventError> {
    todo!("fetch what is pending; apply, then acknowledge each message as its outcome deserves")
}
