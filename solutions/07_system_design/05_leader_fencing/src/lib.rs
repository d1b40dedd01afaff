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
fn keys(name: &str) -> (String, String, String) {
    (
        format!("leader:{name}:lock"),
        format!("leader:{name}:token"),
        format!("leader:{name}:fence"),
    )
}

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
        // Taking the lock and drawing the token are one step: a leader without a token, or
        // a token without the lock, would fence the wrong writer.
        let script = redis::Script::new(
            r"
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
                local token = redis.call('INCR', KEYS[3])
                redis.call('SET', KEYS[2], token, 'PX', ARGV[2])
                return token
            end
            if redis.call('GET', KEYS[1]) == ARGV[1] then
                redis.call('PEXPIRE', KEYS[1], ARGV[2])
                redis.call('PEXPIRE', KEYS[2], ARGV[2])
                return tonumber(redis.call('GET', KEYS[2]))
            end
            return 0
            ",
        );
        let (lock, current, fence) = keys(&self.name);
        let token: u64 = script
            .key(lock)
            .key(current)
            .key(fence)
            .arg(node)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok((token > 0).then(|| Lease {
            node: node.to_owned(),
            token,
        }))
    }

    /// Extends `lease` if it is still the current one; false if leadership was lost.
    pub async fn renew(&self, lease: &Lease) -> redis::RedisResult<bool> {
        let script = redis::Script::new(
            r"
            if redis.call('GET', KEYS[1]) == ARGV[1]
               and redis.call('GET', KEYS[2]) == ARGV[2] then
                redis.call('PEXPIRE', KEYS[1], ARGV[3])
                redis.call('PEXPIRE', KEYS[2], ARGV[3])
                return 1
            end
            return 0
            ",
        );
        let (lock, current, _) = keys(&self.name);
        let renewed: i64 = script
            .key(lock)
            .key(current)
            .arg(&lease.node)
            .arg(lease.token)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(renewed == 1)
    }

    /// Gives leadership up, if `lease` still holds it (never someone else's).
    pub async fn release(&self, lease: &Lease) -> redis::RedisResult<()> {
        let script = redis::Script::new(
            r"
            if redis.call('GET', KEYS[1]) == ARGV[1]
               and redis.call('GET', KEYS[2]) == ARGV[2] then
                redis.call('DEL', KEYS[1], KEYS[2])
            end
            return 1
            ",
        );
        let (lock, current, _) = keys(&self.name);
        let _: i64 = script
            .key(lock)
            .key(current)
            .arg(&lease.node)
            .arg(lease.token)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
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
        let script = redis::Script::new(
            r"
            local seen = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
            if tonumber(ARGV[1]) < seen then return 0 end
            redis.call('HSET', KEYS[1], 'token', ARGV[1], 'value', ARGV[2])
            return 1
            ",
        );
        let written: i64 = script
            .key(&self.key)
            .arg(token)
            .arg(value)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(written == 1)
    }

    pub async fn read(&self) -> redis::RedisResult<Option<String>> {
        redis::cmd("HGET")
            .arg(&self.key)
            .arg("value")
            .query_async(&mut self.conn.clone())
            .await
    }
}
