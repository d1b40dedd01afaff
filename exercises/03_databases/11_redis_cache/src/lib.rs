//! A cache-aside helper over Redis.

use std::future::Future;
use std::time::Duration;

#[allow(unused_imports)]
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

pub struct Cache {
    conn: MultiplexedConnection,
    /// Every key this cache writes starts with this prefix (`"user:"` + `"42"`).
    prefix: String,
}

impl Cache {
    pub fn new(conn: MultiplexedConnection, prefix: &str) -> Cache {
        Cache {
            conn,
            prefix: prefix.to_owned(),
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}{}", self.prefix, id)
    }

    /// Stores `value` under `id`, expiring after `ttl` (whole seconds, at least 1).
    pub async fn put(&mut self, id: &str, value: &str, ttl: Duration) -> redis::RedisResult<()> {
        todo!("SET with EX: `set_ex`")
    }

    /// The cached value, or None if missing or expired.
    pub async fn get(&mut self, id: &str) -> redis::RedisResult<Option<String>> {
        todo!()
    }

    /// Time left before `id` expires; None if the key does not exist or never expires.
    pub async fn ttl(&mut self, id: &str) -> redis::RedisResult<Option<Duration>> {
        todo!("TTL returns seconds, -1 for no expiry, -2 for a missing key")
    }

    /// Removes `id` now (after the source of truth changed).
    pub async fn invalidate(&mut self, id: &str) -> redis::RedisResult<()> {
        todo!()
    }

    /// Cache-aside: the cached value of `id`, or — on a miss — `load()`'s value, which is then
    /// cached for `ttl`. `load` must not run on a hit.
    pub async fn get_or_load<F, Fut>(
        &mut self,
        id: &str,
        ttl: Duration,
        load: F,
    ) -> redis::RedisResult<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = String>,
    {
        todo!("get; on None, load().await, put, return")
    }
}
