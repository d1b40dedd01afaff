//! Service discovery on Redis: instances register with a lease and keep it alive with
//! heartbeats; clients balance over the live ones; an instance leaves before it stops.

use std::sync::Mutex;
#[allow(unused_imports)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
#[allow(unused_imports)] // you will need them
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The sorted set of a service's instances, scored by when their lease ends (the Redis server's
/// clock, in milliseconds), and the hash of their addresses.
#[allow(dead_code)]
fn keys(service: &str) -> (String, String) {
    (
        format!("svc:{service}:leases"),
        format!("svc:{service}:addrs"),
    )
}

#[derive(Clone)]
#[allow(dead_code)]
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
        todo!("a lease that ends on the server's clock, and the address")
    }

    /// Extends the lease of `instance`; false if it holds none any more (it expired, or was
    /// deregistered), in which case nothing is renewed.
    pub async fn heartbeat(&self, service: &str, instance: &str) -> redis::RedisResult<bool> {
        todo!("renew a lease that has not ended; renew nothing otherwise")
    }

    /// Removes `instance` at once.
    pub async fn deregister(&self, service: &str, instance: &str) -> redis::RedisResult<()> {
        todo!("remove it at once")
    }

    /// The instances of `service` whose lease has not ended, as (instance, addr), by instance
    /// id; forgets the ones whose lease has.
    pub async fn instances(&self, service: &str) -> redis::RedisResult<Vec<(String, String)>> {
        todo!("the live ones, by id; forget the expired")
    }
}

/// A running instance's registration: heartbeats in the background until it drains.
#[allow(dead_code)]
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
        todo!("register, then heartbeat in a task until drained")
    }

    /// Leaves before stopping: no more heartbeats (one in flight could register it again),
    /// then deregistration, then `grace` for every client to refresh its list — the instance
    /// still serves meanwhile — after which it can stop.
    pub async fn drain(self, grace: Duration) -> redis::RedisResult<()> {
        todo!("leave first, stop later")
    }
}

/// Client-side load balancing over a service's live instances, round robin.
#[allow(dead_code)]
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
        todo!("reload the live instances")
    }

    /// The address for the next request: each live instance in turn; None when there is none.
    pub fn pick(&self) -> Option<String> {
        todo!("each live instance in turn")
    }
}
