//! On tokio's paused clock: time moves only when every task waits, so "at once" is exact
//! (no time passes) and a load of 2 s takes exactly 2 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use cache_swr::{LoadError, Loader, SwrCache};
use tokio::task::JoinSet;
use tokio::time::{Instant, advance};

const FRESH: Duration = Duration::from_secs(100);
const STALE: Duration = Duration::from_secs(600);
const LOAD: Duration = Duration::from_secs(2);

/// The source of truth: counts its calls, answers its current `version` after `delay`.
struct Source {
    calls: AtomicUsize,
    version: AtomicU64,
    failing: AtomicBool,
    delay: Duration,
}

impl Source {
    fn new(delay: Duration) -> Arc<Source> {
        Arc::new(Source {
            calls: AtomicUsize::new(0),
            version: AtomicU64::new(1),
            failing: AtomicBool::new(false),
            delay,
        })
    }

    fn loader(self: &Arc<Source>) -> Loader {
        let source = Arc::clone(self);
        Arc::new(move |_key: String| {
            let source = Arc::clone(&source);
            source.calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(source.delay).await;
                if source.failing.load(Ordering::SeqCst) {
                    return Err(LoadError("timeout".into()));
                }
                Ok(source.version.load(Ordering::SeqCst))
            })
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Lets background refreshes that were started run to completion.
async fn let_refreshes_finish() {
    tokio::time::sleep(LOAD + Duration::from_millis(1)).await;
}

/// Lets the refreshes just started call the source (1 ms: nothing else is due).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// A get of each key, all at the same moment; their values and how long the slowest took.
async fn together(cache: &Arc<SwrCache>, keys: &[String]) -> (Vec<u64>, Duration) {
    let start = Instant::now();
    let mut set = JoinSet::new();
    for (i, key) in keys.iter().enumerate() {
        let (cache, key) = (Arc::clone(cache), key.clone());
        set.spawn(async move { (i, cache.get(&key).await) });
    }
    let mut values = vec![0; keys.len()];
    while let Some(done) = set.join_next().await {
        let (i, value) = done.expect("a reader panicked");
        values[i] = value.expect("the load succeeds");
    }
    (values, start.elapsed())
}

fn same(key: &str, n: usize) -> Vec<String> {
    vec![key.to_owned(); n]
}

#[tokio::test(start_paused = true)]
async fn a_fresh_entry_is_served_without_a_load() {
    let source = Source::new(LOAD);
    let cache = SwrCache::new(source.loader(), FRESH, STALE);
    assert_eq!(cache.get("k").await, Ok(1));
    advance(FRESH.mul_f64(0.85)).await;
    assert_eq!(cache.get("k").await, Ok(1));
    assert_eq!(
        source.calls(),
        1,
        "within its freshness lifetime an entry is served as is"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stale_entry_is_served_at_once_and_refreshed_once() {
    let source = Source::new(LOAD);
    let cache = SwrCache::new(source.loader(), FRESH, STALE);
    assert_eq!(cache.get("k").await, Ok(1));
    source.version.store(2, Ordering::SeqCst);
    advance(FRESH.mul_f64(1.2)).await;

    let (values, took) = together(&cache, &same("k", 20)).await;
    assert_eq!(
        took,
        Duration::ZERO,
        "readers of a stale entry waited {took:?}: inside the stale window the cached value is \
         returned at once, and the refresh happens in the background"
    );
    assert_eq!(values, vec![1; 20], "the stale value, not a new one yet");
    let_refreshes_finish().await;
    assert_eq!(
        source.calls(),
        2,
        "20 readers saw the entry stale and the source was called {} times in all: exactly one \
         of them may start a refresh — mark the entry as refreshing in the same critical \
         section that found it stale",
        source.calls()
    );
    assert_eq!(
        cache.get("k").await,
        Ok(2),
        "once refreshed, the new value is served"
    );
}

#[tokio::test(start_paused = true)]
async fn past_the_stale_window_callers_wait_for_a_new_value() {
    let source = Source::new(LOAD);
    let cache = SwrCache::new(source.loader(), FRESH, STALE);
    assert_eq!(cache.get("k").await, Ok(1));
    source.version.store(2, Ordering::SeqCst);
    advance(FRESH.mul_f64(1.1) + STALE + Duration::from_secs(1)).await;
    let (values, took) = together(&cache, &same("k", 1)).await;
    assert_eq!(
        values,
        [2],
        "an entry older than its freshness lifetime plus the stale window must not be served: \
         stale-while-revalidate bounds how stale a value may be"
    );
    assert_eq!(took, LOAD, "the caller waited for the load");
}

#[tokio::test(start_paused = true)]
async fn a_failed_refresh_keeps_the_stale_value_and_is_tried_again() {
    let source = Source::new(LOAD);
    let cache = SwrCache::new(source.loader(), FRESH, STALE);
    assert_eq!(cache.get("k").await, Ok(1));
    source.failing.store(true, Ordering::SeqCst);
    advance(FRESH.mul_f64(1.2)).await;
    assert_eq!(cache.get("k").await, Ok(1));
    let_refreshes_finish().await;
    let (values, took) = together(&cache, &same("k", 1)).await;
    assert_eq!(
        (values[0], took),
        (1, Duration::ZERO),
        "after a failed refresh the stale value is still served, at once (stale-if-error): an \
         outage of the source is not an outage of the cache"
    );
    source.failing.store(false, Ordering::SeqCst);
    source.version.store(2, Ordering::SeqCst);
    let_refreshes_finish().await;
    assert_eq!(
        source.calls(),
        3,
        "the read after a failed refresh must start another one: an entry whose refresh failed \
         and is never tried again stays stale until its window ends"
    );
    assert_eq!(cache.get("k").await, Ok(2));
}

#[tokio::test(start_paused = true)]
async fn entries_loaded_together_do_not_expire_together() {
    let source = Source::new(Duration::ZERO);
    let cache = SwrCache::new(source.loader(), FRESH, STALE);
    let keys: Vec<String> = (0..1000).map(|i| format!("product:{i}")).collect();
    together(&cache, &keys).await;
    assert_eq!(source.calls(), 1000);

    // Just before fresh − 10%: nothing may have expired yet.
    advance(FRESH.mul_f64(0.89)).await;
    together(&cache, &keys).await;
    let early = source.calls() - 1000;
    assert_eq!(
        early, 0,
        "{early} of 1000 entries were stale at 89% of their freshness lifetime: jitter spreads \
         expiries over ± 10%, no further"
    );

    // At exactly the nominal lifetime, about half.
    advance(FRESH.mul_f64(0.11)).await;
    together(&cache, &keys).await;
    settle().await;
    let at_nominal = source.calls() - 1000;
    assert!(
        (350..=650).contains(&at_nominal),
        "{at_nominal} of 1000 entries loaded at the same moment were stale at once at the \
         nominal lifetime: with every entry given the same lifetime they all expire (and reload) \
         together — the synchronized expiry that makes a stampede. Spread each entry's lifetime \
         over ± 10%"
    );

    // Just past fresh + 10%: every entry loaded at the start has expired.
    advance(FRESH.mul_f64(0.101)).await;
    together(&cache, &keys).await;
    settle().await;
    assert_eq!(
        source.calls(),
        2000,
        "past 110% of the lifetime, each of the 1000 entries was refreshed exactly once"
    );
}
