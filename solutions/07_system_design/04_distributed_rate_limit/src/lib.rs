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

// Reading the bucket, refilling it for the time passed, taking a token and writing it back are
// one script: Redis runs a script alone, so no other instance can read between the read and
// the write. Time is the server's (every instance's clock would disagree).
const TOKEN_BUCKET: &str = r"
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or capacity
local ts = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
local wait = 0
if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
else
    wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
-- An idle bucket refills to full in capacity / rate: after that, it is the same as no bucket.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return {allowed, wait}
";

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
        let (allowed, wait_ms): (i64, i64) = redis::Script::new(TOKEN_BUCKET)
            .key(bucket_key(key))
            .arg(self.capacity)
            .arg(self.per_second / 1000.0)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(Decision {
            allowed: allowed == 1,
            retry_after: Duration::from_millis(wait_ms.max(0) as u64),
        })
    }
}
