use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support::{Gauge, within};
use cache_stampede::{LoadError, Loader, Prices};
use tokio::sync::Barrier;

/// A pricing service that counts its calls. Each call is held until `hold_until` calls are in
/// flight at once, or for 1 s: long enough that every reader of a stampede has arrived while the
/// first load is still running, whatever the machine is doing.
struct Pricing {
    calls: AtomicUsize,
    in_flight: Gauge,
    hold_until: usize,
    /// The first this many calls fail.
    failures: usize,
}

impl Pricing {
    fn new(hold_until: usize, failures: usize) -> Arc<Pricing> {
        Arc::new(Pricing {
            calls: AtomicUsize::new(0),
            in_flight: Gauge::default(),
            hold_until,
            failures,
        })
    }

    fn loader(self: &Arc<Pricing>) -> Loader {
        let pricing = Arc::clone(self);
        Arc::new(move |sku: String| {
            let pricing = Arc::clone(&pricing);
            Box::pin(async move {
                let call = pricing.calls.fetch_add(1, Ordering::SeqCst);
                let loading = pricing.in_flight.enter();
                for _ in 0..200 {
                    if pricing.in_flight.now() >= pricing.hold_until {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                drop(loading);
                if call < pricing.failures {
                    return Err(LoadError("503 from pricing".into()));
                }
                Ok(1000 + sku.len() as u64)
            })
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// `readers` tasks released together on the multi-threaded runtime, each asking for `sku`.
async fn stampede(
    prices: Arc<Prices>,
    readers: usize,
    sku: &str,
) -> Vec<Result<u64, Arc<LoadError>>> {
    let barrier = Arc::new(Barrier::new(readers));
    let tasks: Vec<_> = (0..readers)
        .map(|_| {
            let (prices, barrier, sku) =
                (Arc::clone(&prices), Arc::clone(&barrier), sku.to_owned());
            tokio::spawn(async move {
                barrier.wait().await;
                prices.price(&sku).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(
            within(Duration::from_secs(10), "a reader", task)
                .await
                .expect("a reader panicked"),
        );
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_cold_readers_cause_one_load() {
    let pricing = Pricing::new(100, 0);
    let prices = Arc::new(Prices::new(pricing.loader(), Duration::from_secs(60)));
    let results = stampede(prices, 100, "sku-42").await;
    assert!(
        results.iter().all(|r| r.as_ref().ok() == Some(&1006)),
        "every reader gets the price: {:?}",
        results.iter().find(|r| r.as_ref().ok() != Some(&1006))
    );
    assert_eq!(
        pricing.calls(),
        1,
        "100 readers asking for one missing price at the same moment made {} calls to the pricing \
         service. Checking the cache, then loading on a miss, lets every reader that arrives \
         before the first load finishes load too: the stampede that takes a backend down right \
         after a deploy or an expiry. Readers of a key that is being loaded must wait for that load",
        pricing.calls()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_load_is_not_cached_and_the_next_reader_tries_again() {
    let pricing = Pricing::new(1, 1);
    let prices = Prices::new(pricing.loader(), Duration::from_secs(60));
    let first = prices.price("sku-7").await;
    assert!(
        first.is_err(),
        "the pricing service failed, so the caller must hear it failed, got {first:?} (a \
         made-up price is worse than an error)"
    );
    let second = prices.price("sku-7").await;
    assert_eq!(
        second.ok(),
        Some(1005),
        "the failure was cached: the next reader must try the service again, not be served the \
         old error until it expires"
    );
    assert_eq!(pricing.calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readers_of_a_failing_load_share_its_one_call() {
    let pricing = Pricing::new(50, usize::MAX);
    let prices = Arc::new(Prices::new(pricing.loader(), Duration::from_secs(60)));
    let results = stampede(prices, 50, "sku-9").await;
    assert!(
        results.iter().all(Result::is_err),
        "every reader hears of the failure"
    );
    assert_eq!(
        pricing.calls(),
        1,
        "while the pricing service is failing, 50 readers at once made {} calls: an outage \
         multiplied by the traffic. The readers of one load share its outcome, the error too",
        pricing.calls()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_key_does_not_hold_up_another() {
    let pricing = Pricing::new(2, 0);
    let prices = Arc::new(Prices::new(pricing.loader(), Duration::from_secs(60)));
    let (a, b) = tokio::join!(
        stampede(Arc::clone(&prices), 1, "sku-a"),
        stampede(Arc::clone(&prices), 1, "sku-b")
    );
    assert!(a[0].is_ok() && b[0].is_ok());
    assert_eq!(
        pricing.in_flight.peak(),
        2,
        "two different SKUs were loaded one after the other: one lock around every load \
         serialises the whole cache behind its slowest key. Only readers of the same key wait \
         for each other"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_is_loaded_again_once_its_ttl_has_passed() {
    let pricing = Pricing::new(1, 0);
    let prices = Prices::new(pricing.loader(), Duration::from_millis(200));
    prices.price("sku-1").await.expect("price");
    prices.price("sku-1").await.expect("price");
    assert_eq!(
        pricing.calls(),
        1,
        "the second read within the TTL is served from the cache"
    );
    // Well past the TTL: a loaded machine only makes this later, never earlier.
    tokio::time::sleep(Duration::from_millis(600)).await;
    prices.price("sku-1").await.expect("price");
    assert_eq!(
        pricing.calls(),
        2,
        "600 ms after it was loaded, a price with a 200 ms TTL was still served from the cache: \
         without an expiry a cached price never sees the change at the source"
    );
}
