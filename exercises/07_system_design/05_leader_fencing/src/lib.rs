//! Leader election with a lease on Redis, and fencing tokens that make a paused ex-leader
//! harmless.

use std::time::Duration;

use redis::aio::MultiplexedConnection;

/// Proof of leadership: the node, and the fencing token it got — larger for every new leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node: String,
    pub token: u64,
}

/// Keys of the election `name`: the lock (its value is the leader's node id, its expiry the
/// lease), the current leader's token (same expiry), and the counter tokens come from.
#[allow(dead_code)]
fn keys(name: &str) -> (String, String, String) {
    (
        format!("leader:{name}:lock"),
        format!("leader:{name}:token"),
        format!("leader:{name}:fence"),
    )
}

#[allow(dead_code)]
#[derive(Clone)]
pub struct Election {
    conn: MultiplexedConnection,
    name: String,
    lease: Duration,
}

impl Election {
    pub fn new(conn: MultiplexedConnection, name: &str, lease: Duration) -> Election {
        Election {
            conn,
            name: name.to_owned(),
            lease,
        }
    }

    /// Makes `node` the leader if there is none (or it already is), for one lease; a new
    /// leader gets a new, larger fencing token.
    pub async fn try_acquire(&self, node: &str) -> redis::RedisResult<Option<Lease>> {
        todo!("take the lock if free (or renew it if ours), and a new token with it, atomically")
    }

    /// Extends `lease` if it is still the current one; false if leadership was lost.
    pub async fn renew(&self, lease: &Lease) -> redis::RedisResult<bool> {
        todo!("extend only a lease that is still ours")
    }

    /// Gives leadership up, if `lease` still holds it (never someone else's).
    pub async fn release(&self, lease: &Lease) -> redis::RedisResult<()> {
        todo!("give up only what is ours")
    }
}

/// The resource the leader writes (a job's state, a file, an account): it keeps the largest
/// fencing token it has seen, and refuses a write that carries a smaller one.
#[derive(Clone)]
pub struct FencedStore {
    conn: MultiplexedConnection,
    key: String,
}

impl FencedStore {
    pub fn new(conn: MultiplexedConnection, key: &str) -> FencedStore {
        FencedStore {
            conn,
            key: key.to_owned(),
        }
    }

    /// Writes `value` on behalf of the leader holding `token`; false if a newer leader has
    /// written already (the write is refused).
    pub async fn write(&self, token: u64, value: &str) -> redis::RedisResult<bool> {
        todo!("refuse a token older than the newest seen")
    }

    pub async fn read(&self) -> redis::RedisResult<Option<String>> {
        redis::cmd("HGET")
            .arg(&self.key)
            .arg("value")
            .query_async(&mut self.conn.clone())
            .await
    }
}
