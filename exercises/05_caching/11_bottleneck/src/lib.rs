//! A dashboard handler that is slow. Find out where the time goes (spans), then remove what
//! does not need to be there.

use std::future::Future;

#[allow(unused_imports)]
use tracing::{Instrument, info_span};

/// The services the dashboard reads from.
pub trait Backends: Send + Sync {
    fn profile(&self, user: u64) -> impl Future<Output = String> + Send;
    fn orders(&self, user: u64) -> impl Future<Output = Vec<u64>> + Send;
    /// The price of one order.
    fn price(&self, order: u64) -> impl Future<Output = u64> + Send;
    /// The prices of many orders in one call, in the order asked.
    fn prices(&self, orders: &[u64]) -> impl Future<Output = Vec<u64>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub name: String,
    pub orders: usize,
    pub total_cents: u64,
}

/// The dashboard of `user`, in a span `dashboard` whose children are one span per backend call:
/// `profile`, `orders`, `prices`.
pub async fn dashboard(backends: &impl Backends, user: u64) -> Dashboard {
    let name = backends.profile(user).await;
    let orders = backends.orders(user).await;
    let mut total_cents = 0;
    for &order in &orders {
        total_cents += backends.price(order).await;
    }
    Dashboard {
        name,
        orders: orders.len(),
        total_cents,
    }
}
