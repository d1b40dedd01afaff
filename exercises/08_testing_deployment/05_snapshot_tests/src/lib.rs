//! An order as the API returns it (JSON) and as the confirmation email tells it (text). This
//! implementation is correct: your job is the snapshot tests (in `tests/snapshots.rs`) that
//! pin both outputs down, so that any change to what a client or a customer receives shows.
//!
//! - [`place`] makes an order: a random id (UUID v4) and the current time (UTC), so no two
//!   runs give the same output.
//! - [`OrderResponse`] is the API's JSON: amounts are strings with two decimals (`"12.50"`),
//!   never floats; `status` is lowercase; `created_at` is RFC 3339; `discount` is absent when
//!   there is none.
//! - [`confirmation_email`] is the email's text: the lines, the discount, the total after it,
//!   and the shipping address.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: String,
    pub street: String,
    pub city: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Paid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub created_at: OffsetDateTime,
    pub customer: String,
    pub status: Status,
    pub lines: Vec<Line>,
    pub discount_cents: Option<u64>,
    pub ship_to: Address,
}

pub fn place(
    customer: &str,
    lines: Vec<Line>,
    discount_cents: Option<u64>,
    ship_to: Address,
) -> Order {
    Order {
        id: Uuid::new_v4(),
        created_at: OffsetDateTime::now_utc(),
        customer: customer.to_owned(),
        status: Status::Pending,
        lines,
        discount_cents,
        ship_to,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderResponse {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub customer: String,
    pub status: Status,
    pub lines: Vec<LineResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<String>,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineResponse {
    pub sku: String,
    pub quantity: u32,
    pub unit_price: String,
}

/// Cents as a decimal string: 1250 → "12.50".
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn total_cents(order: &Order) -> u64 {
    let sum: u64 = order
        .lines
        .iter()
        .map(|l| l.unit_price_cents * u64::from(l.quantity))
        .sum();
    sum.saturating_sub(order.discount_cents.unwrap_or(0))
}

pub fn response(order: &Order) -> OrderResponse {
    OrderResponse {
        id: order.id,
        created_at: order.created_at,
        customer: order.customer.clone(),
        status: order.status,
        lines: order
            .lines
            .iter()
            .map(|l| LineResponse {
                sku: l.sku.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price_cents),
            })
            .collect(),
        discount: order.discount_cents.map(money),
        total: money(total_cents(order)),
    }
}

pub fn confirmation_email(order: &Order) -> String {
    let date = order.created_at.date();
    let mut text = format!(
        "Hello {},\n\nthank you for your order {} of {date}.\n\n",
        order.customer, order.id
    );
    for l in &order.lines {
        text.push_str(&format!(
            "  {:>3} x {:<10} at {:>8} {:>10}\n",
            l.quantity,
            l.sku,
            money(l.unit_price_cents),
            money(l.unit_price_cents * u64::from(l.quantity))
        ));
    }
    if let Some(d) = order.discount_cents {
        text.push_str(&format!(
            "  {:<28} {:>10}\n",
            "discount",
            format!("-{}", money(d))
        ));
    }
    text.push_str(&format!(
        "  {:<28} {:>10}\n\nWe will ship it to:\n  {}\n  {}\n  {}\n",
        "total",
        money(total_cents(order)),
        order.ship_to.name,
        order.ship_to.street,
        order.ship_to.city
    ));
    text
}
