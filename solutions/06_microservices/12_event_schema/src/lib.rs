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

fn data<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, SchemaError> {
    serde_json::from_value(value).map_err(|e| SchemaError::Malformed(e.to_string()))
}

/// Reads a message, upcasting old versions to the current one.
pub fn decode(bytes: &[u8]) -> Result<Decoded, SchemaError> {
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| SchemaError::Malformed(e.to_string()))?;
    let event = match (envelope.event_type.as_str(), envelope.version) {
        (ORDER_PLACED, 1) => {
            let v1: OrderPlacedV1 = data(envelope.data)?;
            if !(v1.amount.is_finite() && v1.amount >= 0.0) {
                return Err(SchemaError::Malformed(format!("amount {}", v1.amount)));
            }
            Event::OrderPlaced(OrderPlaced {
                order_id: v1.order_id,
                // Dollars as a binary float: 4.35 * 100 is 434.99999999999994.
                amount_cents: (v1.amount * 100.0).round() as u64,
                currency: "USD".into(),
                coupon: None,
            })
        }
        (ORDER_PLACED, 2) => Event::OrderPlaced(data(envelope.data)?),
        (ORDER_CANCELLED, 1) => Event::OrderCancelled(data(envelope.data)?),
        (ORDER_PLACED, version) | (ORDER_CANCELLED, version) if version > 0 => {
            return Ok(Decoded::TooNew {
                event_type: envelope.event_type,
                version,
            });
        }
        (ORDER_PLACED | ORDER_CANCELLED, version) => {
            return Err(SchemaError::Malformed(format!("version {version}")));
        }
        _ => {
            return Ok(Decoded::Skipped {
                event_type: envelope.event_type,
            });
        }
    };
    Ok(Decoded::Event(event))
}

/// The newest version of `order.placed` this code writes when told to.
pub const ORDER_PLACED_LATEST: u32 = 2;

/// Writes `event`; `order.placed` in `order_placed_version` (1 while consumers that read only
/// version 1 are still running, then 2). An event version 1 cannot express is an error, not a
/// silent change of meaning.
pub fn encode(event: &Event, order_placed_version: u32) -> Result<Vec<u8>, SchemaError> {
    let envelope = match event {
        Event::OrderPlaced(placed) => match order_placed_version {
            1 => {
                // Beyond 2^53, a cent count is no longer exact as a JSON number read as f64.
                if placed.currency != "USD"
                    || placed.coupon.is_some()
                    || placed.amount_cents > 1 << 53
                {
                    return Err(SchemaError::NotRepresentable(
                        format!(
                            "order {} ({}, coupon {:?})",
                            placed.order_id, placed.currency, placed.coupon
                        ),
                        1,
                    ));
                }
                Envelope {
                    event_type: ORDER_PLACED.into(),
                    version: 1,
                    data: serde_json::json!({
                        "order_id": placed.order_id,
                        "amount": placed.amount_cents as f64 / 100.0,
                    }),
                }
            }
            2 => Envelope {
                event_type: ORDER_PLACED.into(),
                version: 2,
                data: serde_json::to_value(placed)
                    .map_err(|e| SchemaError::Malformed(e.to_string()))?,
            },
            other => {
                return Err(SchemaError::NotRepresentable(ORDER_PLACED.into(), other));
            }
        },
        Event::OrderCancelled(cancelled) => Envelope {
            event_type: ORDER_CANCELLED.into(),
            version: 1,
            data: serde_json::to_value(cancelled)
                .map_err(|e| SchemaError::Malformed(e.to_string()))?,
        },
    };
    serde_json::to_vec(&envelope).map_err(|e| SchemaError::Malformed(e.to_string()))
}
