//! A dashboard handler that was slow, and is not any more: each call to a backend is a span,
//! independent calls run together, and prices come in one batch instead of one per order.

use std::future::Future;

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
    async {
        // Neither needs the other's answer: wait for both at once.
        let (name, orders) = tokio::join!(
            backends.profile(user).instrument(info_span!("profile")),
            backends.orders(user).instrument(info_span!("orders")),
        );
        let prices = backends
            .prices(&orders)
            .instrument(info_span!("prices"))
            .await;
        Dashboard {
            name,
            orders: orders.len(),
            total_cents: prices.iter().sum(),
        }
    }
    .instrument(info_span!("dashboard", user))
    .await
}
