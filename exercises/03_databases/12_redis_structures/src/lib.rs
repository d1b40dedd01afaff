//! Redis data structures for the jobs they were made for: sorted sets, hashes, counters.

use std::collections::HashMap;
use std::time::Duration;

#[allow(unused_imports)] // you will need it
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
        let _ = (player, points, &mut self.conn, &self.key);
        todo!()
    }

    /// The `n` best players, best first, with their scores.
    pub async fn top(&mut self, n: usize) -> redis::RedisResult<Vec<(String, i64)>> {
        let _ = n;
        todo!()
    }

    /// The player's rank, 1 for the best; None if they have no score.
    pub async fn rank(&mut self, player: &str) -> redis::RedisResult<Option<u64>> {
        let _ = player;
        todo!()
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
        let _ = (Self::key(id), fields, self.ttl, &mut self.conn);
        todo!()
    }

    /// The session's fields, or None if it does not exist (or expired). Reading it extends its
    /// life to a full `ttl` again: sliding expiry.
    pub async fn get(&mut self, id: &str) -> redis::RedisResult<Option<HashMap<String, String>>> {
        let _ = id;
        todo!()
    }

    pub async fn destroy(&mut self, id: &str) -> redis::RedisResult<()> {
        let _ = id;
        todo!()
    }
}

/// Counts events per fixed window: the first hit starts a window of `window`; the count resets
/// when it expires. Returns the count including this hit.
pub async fn hit(
    conn: &mut MultiplexedConnection,
    key: &str,
    window: Duration,
) -> redis::RedisResult<u64> {
    let _ = (conn, key, window);
    todo!()
}
