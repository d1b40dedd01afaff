//! Reference tests: the API's JSON and the email's text as snapshots. What changes on every run
//! (the id, the time) is redacted — but checked first, so that a malformed id or date cannot
//! hide behind its placeholder. The fixture has an amount under ten cents and a discount, and a
//! second order has none: what is absent is part of the output too.

use insta::internals::Content;
use snapshot_tests::{Address, Line, Order, confirmation_email, place, response};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

fn order(discount_cents: Option<u64>) -> Order {
    place(
        "Ada",
        vec![
            Line {
                sku: "BOOK-1".into(),
                quantity: 2,
                unit_price_cents: 1_250,
            },
            Line {
                sku: "PEN-7".into(),
                quantity: 3,
                unit_price_cents: 105,
            },
        ],
        discount_cents,
        Address {
            name: "Ada Lovelace".into(),
            street: "12 St James's Square".into(),
            city: "London SW1Y 4JH".into(),
        },
    )
}

/// Replaces a UUID by a placeholder after checking that it is one.
fn uuid(value: Content, _: insta::internals::ContentPath<'_>) -> &'static str {
    let text = value.as_str().expect("the id is a string");
    assert!(Uuid::parse_str(text).is_ok(), "not a UUID: {text}");
    "[uuid]"
}

/// Replaces an RFC 3339 timestamp by a placeholder after checking that it is one.
fn timestamp(value: Content, _: insta::internals::ContentPath<'_>) -> &'static str {
    let text = value.as_str().expect("created_at is a string");
    assert!(
        OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        "not RFC 3339: {text}"
    );
    "[timestamp]"
}

#[test]
fn the_api_response_of_an_order_with_a_discount() {
    insta::assert_json_snapshot!(response(&order(Some(300))), {
        ".id" => insta::dynamic_redaction(uuid),
        ".created_at" => insta::dynamic_redaction(timestamp),
    });
}

#[test]
fn the_api_response_of_an_order_without_a_discount() {
    insta::assert_json_snapshot!(response(&order(None)), {
        ".id" => insta::dynamic_redaction(uuid),
        ".created_at" => insta::dynamic_redaction(timestamp),
    });
}

#[test]
fn the_confirmation_email() {
    insta::with_settings!({filters => vec![
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
        (r"\d{4}-\d{2}-\d{2}", "[date]"),
    ]}, {
        insta::assert_snapshot!(confirmation_email(&order(Some(300))));
    });
}
