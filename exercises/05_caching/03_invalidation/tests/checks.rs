use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backlings_support::fault::CutProxy;
use backlings_support::within;
use backlings_support_kv::kv;
use cache_invalidation::{Catalog, Store, Versioned};
use tokio::sync::oneshot;

const TTL: Duration = Duration::from_secs(60);

/// The database: rows with versions, a count of reads, and a hook that pauses the next read
/// after it has taken its row — the slow reader of the race, made to happen every time.
#[derive(Default)]
struct Db {
    rows: Mutex<HashMap<String, Versioned>>,
    last_version: AtomicU64,
    reads: AtomicUsize,
    pause: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

struct Shared(Arc<Db>);

impl Store for Shared {
    fn read(&self, id: &str) -> impl Future<Output = Versioned> + Send {
        let (db, id) = (Arc::clone(&self.0), id.to_owned());
        async move {
            db.reads.fetch_add(1, Ordering::SeqCst);
            let row = db
                .rows
                .lock()
                .unwrap()
                .get(&id)
                .cloned()
                .expect("a seeded row");
            let pause = db.pause.lock().unwrap().take();
            if let Some((taken, resume)) = pause {
                let _ = taken.send(());
                let _ = resume.await;
            }
            row
        }
    }

    fn write(&self, id: &str, value: &str) -> impl Future<Output = u64> + Send {
        let db = Arc::clone(&self.0);
        let (id, value) = (id.to_owned(), value.to_owned());
        async move {
            let version = db.last_version.fetch_add(1, Ordering::SeqCst) + 1;
            db.rows
                .lock()
                .unwrap()
                .insert(id, Versioned { value, version });
            version
        }
    }
}

impl Db {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

/// A database with `p1` = "price 100", and a catalog over it whose keys start with `test`'s
/// own prefix (tests share the run's Redis database).
async fn catalog(test: &str) -> (Arc<Db>, Arc<Catalog<Shared>>) {
    let db = Arc::new(Db::default());
    Shared(Arc::clone(&db)).write("p1", "price 100").await;
    let prefix = format!("inv:{test}:");
    kv::forget(&[&format!("{prefix}p1")]).await;
    let catalog = Catalog::new(
        Shared(Arc::clone(&db)),
        kv::connection().await,
        &prefix,
        TTL,
    );
    (db, Arc::new(catalog))
}

type Reading = tokio::task::JoinHandle<redis::RedisResult<String>>;

/// Starts `catalog.get("p1")` on a miss and returns once it has read the store and is paused
/// there, with what resumes it.
async fn reader_paused_after_its_read(
    db: &Db,
    catalog: &Arc<Catalog<Shared>>,
) -> (Reading, oneshot::Sender<()>) {
    let (taken_tx, taken_rx) = oneshot::channel();
    let (resume_tx, resume_rx) = oneshot::channel();
    *db.pause.lock().unwrap() = Some((taken_tx, resume_rx));
    let reader = tokio::spawn({
        let catalog = Arc::clone(catalog);
        async move { catalog.get("p1").await }
    });
    within(
        Duration::from_secs(5),
        "the reader's read of the store",
        taken_rx,
    )
    .await
    .expect("the reader reads the store on a miss");
    (reader, resume_tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_come_from_the_cache_until_a_write_invalidates_it() {
    let (db, catalog) = catalog("hits").await;
    for _ in 0..3 {
        assert_eq!(catalog.get("p1").await.unwrap(), "price 100");
    }
    assert_eq!(
        db.reads(),
        1,
        "one read of the store, then the cache serves"
    );
    catalog.update("p1", "price 90").await.unwrap();
    assert_eq!(
        catalog.get("p1").await.unwrap(),
        "price 90",
        "after a write the cache must not serve the old value"
    );
    assert_eq!(catalog.get("p1").await.unwrap(), "price 90");
    assert_eq!(
        db.reads(),
        2,
        "after the write, one read of the store refills the cache and the next get is a hit"
    );
}

/// The race of delete-on-write, scripted: a reader misses and reads "price 100" from the
/// store; before it fills the cache, a writer stores "price 90" and invalidates; then the
/// reader fills the cache with what it read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_cannot_put_back_a_value_older_than_the_last_write() {
    let (db, catalog) = catalog("race").await;
    let (reader, resume_tx) = reader_paused_after_its_read(&db, &catalog).await;
    catalog.update("p1", "price 90").await.unwrap();
    resume_tx.send(()).unwrap();
    let read = within(Duration::from_secs(5), "the slow reader", reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, "price 100", "the slow reader returns what it read");

    // A delete-after-delay (a second invalidation shortly after the write) bounds the stale
    // window; versioned writes close it. Either way it ends within 2 s, not with the TTL.
    let mut served = String::new();
    for _ in 0..20 {
        served = catalog.get("p1").await.unwrap();
        if served == "price 90" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        served, "price 90",
        "the cache serves the value the slow reader read before the write, and will until the \
         TTL ends: \"write the database, then delete the key\" loses to a reader that fills the \
         cache after the delete. The fill must not overwrite a newer write — the store's \
         version says which is newer — or the key must be invalidated again after the fill"
    );
}

/// The same race one step later: the reader has checked what the cache holds and is about to
/// write; a second app instance's update lands between its check and its write. A check in
/// the application and a SET after it are two commands; only one command is atomic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_between_the_readers_check_and_its_fill_still_wins() {
    let (db, writer) = catalog("check-then-set").await;
    let proxy = CutProxy::in_front_of(&kv::redis_url()).await;
    let reader = Arc::new(Catalog::new(
        Shared(Arc::clone(&db)),
        kv::connection_via(&proxy).await,
        "inv:check-then-set:",
        TTL,
    ));
    let (reading, resume_tx) = reader_paused_after_its_read(&db, &reader).await;
    // From here the reader may send one command; its second, if any, is held back.
    proxy.hold_after_round_trips(1);
    resume_tx.send(()).unwrap();
    let split = proxy.held_within(Duration::from_secs(1)).await;
    writer.update("p1", "price 90").await.unwrap();
    proxy.release();
    within(Duration::from_secs(5), "the reader", reading)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        writer.get("p1").await.unwrap(),
        "price 90",
        "the update of another instance landed between the reader's {} and the reader then \
         filled the cache with the older value: the comparison and the write must be one \
         command (a Lua script runs as one)",
        if split { "check and its write" } else { "fill" }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_and_invalidations_expire() {
    let (_db, catalog) = catalog("ttl").await;
    let mut conn = kv::connection().await;
    let key = catalog.key("p1");
    catalog.get("p1").await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (1..=60).contains(&ttl),
        "a cached entry expires (TTL ≤ 60 s), got TTL {ttl} for {key}"
    );
    catalog.update("p1", "price 90").await.unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl == -2 || (1..=60).contains(&ttl),
        "after an update the key is gone or expires, got TTL {ttl}: whatever an invalidation \
         leaves behind must not stay forever (a key per product ever written)"
    );
}
