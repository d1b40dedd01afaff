//! A two-level cache for a service that runs as several instances: each keeps hot values in its
//! own memory (L1), all share Redis (L2), and a write on one instance reaches the L1 of every
//! other through Redis pub/sub.

use std::future::Future;
use std::time::Duration;

#[allow(unused_imports)]
use futures_util::StreamExt;
use moka::future::Cache;
#[allow(unused_imports)]
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// The source of truth (a database table).
pub trait Store: Send + Sync + 'static {
    fn read(&self, id: &str) -> impl Future<Output = String> + Send;
    fn write(&self, id: &str, value: &str) -> impl Future<Output = ()> + Send;
}

/// Where an instance keeps things in Redis: L2 keys are `<prefix><id>`, invalidations go out
/// on `channel`.
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub channel: String,
}

/// How long an entry stays in L2.
const L2_TTL_SECS: u64 = 300;

pub struct Instance<S> {
    l1: Cache<String, String>,
    redis: MultiplexedConnection,
    store: S,
    names: Names,
    listener: tokio::task::JoinHandle<()>,
}

impl<S: Store> Instance<S> {
    /// Connects to Redis at `data_url` for the cache and at `events_url` for the invalidations
    /// (the same server; a subscription needs a connection of its own), and starts listening.
    /// L1 entries live at most `l1_ttl`: the bound on staleness when an invalidation is lost.
    pub async fn start(
        store: S,
        data_url: &str,
        events_url: &str,
        names: Names,
        l1_ttl: Duration,
    ) -> redis::RedisResult<Instance<S>> {
        let redis = redis::Client::open(data_url)?
            .get_multiplexed_async_connection()
            .await?;
        let _ = l1_ttl;
        let l1 = Cache::builder().max_capacity(10_000).build();
        let events = redis::Client::open(events_url)?;
        let mut pubsub = events.get_async_pubsub().await?;
        // Subscribed before `start` returns: no update made after it can be missed.
        pubsub.subscribe(&names.channel).await?;
        let listener = tokio::spawn(listen(pubsub, events, names.channel.clone(), l1.clone()));
        Ok(Instance {
            l1,
            redis,
            store,
            names,
            listener,
        })
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.names.prefix)
    }

    /// From this instance's memory, else from Redis, else from the store (filling both).
    pub async fn get(&self, id: &str) -> redis::RedisResult<String> {
        todo!()
    }

    /// Writes the store, then invalidates: Redis, this instance's memory, every other's.
    pub async fn update(&self, id: &str, value: &str) -> redis::RedisResult<()> {
        todo!()
    }
}

impl<S> Drop for Instance<S> {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Evicts every id announced on `channel`. When the subscription is lost, invalidations may
/// have been missed.
async fn listen(
    pubsub: redis::aio::PubSub,
    events: redis::Client,
    channel: String,
    l1: Cache<String, String>,
) {
    todo!("evict what the other instances announce; and when the subscription ends?")
}
