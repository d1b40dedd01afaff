//! Reference tests: one rule per test, named after the rule; each boundary tested on both
//! sides; every field of the quote asserted, so a wrong discount cannot hide behind a right
//! total.

use pricing_tests::{Coupon, Line, Order, PricingError, Quote, price};

fn line(unit_price: u64, quantity: u32) -> Line {
    Line {
        unit_price,
        quantity,
    }
}

fn order(lines: &[Line]) -> Order {
    Order {
        lines: lines.to_vec(),
        ..Order::default()
    }
}

fn quote(subtotal: u64, discount: u64, shipping: u64) -> Quote {
    Quote {
        subtotal,
        discount,
        shipping,
        total: subtotal - discount + shipping,
    }
}

#[test]
fn a_plain_order_costs_its_lines_plus_shipping() {
    assert_eq!(
        price(&order(&[line(1_250, 2), line(300, 3)])),
        Ok(quote(3_400, 0, 499))
    );
}

#[test]
fn ten_units_of_a_line_get_the_bulk_discount_and_nine_do_not() {
    assert_eq!(price(&order(&[line(100, 9)])), Ok(quote(900, 0, 499)));
    assert_eq!(price(&order(&[line(100, 10)])), Ok(quote(1_000, 100, 499)));
}

#[test]
fn the_bulk_discount_is_per_line_not_per_order() {
    assert_eq!(
        price(&order(&[line(100, 6), line(200, 6)])),
        Ok(quote(1_800, 0, 499))
    );
    // Only the line of ten is discounted.
    assert_eq!(
        price(&order(&[line(100, 10), line(200, 6)])),
        Ok(quote(2_200, 100, 499))
    );
}

#[test]
fn a_member_gets_five_percent_off_after_the_bulk_discount() {
    let mut o = order(&[line(1_000, 10)]);
    o.member = true;
    // 10 000 - 1 000 bulk = 9 000; 5 % of that is 450.
    assert_eq!(price(&o), Ok(quote(10_000, 1_450, 0)));
}

#[test]
fn a_half_cent_of_discount_goes_to_the_customer() {
    let mut o = order(&[line(1_010, 1)]);
    o.member = true;
    // 5 % of 10.10 is 0.505: the discount is 0.51.
    assert_eq!(price(&o), Ok(quote(1_010, 51, 499)));
}

#[test]
fn an_amount_off_coupon_comes_after_the_member_discount() {
    let mut o = order(&[line(10_000, 1)]);
    o.member = true;
    o.coupon = Some(Coupon::AmountOff(1_000));
    // 100.00 - 5.00 member - 10.00 coupon = 85.00 (not (100 - 10) × 0.95 = 85.50).
    assert_eq!(price(&o), Ok(quote(10_000, 1_500, 0)));
}

#[test]
fn a_percent_coupon_is_taken_off_what_is_due() {
    let mut o = order(&[line(2_000, 3)]);
    o.coupon = Some(Coupon::PercentOff(25));
    assert_eq!(price(&o), Ok(quote(6_000, 1_500, 499)));
    o.coupon = Some(Coupon::PercentOff(100));
    assert_eq!(price(&o), Ok(quote(6_000, 6_000, 499)));
}

#[test]
fn an_amount_off_coupon_never_makes_the_order_negative() {
    let mut o = order(&[line(500, 1)]);
    o.coupon = Some(Coupon::AmountOff(2_000));
    assert_eq!(price(&o), Ok(quote(500, 500, 499)));
}

#[test]
fn shipping_is_free_from_fifty_after_discounts() {
    assert_eq!(price(&order(&[line(5_000, 1)])), Ok(quote(5_000, 0, 0)));
    assert_eq!(price(&order(&[line(4_999, 1)])), Ok(quote(4_999, 0, 499)));
    // 52.00 at the full price, 49.40 for a member: shipping is charged.
    let mut o = order(&[line(5_200, 1)]);
    o.member = true;
    assert_eq!(price(&o), Ok(quote(5_200, 260, 499)));
}

#[test]
fn coupons_outside_one_to_a_hundred_percent_are_refused() {
    let mut o = order(&[line(100, 1)]);
    for p in [0, 101, 255] {
        o.coupon = Some(Coupon::PercentOff(p));
        assert_eq!(price(&o), Err(PricingError::InvalidCoupon(p)));
    }
}

#[test]
fn an_empty_order_and_an_empty_line_are_refused() {
    assert_eq!(price(&order(&[])), Err(PricingError::EmptyOrder));
    assert_eq!(
        price(&order(&[line(100, 1), line(100, 0)])),
        Err(PricingError::NoUnits(1))
    );
}
