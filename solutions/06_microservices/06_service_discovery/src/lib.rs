//! Service discovery on Redis: instances register with a lease and keep it alive with
//! heartbeats; clients balance over the live ones; an instance leaves before it stops.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The sorted set of a service's instances, scored by when their lease ends (the Redis server's
/// clock, in milliseconds), and the hash of their addresses.
fn keys(service: &str) -> (String, String) {
    (
        format!("svc:{service}:leases"),
        format!("svc:{service}:addrs"),
    )
}

#[derive(Clone)]
pub struct Registry {
    conn: MultiplexedConnection,
    lease: Duration,
}

impl Registry {
    pub fn new(conn: MultiplexedConnection, lease: Duration) -> Registry {
        Registry { conn, lease }
    }

    /// Adds (or renews) `instance` of `service` at `addr`, for one lease.
    pub async fn register(
        &self,
        service: &str,
        instance: &str,
        addr: &str,
    ) -> redis::RedisResult<()> {
        // The lease ends on the server's clock, not ours: instances' clocks disagree.
        let script = redis::Script::new(
            r"
            local t = redis.call('TIME')
            local now = t[1] * 1000 + math.floor(t[2] / 1000)
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
            return 1
            ",
        );
        let (leases, addrs) = keys(service);
        let _: i64 = script
            .key(leases)
            .key(addrs)
            .arg(instance)
            .arg(addr)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Extends the lease of `instance`; false if it holds none any more (it expired, or was
    /// deregistered), in which case nothing is renewed.
    pub async fn heartbeat(&self, service: &str, instance: &str) -> redis::RedisResult<bool> {
        let script = redis::Script::new(
            r"
            local t = redis.call('TIME')
            local now = t[1] * 1000 + math.floor(t[2] / 1000)
            local ends = redis.call('ZSCORE', KEYS[1], ARGV[1])
            if not ends or tonumber(ends) <= now then return 0 end
            redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
            return 1
            ",
        );
        let (leases, _) = keys(service);
        let renewed: i64 = script
            .key(leases)
            .arg(instance)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(renewed == 1)
    }

    /// Removes `instance` at once.
    pub async fn deregister(&self, service: &str, instance: &str) -> redis::RedisResult<()> {
        let (leases, addrs) = keys(service);
        let _: () = redis::pipe()
            .atomic()
            .zrem(leases, instance)
            .ignore()
            .hdel(addrs, instance)
            .ignore()
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// The instances of `service` whose lease has not ended, as (instance, addr), by instance
    /// id; forgets the ones whose lease has.
    pub async fn instances(&self, service: &str) -> redis::RedisResult<Vec<(String, String)>> {
        let script = redis::Script::new(
            r"
            local t = redis.call('TIME')
            local now = t[1] * 1000 + math.floor(t[2] / 1000)
            local dead = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE')
            if #dead > 0 then
                redis.call('ZREM', KEYS[1], unpack(dead))
                redis.call('HDEL', KEYS[2], unpack(dead))
            end
            local live = redis.call('ZRANGE', KEYS[1], 0, -1)
            local out = {}
            for _, id in ipairs(live) do
                local addr = redis.call('HGET', KEYS[2], id)
                if addr then
                    table.insert(out, id)
                    table.insert(out, addr)
                end
            end
            return out
            ",
        );
        let (leases, addrs) = keys(service);
        let flat: Vec<String> = script
            .key(leases)
            .key(addrs)
            .invoke_async(&mut self.conn.clone())
            .await?;
        let mut live: Vec<(String, String)> = flat
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect();
        live.sort();
        Ok(live)
    }
}

/// A running instance's registration: heartbeats in the background until it drains.
pub struct Registration {
    registry: Registry,
    service: String,
    instance: String,
    stop: watch::Sender<bool>,
    heartbeats: JoinHandle<()>,
}

impl Registration {
    /// Registers `instance` and renews its lease every `every` (a fraction of the lease, so
    /// that one late heartbeat does not drop it); re-registers if the lease was lost.
    pub async fn start(
        registry: Registry,
        service: &str,
        instance: &str,
        addr: &str,
        every: Duration,
    ) -> redis::RedisResult<Registration> {
        registry.register(service, instance, addr).await?;
        let (stop, mut stopped) = watch::channel(false);
        let heartbeats = {
            let (registry, service, instance, addr) = (
                registry.clone(),
                service.to_owned(),
                instance.to_owned(),
                addr.to_owned(),
            );
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stopped.changed() => return,
                        _ = tokio::time::sleep(every) => {}
                    }
                    if let Ok(false) = registry.heartbeat(&service, &instance).await {
                        let _ = registry.register(&service, &instance, &addr).await;
                    }
                }
            })
        };
        Ok(Registration {
            registry,
            service: service.to_owned(),
            instance: instance.to_owned(),
            stop,
            heartbeats,
        })
    }

    /// Leaves before stopping: no more heartbeats (one in flight could register it again),
    /// then deregistration, then `grace` for every client to refresh its list — the instance
    /// still serves meanwhile — after which it can stop.
    pub async fn drain(self, grace: Duration) -> redis::RedisResult<()> {
        let _ = self.stop.send(true);
        let _ = self.heartbeats.await;
        self.registry
            .deregister(&self.service, &self.instance)
            .await?;
        tokio::time::sleep(grace).await;
        Ok(())
    }
}

/// Client-side load balancing over a service's live instances, round robin.
pub struct Balancer {
    registry: Registry,
    service: String,
    instances: Mutex<Vec<(String, String)>>,
    next: AtomicUsize,
}

impl Balancer {
    pub fn new(registry: Registry, service: &str) -> Balancer {
        Balancer {
            registry,
            service: service.to_owned(),
            instances: Mutex::new(Vec::new()),
            next: AtomicUsize::new(0),
        }
    }

    /// Reloads the list of live instances (clients do this every refresh interval).
    pub async fn refresh(&self) -> redis::RedisResult<()> {
        let live = self.registry.instances(&self.service).await?;
        *self.instances.lock().unwrap_or_else(|p| p.into_inner()) = live;
        Ok(())
    }

    /// The address for the next request: each live instance in turn; None when there is none.
    pub fn pick(&self) -> Option<String> {
        let instances = self.instances.lock().unwrap_or_else(|p| p.into_inner());
        if instances.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % instances.len();
        Some(instances[i].1.clone())
    }
}
