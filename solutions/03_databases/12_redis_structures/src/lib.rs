//! Redis data structures for the jobs they were made for: sorted sets, hashes, counters.

use std::collections::HashMap;
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// A game leaderboard in one sorted set: member = player, score = points.
pub struct Leaderboard {
    conn: MultiplexedConnection,
    key: String,
}

impl Leaderboard {
    pub fn new(conn: MultiplexedConnection, name: &str) -> Self {
        Leaderboard {
            conn,
            key: format!("leaderboard:{name}"),
        }
    }

    /// Adds `points` to the player's score (a new player starts at 0); returns the new score.
    pub async fn add_points(&mut self, player: &str, points: i64) -> redis::RedisResult<i64> {
        // ZINCRBY is atomic: two concurrent increments both count.
        self.conn.zincr(&self.key, player, points).await
    }

    /// The `n` best players, best first, with their scores.
    pub async fn top(&mut self, n: usize) -> redis::RedisResult<Vec<(String, i64)>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        self.conn
            .zrevrange_withscores(&self.key, 0, n as isize - 1)
            .await
    }

    /// The player's rank, 1 for the best; None if they have no score.
    pub async fn rank(&mut self, player: &str) -> redis::RedisResult<Option<u64>> {
        let rank: Option<u64> = self.conn.zrevrank(&self.key, player).await?;
        Ok(rank.map(|r| r + 1))
    }
}

/// Sessions as hashes (`session:<id>` → field/value), expiring after `ttl` of inactivity.
pub struct Sessions {
    conn: MultiplexedConnection,
    ttl: Duration,
}

impl Sessions {
    pub fn new(conn: MultiplexedConnection, ttl: Duration) -> Self {
        Sessions { conn, ttl }
    }

    fn key(id: &str) -> String {
        format!("session:{id}")
    }

    /// Stores the session's fields with the expiry, atomically: never a session without a TTL.
    pub async fn create(&mut self, id: &str, fields: &[(&str, &str)]) -> redis::RedisResult<()> {
        let key = Self::key(id);
        redis::pipe()
            .atomic()
            .del(&key)
            .hset_multiple(&key, fields)
            .expire(&key, self.ttl.as_secs() as i64)
            .query_async(&mut self.conn)
            .await
    }

    /// The session's fields, or None if it does not exist (or expired). Reading it extends its
    /// life to a full `ttl` again: sliding expiry.
    pub async fn get(&mut self, id: &str) -> redis::RedisResult<Option<HashMap<String, String>>> {
        let key = Self::key(id);
        let (fields, _): (HashMap<String, String>, i64) = redis::pipe()
            .atomic()
            .hgetall(&key)
            .expire(&key, self.ttl.as_secs() as i64)
            .query_async(&mut self.conn)
            .await?;
        // HGETALL of a missing key is an empty hash, not an error.
        Ok((!fields.is_empty()).then_some(fields))
    }

    pub async fn destroy(&mut self, id: &str) -> redis::RedisResult<()> {
        self.conn.del(Self::key(id)).await
    }
}

/// Counts events per fixed window: the first hit starts a window of `window`; the count resets
/// when it expires. Returns the count including this hit.
pub async fn hit(
    conn: &mut MultiplexedConnection,
    key: &str,
    window: Duration,
) -> redis::RedisResult<u64> {
    let (count, _): (u64, i64) = redis::pipe()
        .atomic()
        .incr(key, 1)
        // NX: only when the key has no expiry yet, i.e. on the first hit of a window.
        .cmd("EXPIRE")
        .arg(key)
        .arg(window.as_secs())
        .arg("NX")
        .query_async(conn)
        .await?;
    Ok(count)
}
