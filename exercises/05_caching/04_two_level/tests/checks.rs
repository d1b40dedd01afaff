//! Two instances of the service in one test, sharing the run's Redis database, each with its
//! own memory. Deadlines are generous (an invalidation normally arrives in a millisecond): they
//! tell "delivered" from "only the L1 TTL ran out", never fast from slow.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backlings_support::fault::CutProxy;
use backlings_support::within;
use backlings_support_kv::kv;
use cache_two_level::{Instance, Names, Store};
use tokio::sync::oneshot;

/// The database both instances use: rows, a count of reads, and a hook that pauses the next
/// write before it changes anything.
#[derive(Default)]
struct Db {
    rows: Mutex<HashMap<String, String>>,
    reads: AtomicUsize,
    pause_write: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

#[derive(Clone)]
struct Shared(Arc<Db>);

impl Store for Shared {
    fn read(&self, id: &str) -> impl Future<Output = String> + Send {
        let (db, id) = (Arc::clone(&self.0), id.to_owned());
        async move {
            db.reads.fetch_add(1, Ordering::SeqCst);
            db.rows
                .lock()
                .unwrap()
                .get(&id)
                .cloned()
                .expect("a seeded row")
        }
    }

    fn write(&self, id: &str, value: &str) -> impl Future<Output = ()> + Send {
        let db = Arc::clone(&self.0);
        let (id, value) = (id.to_owned(), value.to_owned());
        async move {
            let pause = db.pause_write.lock().unwrap().take();
            if let Some((reached, resume)) = pause {
                let _ = reached.send(());
                let _ = resume.await;
            }
            db.rows.lock().unwrap().insert(id, value);
        }
    }
}

struct Fixture {
    db: Arc<Db>,
    names: Names,
}

impl Fixture {
    /// A database with `p1` = "price 100", and Redis names of `test`'s own.
    async fn new(test: &str) -> Fixture {
        let db = Arc::new(Db::default());
        db.rows
            .lock()
            .unwrap()
            .insert("p1".into(), "price 100".into());
        let names = Names {
            prefix: format!("two:{test}:"),
            channel: kv::channel(&format!("two:{test}:invalidations")),
        };
        kv::forget(&[&format!("{}p1", names.prefix)]).await;
        Fixture { db, names }
    }

    async fn instance(&self, events_url: &str, l1_ttl: Duration) -> Instance<Shared> {
        Instance::start(
            Shared(Arc::clone(&self.db)),
            &kv::redis_url(),
            events_url,
            self.names.clone(),
            l1_ttl,
        )
        .await
        .expect("an instance starts")
    }

    fn reads(&self) -> usize {
        self.db.reads.load(Ordering::SeqCst)
    }
}

/// Polls `instance` until it serves `expected` or `limit` passed; what it served last.
async fn serves_within(instance: &Instance<Shared>, expected: &str, limit: Duration) -> String {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let served = instance.get("p1").await.expect("get");
        if served == expected || tokio::time::Instant::now() >= deadline {
            return served;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_reads_come_from_memory_then_from_redis() {
    let fx = Fixture::new("levels").await;
    let a = fx.instance(&kv::redis_url(), Duration::from_secs(30)).await;
    let b = fx.instance(&kv::redis_url(), Duration::from_secs(30)).await;
    assert_eq!(a.get("p1").await.unwrap(), "price 100");
    assert_eq!(b.get("p1").await.unwrap(), "price 100");
    assert_eq!(
        fx.reads(),
        1,
        "the second instance finds the value in Redis: one read of the store for both"
    );
    // Remove the Redis copy behind their backs: what they serve now comes from their memory.
    kv::forget(&[&format!("{}p1", fx.names.prefix)]).await;
    assert_eq!(a.get("p1").await.unwrap(), "price 100");
    assert_eq!(b.get("p1").await.unwrap(), "price 100");
    assert_eq!(
        fx.reads(),
        1,
        "a repeat read on an instance is served from its own memory (L1), without Redis or the \
         store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_on_one_instance_reaches_the_memory_of_the_other() {
    let fx = Fixture::new("broadcast").await;
    let ttl = Duration::from_secs(30);
    let (a, b) = (
        fx.instance(&kv::redis_url(), ttl).await,
        fx.instance(&kv::redis_url(), ttl).await,
    );
    a.get("p1").await.unwrap();
    b.get("p1").await.unwrap();
    a.update("p1", "price 90").await.unwrap();
    assert_eq!(
        a.get("p1").await.unwrap(),
        "price 90",
        "the instance that wrote must read its own write at once"
    );
    let served = serves_within(&b, "price 90", Duration::from_secs(2)).await;
    assert_eq!(
        served, "price 90",
        "2 s after an update on instance A, instance B still serves the old price from its \
         memory, and will until its L1 entry expires (30 s): deleting the Redis copy does not \
         reach the other instances' memory — tell them (Redis pub/sub)"
    );
}

/// A's write to the store is paused; meanwhile B reads. If A announced the invalidation before
/// its write, B evicted, re-read the old value and cached it again — and nobody tells B twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_announced_before_the_write_is_wasted() {
    let fx = Fixture::new("order").await;
    let ttl = Duration::from_secs(30);
    let (a, b) = (
        fx.instance(&kv::redis_url(), ttl).await,
        fx.instance(&kv::redis_url(), ttl).await,
    );
    let a = Arc::new(a);
    b.get("p1").await.unwrap();
    let (reached_tx, reached_rx) = oneshot::channel();
    let (resume_tx, resume_rx) = oneshot::channel();
    *fx.db.pause_write.lock().unwrap() = Some((reached_tx, resume_rx));
    let writing = tokio::spawn({
        let a = Arc::clone(&a);
        async move { a.update("p1", "price 90").await }
    });
    within(Duration::from_secs(5), "A's write to the store", reached_rx)
        .await
        .expect("update writes the store");
    // Whatever A announced so far has had time to arrive; B reads meanwhile.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        b.get("p1").await.unwrap(),
        "price 100",
        "the store still says 100"
    );
    resume_tx.send(()).unwrap();
    within(Duration::from_secs(5), "A's update", writing)
        .await
        .unwrap()
        .unwrap();
    let served = serves_within(&b, "price 90", Duration::from_secs(2)).await;
    assert_eq!(
        served, "price 90",
        "B cached the old price again after the invalidation: it was announced before the \
         store changed, B re-read the old value in between, and no announcement followed the \
         write. Invalidate after the write"
    );
}

/// B's subscription is cut by the network (and comes back): invalidations sent meanwhile are
/// lost. Pub/sub delivers to whoever listens now; it keeps nothing for later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_subscription_leaves_no_value_staler_than_the_l1_ttl() {
    let fx = Fixture::new("lost").await;
    let ttl = Duration::from_secs(2);
    let proxy = CutProxy::in_front_of(&kv::redis_url()).await;
    let a = fx.instance(&kv::redis_url(), ttl).await;
    let b = fx.instance(&proxy.url_for(&kv::redis_url()), ttl).await;
    b.get("p1").await.unwrap();
    proxy.cut_now();
    a.update("p1", "price 90").await.unwrap();
    let served = serves_within(&b, "price 90", ttl + Duration::from_secs(3)).await;
    assert_eq!(
        served, "price 90",
        "B lost its subscription, missed the invalidation, and still serves the old price well \
         past its L1 TTL (2 s): a message bus can lose messages, so every L1 entry needs an \
         expiry as the bound on staleness (and a listener that loses its subscription cannot \
         trust what it holds)"
    );
}
