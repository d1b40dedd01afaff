//! A cache-aside helper over Redis.

use std::future::Future;
use std::time::Duration;

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

    pub async fn put(&mut self, id: &str, value: &str, ttl: Duration) -> redis::RedisResult<()> {
        let key = self.key(id);
        self.conn.set_ex(key, value, ttl.as_secs().max(1)).await
    }

    pub async fn get(&mut self, id: &str) -> redis::RedisResult<Option<String>> {
        let key = self.key(id);
        self.conn.get(key).await
    }

    pub async fn ttl(&mut self, id: &str) -> redis::RedisResult<Option<Duration>> {
        let key = self.key(id);
        let secs: i64 = self.conn.ttl(key).await?;
        Ok((secs >= 0).then(|| Duration::from_secs(secs as u64)))
    }

    pub async fn invalidate(&mut self, id: &str) -> redis::RedisResult<()> {
        let key = self.key(id);
        self.conn.del(key).await
    }

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
        if let Some(hit) = self.get(id).await? {
            return Ok(hit);
        }
        let value = load().await;
        self.put(id, &value, ttl).await?;
        Ok(value)
    }
}
