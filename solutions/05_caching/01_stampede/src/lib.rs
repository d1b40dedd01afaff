//! A price cache in front of a slow pricing service, safe against the stampede of readers that
//! arrives the moment a popular key is missing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the pricing service failed: {0}")]
pub struct LoadError(pub String);

/// Loads the price (in cents) of a SKU from the slow source of truth.
pub type Loader = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<u64, LoadError>> + Send>> + Send + Sync,
>;

pub struct Prices {
    cache: Cache<String, u64>,
    loader: Loader,
}

impl Prices {
    /// A cache of up to 10 000 prices, each kept for `ttl` after it was loaded.
    pub fn new(loader: Loader, ttl: Duration) -> Prices {
        Prices {
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
            loader,
        }
    }

    /// The price of `sku`: cached, or loaded once however many callers ask at the same moment.
    /// A failed load is not cached: the next caller tries again.
    pub async fn price(&self, sku: &str) -> Result<u64, Arc<LoadError>> {
        self.cache
            .try_get_with(sku.to_owned(), (self.loader)(sku.to_owned()))
            .await
    }
}
