//! A token bucket shared by every instance of a service: one atomic script on Redis.

use std::time::Duration;

use redis::aio::MultiplexedConnection;

/// What the limiter says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// When refused: how long until a token is there (for `Retry-After`). Zero when allowed.
    pub retry_after: Duration,
}

/// A token bucket per key, `capacity` tokens, refilled at `per_second` tokens a second; the
/// bucket lives in Redis, so every instance of the service draws from the same one.
#[allow(dead_code)]
#[derive(Clone)]
pub struct RateLimiter {
    conn: MultiplexedConnection,
    capacity: u32,
    per_second: f64,
}

/// The Redis key of `key`'s bucket.
pub fn bucket_key(key: &str) -> String {
    format!("rl:{key}")
}

impl RateLimiter {
    pub fn new(conn: MultiplexedConnection, capacity: u32, per_second: f64) -> RateLimiter {
        RateLimiter {
            conn,
            capacity,
            per_second,
        }
    }

    /// Takes a token from `key`'s bucket if there is one.
    pub async fn check(&self, key: &str) -> redis::RedisResult<Decision> {
        todo!("one atomic step on Redis: refill for the time passed, take a token, write back")
    }
}
