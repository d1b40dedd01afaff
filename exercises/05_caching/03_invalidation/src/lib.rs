//! A product cache in Redis, invalidated on every write, that a slow reader cannot fill with a
//! value older than the last write.

use std::future::Future;
use std::time::Duration;

#[allow(unused_imports)]
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// A row of the source of truth and the version it was written at. Versions only grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub value: String,
    pub version: u64,
}

/// The source of truth (a database table).
pub trait Store: Send + Sync {
    fn read(&self, id: &str) -> impl Future<Output = Versioned> + Send;
    /// Writes `value` and returns the version it was written at.
    fn write(&self, id: &str, value: &str) -> impl Future<Output = u64> + Send;
}

pub struct Catalog<S> {
    store: S,
    redis: MultiplexedConnection,
    prefix: String,
    ttl: Duration,
}

impl<S: Store> Catalog<S> {
    /// Entries live under `<prefix><id>` for `ttl` (whole seconds, at least 1).
    pub fn new(store: S, redis: MultiplexedConnection, prefix: &str, ttl: Duration) -> Catalog<S> {
        Catalog {
            store,
            redis,
            prefix: prefix.to_owned(),
            ttl,
        }
    }

    pub fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    /// The product's value: from the cache, or read from the store and cached.
    pub async fn get(&self, id: &str) -> redis::RedisResult<String> {
        todo!()
    }

    /// Writes the product, then invalidates its cache entry.
    pub async fn update(&self, id: &str, value: &str) -> redis::RedisResult<()> {
        todo!()
    }
}
