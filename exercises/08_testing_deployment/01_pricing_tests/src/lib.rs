//! The price of an order. This implementation is correct: your job in this exercise is the
//! tests (in `tests/pricing.rs`) that prove it, and that would catch it going wrong.
//!
//! The rules, in the order they apply (README.md has them with examples):
//!
//! 1. Each line costs its unit price × its quantity. A line of 10 or more units gets 10 % off
//!    that line (a bulk discount, per line: 6 + 6 units of two products get none).
//! 2. A member gets 5 % off the whole order after the bulk discounts.
//! 3. Then the coupon, if any: `PercentOff(p)` takes p % off (1 ≤ p ≤ 100; anything else is
//!    an invalid coupon), `AmountOff(c)` takes c cents off, never below zero.
//! 4. Every percentage is rounded to the nearest cent, a half cent up in the customer's
//!    favour (the discount is the larger).
//! 5. Shipping is free from 50.00 after all discounts; below that it costs 4.99.
//!
//! Amounts are whole cents (`u64`): money is never a float.

/// Shipping below [`FREE_SHIPPING_FROM`], in cents.
pub const SHIPPING: u64 = 499;
/// From this total after discounts (in cents), shipping is free.
pub const FREE_SHIPPING_FROM: u64 = 5_000;
/// From this many units, a line gets the bulk discount.
pub const BULK_FROM: u32 = 10;
pub const BULK_PERCENT: u64 = 10;
pub const MEMBER_PERCENT: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub unit_price: u64,
    pub quantity: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coupon {
    PercentOff(u8),
    AmountOff(u64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    pub lines: Vec<Line>,
    pub member: bool,
    pub coupon: Option<Coupon>,
}

/// What the customer pays, in cents: `total = subtotal - discount + shipping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// The lines at their full price.
    pub subtotal: u64,
    /// Every discount together: bulk, member and coupon.
    pub discount: u64,
    pub shipping: u64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("an order needs at least one line")]
    EmptyOrder,
    #[error("line {0} has no units")]
    NoUnits(usize),
    #[error("a percent-off coupon takes 1 to 100 percent, not {0}")]
    InvalidCoupon(u8),
}

/// `percent` % of `amount`, rounded to the nearest cent, a half cent up.
fn percent_of(amount: u64, percent: u64) -> u64 {
    (amount * percent + 50) / 100
}

pub fn price(order: &Order) -> Result<Quote, PricingError> {
    if order.lines.is_empty() {
        return Err(PricingError::EmptyOrder);
    }
    if let Some(Coupon::PercentOff(p)) = order.coupon
        && !(1..=100).contains(&p)
    {
        return Err(PricingError::InvalidCoupon(p));
    }
    let mut subtotal = 0;
    let mut after_bulk = 0;
    for (i, line) in order.lines.iter().enumerate() {
        if line.quantity == 0 {
            return Err(PricingError::NoUnits(i));
        }
        let full = line.unit_price * u64::from(line.quantity);
        subtotal += full;
        after_bulk += if line.quantity >= BULK_FROM {
            full - percent_of(full, BULK_PERCENT)
        } else {
            full
        };
    }
    let mut due = after_bulk;
    if order.member {
        due -= percent_of(due, MEMBER_PERCENT);
    }
    due = match order.coupon {
        None => due,
        Some(Coupon::PercentOff(p)) => due - percent_of(due, u64::from(p)),
        Some(Coupon::AmountOff(c)) => due.saturating_sub(c),
    };
    let shipping = if due >= FREE_SHIPPING_FROM {
        0
    } else {
        SHIPPING
    };
    Ok(Quote {
        subtotal,
        discount: subtotal - due,
        shipping,
        total: due + shipping,
    })
}
