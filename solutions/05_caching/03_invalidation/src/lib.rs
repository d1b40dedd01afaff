//! A product cache in Redis, invalidated on every write, that a slow reader cannot fill with a
//! value older than the last write.

use std::future::Future;
use std::time::Duration;

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

/// Sets KEYS[1] to ARGV[2] for ARGV[3] seconds unless it holds an entry of a version newer than
/// ARGV[1]. One script, so no other command can run between the comparison and the write.
const PUT_IF_NEWER: &str = r"
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '^(%d+):'))
  if version and version > tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
";

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
        let mut conn = self.redis.clone();
        let cached: Option<String> = conn.get(self.key(id)).await?;
        if let Some(value) = cached.as_deref().and_then(|e| parse(e).1) {
            return Ok(value.to_owned());
        }
        let row = self.store.read(id).await;
        // Cached only if nothing newer was written (or invalidated) since this read began.
        self.put_if_newer(id, row.version, &format!("{}:+{}", row.version, row.value))
            .await?;
        Ok(row.value)
    }

    /// Writes the product, then invalidates its cache entry.
    pub async fn update(&self, id: &str, value: &str) -> redis::RedisResult<()> {
        let version = self.store.write(id, value).await;
        // Not a DEL: a tombstone that remembers the version, so that a reader still holding an
        // older row cannot put it back.
        self.put_if_newer(id, version, &format!("{version}:-"))
            .await
    }

    async fn put_if_newer(&self, id: &str, version: u64, entry: &str) -> redis::RedisResult<()> {
        let mut conn = self.redis.clone();
        let _: i64 = redis::Script::new(PUT_IF_NEWER)
            .key(self.key(id))
            .arg(version)
            .arg(entry)
            .arg(self.ttl.as_secs().max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

/// `<version>:+<value>` is a value, `<version>:-` a tombstone.
fn parse(entry: &str) -> (Option<u64>, Option<&str>) {
    match entry.split_once(':') {
        Some((version, rest)) => (version.parse().ok(), rest.strip_prefix('+')),
        None => (None, None),
    }
}
