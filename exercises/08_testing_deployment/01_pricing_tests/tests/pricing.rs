//! Your tests of `pricing_tests::price`. The implementation in src/lib.rs is correct: every
//! test here must pass on it, and each of the known bugs (wrong implementations you cannot
//! see) must make at least one of them fail. The runner tells you how many you catch.
//!
//! Start with one rule of README.md: write the test, see it pass, then ask which wrong
//! implementation would also pass it.

#[allow(unused_imports)]
use pricing_tests::{Coupon, Line, Order, PricingError, Quote, price};

// Your #[test] functions go here.
