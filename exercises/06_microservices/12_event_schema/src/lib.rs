//! Event schema evolution: versioned envelopes, upcasting, tolerant readers, and producers that
//! write what the slowest consumer still reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every event on the wire: `{"type": "...", "version": N, "data": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    pub data: Value,
}

pub const ORDER_PLACED: &str = "order.placed";
pub const ORDER_CANCELLED: &str = "order.cancelled";

/// `order.placed` as this code knows it (version 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub order_id: String,
    pub amount_cents: u64,
    pub currency: String,
    /// Added to version 2 later, without a new version: producers that predate it omit it.
    #[serde(default)]
    pub coupon: Option<String>,
}

/// Version 1 of `order.placed`: the amount in dollars, as a JSON number, always USD.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderPlacedV1 {
    pub order_id: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub order_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    OrderPlaced(OrderPlaced),
    OrderCancelled(OrderCancelled),
}

/// What a consumer makes of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Event(Event),
    /// A type this consumer does not handle: not its business, skip it.
    Skipped {
        event_type: String,
    },
    /// A version of a known type newer than this code: it cannot be read yet, and must not be
    /// lost (the consumer parks it until it is upgraded).
    TooNew {
        event_type: String,
        version: u32,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    #[error("not an event: {0}")]
    Malformed(String),
    #[error("{0} cannot be written in version {1}")]
    NotRepresentable(String, u32),
}

#[allow(dead_code)] // a helper for decode
fn data<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, SchemaError> {
    serde_json::from_value(value).map_err(|e| SchemaError::Malformed(e.to_string()))
}

/// Reads a message, upcasting old versions to the current one.
pub fn decode(bytes: &[u8]) -> Result<Decoded, SchemaError> {
    todo!("read the envelope, then its data by (type, version); upcast version 1")
}

/// The newest version of `order.placed` this code writes when told to.
pub const ORDER_PLACED_LATEST: u32 = 2;

/// Writes `event`; `order.placed` in `order_placed_version` (1 while consumers that read only
/// version 1 are still running, then 2). An event version 1 cannot express is an error, not a
/// silent change of meaning.
pub fn encode(event: &Event, order_placed_version: u32) -> Result<Vec<u8>, SchemaError> {
    todo!("write the version asked for, or say why it cannot be written")
}
