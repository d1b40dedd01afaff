use event_schema::*;
use serde::Deserialize;
use serde_json::{Value, json};

fn bytes(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

fn placed(order_id: &str, amount_cents: u64, currency: &str, coupon: Option<&str>) -> Event {
    Event::OrderPlaced(OrderPlaced {
        order_id: order_id.into(),
        amount_cents,
        currency: currency.into(),
        coupon: coupon.map(str::to_owned),
    })
}

fn decoded(value: Value) -> Decoded {
    decode(&bytes(value.clone())).unwrap_or_else(|e| panic!("{value} must decode: {e}"))
}

#[test]
fn version_1_is_upcast_to_exact_cents() {
    for (amount, cents) in [
        (json!(12.3), 1230),
        (json!(0.29), 29),
        (json!(1.15), 115),
        (json!(4.35), 435),
        (json!(19.99), 1999),
        (json!(0), 0),
        (json!(7), 700),
    ] {
        let message = json!({ "type": "order.placed", "version": 1,
                              "data": { "order_id": "o-1", "amount": amount } });
        assert_eq!(
            decoded(message),
            Decoded::Event(placed("o-1", cents, "USD", None)),
            "version 1's amount {amount} (dollars, always USD) is {cents} cents: a binary \
             float is not exact (4.35 * 100 is 434.99999999999994), so the upcaster rounds \
             to the nearest cent — truncated, the customer is charged a cent less"
        );
    }
}

#[test]
fn version_2_is_read_as_it_is_with_or_without_the_later_optional_field() {
    let with = json!({ "type": "order.placed", "version": 2,
                       "data": { "order_id": "o-2", "amount_cents": 990, "currency": "EUR",
                                 "coupon": "WELCOME" } });
    assert_eq!(
        decoded(with),
        Decoded::Event(placed("o-2", 990, "EUR", Some("WELCOME")))
    );
    let before_coupons = json!({ "type": "order.placed", "version": 2,
                                 "data": { "order_id": "o-3", "amount_cents": 990,
                                           "currency": "EUR" } });
    assert_eq!(
        decoded(before_coupons),
        Decoded::Event(placed("o-3", 990, "EUR", None)),
        "`coupon` was added to version 2 as an optional field: events written before it \
         existed (they are still in the stream) must still be read"
    );
    let cancelled = json!({ "type": "order.cancelled", "version": 1,
                            "data": { "order_id": "o-3" } });
    assert_eq!(
        decoded(cancelled),
        Decoded::Event(Event::OrderCancelled(OrderCancelled {
            order_id: "o-3".into()
        }))
    );
}

#[test]
fn a_tolerant_reader_ignores_what_it_does_not_know() {
    let message = json!({
        "id": "evt-81", "occurred_at": "2026-12-01T10:00:00Z", "trace": { "id": "abc" },
        "data": { "gift_wrap": true, "currency": "USD", "amount_cents": 500, "order_id": "o-4",
                  "channel": { "kind": "app" } },
        "version": 2, "type": "order.placed",
    });
    assert_eq!(
        decoded(message),
        Decoded::Event(placed("o-4", 500, "USD", None)),
        "fields this code does not know (in the envelope and in the data) are a newer \
         producer's additions: a reader that refuses them breaks on every additive change"
    );
}

#[test]
fn other_types_are_skipped_and_newer_versions_are_not_guessed_at() {
    assert_eq!(
        decoded(json!({ "type": "invoice.sent", "version": 1, "data": { "x": 1 } })),
        Decoded::Skipped {
            event_type: "invoice.sent".into()
        },
        "a stream carries other services' events too: not an error, not ours"
    );
    let v3 = json!({ "type": "order.placed", "version": 3,
                     "data": { "order_id": "o-5", "amount_cents": 100, "currency": "USD" } });
    assert_eq!(
        decoded(v3),
        Decoded::TooNew {
            event_type: "order.placed".into(),
            version: 3
        },
        "version 3 exists because something changed incompatibly — that its fields look like \
         version 2's proves nothing (amount_cents may now be in thousandths). Read as version \
         2, it is silently wrong; skipped, it is lost. It is parked until this consumer knows it"
    );
    assert_eq!(
        decoded(json!({ "type": "order.cancelled", "version": 2, "data": {} })),
        Decoded::TooNew {
            event_type: "order.cancelled".into(),
            version: 2
        }
    );
}

#[test]
fn what_is_not_an_event_is_an_error() {
    let cases = [
        (b"not json".to_vec(), "not JSON"),
        (bytes(json!({ "version": 1, "data": {} })), "no type"),
        (
            bytes(json!({ "type": "order.placed", "data": {} })),
            "no version",
        ),
        (
            bytes(json!({ "type": "order.placed", "version": 0,
                          "data": { "order_id": "o", "amount": 1.0 } })),
            "version 0 never existed",
        ),
        (
            bytes(json!({ "type": "order.placed", "version": 2,
                          "data": { "order_id": "o", "amount_cents": 100 } })),
            "version 2 without its currency",
        ),
        (
            bytes(json!({ "type": "order.placed", "version": 2,
                          "data": { "order_id": "o", "amount_cents": "100", "currency": "USD" } })),
            "amount_cents as a string",
        ),
        (
            bytes(json!({ "type": "order.placed", "version": 1,
                          "data": { "order_id": "o", "amount": -5.0 } })),
            "a negative amount",
        ),
    ];
    for (message, why) in cases {
        assert!(
            matches!(decode(&message), Err(SchemaError::Malformed(_))),
            "{why}: Malformed, got {:?}",
            decode(&message)
        );
    }
}

#[test]
fn what_is_written_is_read_back() {
    for event in [
        placed("o-1", 1230, "USD", None),
        placed("o-2", 1, "EUR", Some("WELCOME")),
        placed("o-3", u64::MAX, "JPY", None),
        Event::OrderCancelled(OrderCancelled {
            order_id: "o-1".into(),
        }),
    ] {
        let written =
            encode(&event, ORDER_PLACED_LATEST).expect("the latest version writes anything");
        assert_eq!(decode(&written), Ok(Decoded::Event(event.clone())));
    }
}

/// The consumer that is still running the old code: it knows version 1 only.
#[derive(Debug, Deserialize, PartialEq)]
struct OldEnvelope {
    #[serde(rename = "type")]
    event_type: String,
    version: u32,
    data: OldOrderPlaced,
}

#[derive(Debug, Deserialize, PartialEq)]
struct OldOrderPlaced {
    order_id: String,
    amount: f64,
}

fn old_consumer(message: &[u8]) -> Option<(String, f64)> {
    let envelope: OldEnvelope = serde_json::from_slice(message).ok()?;
    (envelope.event_type == "order.placed" && envelope.version == 1)
        .then_some((envelope.data.order_id, envelope.data.amount))
}

#[test]
fn version_1_is_written_for_consumers_that_read_only_version_1() {
    let written = encode(&placed("o-9", 1230, "USD", None), 1).expect("a USD order fits version 1");
    assert_eq!(
        old_consumer(&written),
        Some(("o-9".to_string(), 12.3)),
        "during a rolling deploy, consumers running the old code are still reading: until \
         the last of them is upgraded, new producers write what they can read (version 1: \
         dollars)"
    );
    let cancelled = Event::OrderCancelled(OrderCancelled {
        order_id: "o-9".into(),
    });
    assert!(encode(&cancelled, 1).is_ok());
}

#[test]
fn what_version_1_cannot_say_is_not_written_as_version_1() {
    for (event, why) in [
        (
            placed("o-1", 990, "EUR", None),
            "a EUR order: version 1 means dollars",
        ),
        (
            placed("o-1", 990, "USD", Some("WELCOME")),
            "a coupon: version 1 has no field for it",
        ),
        (
            placed("o-1", (1 << 53) + 1, "USD", None),
            "2^53 + 1 cents: not exact as a JSON number read as f64",
        ),
    ] {
        assert!(
            matches!(encode(&event, 1), Err(SchemaError::NotRepresentable(..))),
            "{why}. Written anyway, an old consumer reads a different order than the one that \
             was placed — an error the producer can see beats a wrong charge nobody sees"
        );
    }
}

#[test]
fn a_rolling_deploy_loses_and_changes_nothing() {
    // The stream, in order: an old producer (version 1), new producers during the deploy
    // (still writing version 1), then new producers after it (version 2).
    let old_producer = |id: &str, amount: f64| {
        bytes(json!({ "type": "order.placed", "version": 1,
                      "data": { "order_id": id, "amount": amount } }))
    };
    let stream = [
        old_producer("o-1", 4.35),
        encode(&placed("o-2", 1999, "USD", None), 1).unwrap(),
        old_producer("o-3", 0.29),
        encode(&placed("o-4", 500, "EUR", Some("WELCOME")), 2).unwrap(),
        encode(&placed("o-5", 100, "USD", None), 2).unwrap(),
    ];
    let new_consumer: Vec<Decoded> = stream.iter().map(|m| decode(m).unwrap()).collect();
    assert_eq!(
        new_consumer,
        vec![
            Decoded::Event(placed("o-1", 435, "USD", None)),
            Decoded::Event(placed("o-2", 1999, "USD", None)),
            Decoded::Event(placed("o-3", 29, "USD", None)),
            Decoded::Event(placed("o-4", 500, "EUR", Some("WELCOME"))),
            Decoded::Event(placed("o-5", 100, "USD", None)),
        ],
        "the new consumer reads every event of the stream, whoever wrote it"
    );
    let old: Vec<Option<(String, f64)>> = stream[..3].iter().map(|m| old_consumer(m)).collect();
    assert_eq!(
        old,
        vec![
            Some(("o-1".to_string(), 4.35)),
            Some(("o-2".to_string(), 19.99)),
            Some(("o-3".to_string(), 0.29)),
        ],
        "the old consumer reads everything written before the switch to version 2"
    );
}
