use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support_kv::fault::CutProxy;
use backlings_support_kv::kv;
use redis::AsyncCommands;
use redis_cache::Cache;

async fn cache(prefix: &str) -> Cache {
    Cache::new(kv::connection().await, prefix)
}

#[tokio::test]
async fn put_then_get() {
    let mut c = cache("t1:").await;
    c.put("42", "Ada", Duration::from_secs(60)).await.unwrap();
    assert_eq!(c.get("42").await.unwrap().as_deref(), Some("Ada"));
    assert_eq!(
        c.get("43").await.unwrap(),
        None,
        "a missing key is None, not an error"
    );
}

#[tokio::test]
async fn keys_carry_the_prefix() {
    let mut c = cache("user:").await;
    c.put("7", "Grace", Duration::from_secs(60)).await.unwrap();
    let mut raw = kv::connection().await;
    let stored: Option<String> = raw.get("user:7").await.unwrap();
    assert_eq!(
        stored.as_deref(),
        Some("Grace"),
        "the value should be stored under \"user:7\""
    );
}

#[tokio::test]
async fn every_value_gets_a_ttl() {
    let mut c = cache("t3:").await;
    c.put("k", "v", Duration::from_secs(30)).await.unwrap();
    let ttl = c
        .ttl("k")
        .await
        .unwrap()
        .expect("a cached value must expire: use SET … EX");
    assert!(
        ttl <= Duration::from_secs(30) && ttl >= Duration::from_secs(28),
        "ttl was {ttl:?}, expected about 30 s"
    );
    let mut raw = kv::connection().await;
    let secs: i64 = raw.ttl("t3:k").await.unwrap();
    assert!(
        secs > 0,
        "Redis itself must see an expiry on the key, TTL returned {secs}"
    );
    assert_eq!(c.ttl("missing").await.unwrap(), None);
    let _: () = raw.set("t3:forever", "x").await.unwrap();
    assert_eq!(
        c.ttl("forever").await.unwrap(),
        None,
        "a key without expiry has no ttl"
    );
}

#[tokio::test]
async fn values_expire() {
    let mut c = cache("t4:").await;
    c.put("short", "lived", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(c.get("short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        c.get("short").await.unwrap(),
        None,
        "after its TTL the value must be gone"
    );
}

#[tokio::test]
async fn get_or_load_loads_once() {
    kv::forget(&["t5:p"]).await;
    let mut c = cache("t5:").await;
    let loads = AtomicUsize::new(0);
    let load = || async {
        loads.fetch_add(1, Ordering::SeqCst);
        "from the database".to_string()
    };
    assert_eq!(
        c.get_or_load("p", Duration::from_secs(60), load)
            .await
            .unwrap(),
        "from the database"
    );
    assert_eq!(
        c.get_or_load("p", Duration::from_secs(60), load)
            .await
            .unwrap(),
        "from the database"
    );
    assert_eq!(
        loads.load(Ordering::SeqCst),
        1,
        "the second call is a cache hit: load must not run"
    );
    assert!(
        c.ttl("p").await.unwrap().is_some(),
        "values cached by get_or_load expire too"
    );
}

#[tokio::test]
async fn invalidation_forces_a_reload() {
    kv::forget(&["t6:doc"]).await;
    let mut c = cache("t6:").await;
    let version = AtomicUsize::new(1);
    let load = || async { format!("v{}", version.load(Ordering::SeqCst)) };
    assert_eq!(
        c.get_or_load("doc", Duration::from_secs(60), load)
            .await
            .unwrap(),
        "v1"
    );
    version.store(2, Ordering::SeqCst); // the source of truth changes…
    assert_eq!(
        c.get_or_load("doc", Duration::from_secs(60), load)
            .await
            .unwrap(),
        "v1",
        "…the cache still says v1"
    );
    c.invalidate("doc").await.unwrap(); // …until it is invalidated
    assert_eq!(c.get("doc").await.unwrap(), None);
    assert_eq!(
        c.get_or_load("doc", Duration::from_secs(60), load)
            .await
            .unwrap(),
        "v2"
    );
}

/// `SET` then `EXPIRE` is two round trips: a connection lost between them (a deploy, a network
/// blip) leaves a value that never expires — a stale cache entry forever. `SET … EX` is one
/// command: at any cut the value is stored with its expiry or not at all. The test cuts the
/// connection after 0, 1, 2… round trips and looks at what Redis holds each time.
#[tokio::test]
async fn a_connection_lost_halfway_never_leaves_a_value_without_expiry() {
    kv::forget(&["t9:k"]).await;
    let proxy = CutProxy::in_front_of(&kv::redis_url()).await;
    let mut raw = kv::connection().await;
    for cut in 0.. {
        assert!(cut < 10, "put still talks to Redis after 10 round trips");
        let mut c = Cache::new(kv::connection_via(&proxy).await, "t9:");
        proxy.cut_after_round_trips(cut);
        let result = c.put("k", "v", Duration::from_secs(60)).await;
        let was_cut = proxy.has_cut();
        proxy.disarm();
        let ttl: i64 = raw.ttl("t9:k").await.unwrap();
        assert_ne!(
            ttl, -1,
            "the connection was lost after {cut} round trip(s) of put, and Redis now holds t9:k \
             without an expiry: store the value and its TTL in one command"
        );
        let _: () = raw.del("t9:k").await.unwrap();
        if !was_cut {
            result.expect("put succeeds when nothing is cut");
            break;
        }
    }
}
