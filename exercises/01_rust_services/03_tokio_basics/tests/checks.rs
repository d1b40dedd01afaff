use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_basics::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn dashboard_calls_run_concurrently() {
    let start = Instant::now();
    assert_eq!(dashboard(ms(80), ms(120)).await, (1, 2));
    assert_eq!(
        start.elapsed(),
        ms(120),
        "80 ms + 120 ms calls made at the same time take 120 ms; 200 ms means they ran one after the other (use tokio::join!)"
    );
}

#[tokio::test(start_paused = true)]
async fn spawn_all_keeps_input_order() {
    let start = Instant::now();
    let answers = spawn_all(vec![ms(300), ms(100), ms(200), ms(50)]).await;
    assert_eq!(
        answers,
        [0, 1, 2, 3],
        "answers must be in input order, not completion order"
    );
    assert_eq!(
        start.elapsed(),
        ms(300),
        "four tasks running at once take as long as the slowest (300 ms); did you await each handle right after spawning it?"
    );
}

#[tokio::test(start_paused = true)]
async fn spawn_all_of_nothing_is_empty() {
    assert!(spawn_all(Vec::new()).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn timeout_lets_fast_calls_through() {
    assert_eq!(with_timeout(ms(100), call(ms(99), 7)).await, Ok(7));
}

#[tokio::test(start_paused = true)]
async fn timeout_cuts_slow_calls_at_the_limit() {
    let start = Instant::now();
    assert_eq!(
        with_timeout(ms(100), call(ms(5_000), 7)).await,
        Err(TimedOut)
    );
    assert_eq!(
        start.elapsed(),
        ms(100),
        "give up exactly at the limit, don't wait for the call"
    );
}

fn counted_replica(
    count: &Arc<AtomicUsize>,
    latency: Duration,
) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = u32> + Send>> {
    let count = Arc::clone(count);
    move || {
        count.fetch_add(1, Ordering::SeqCst);
        Box::pin(call(latency, 2))
    }
}

#[tokio::test(start_paused = true)]
async fn fast_primary_never_starts_the_replica() {
    let replicas = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let got = hedged(call(ms(10), 1), counted_replica(&replicas, ms(1)), ms(50)).await;
    assert_eq!(got, ("primary", 1));
    assert_eq!(start.elapsed(), ms(10));
    assert_eq!(
        replicas.load(Ordering::SeqCst),
        0,
        "the replica must only be asked once `hedge_after` has passed"
    );
}

#[tokio::test(start_paused = true)]
async fn slow_primary_is_hedged() {
    let replicas = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let got = hedged(call(ms(500), 1), counted_replica(&replicas, ms(30)), ms(50)).await;
    assert_eq!(got, ("replica", 2));
    assert_eq!(
        start.elapsed(),
        ms(80),
        "the replica starts at 50 ms and answers 30 ms later"
    );
    assert_eq!(replicas.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn primary_can_still_win_after_hedging() {
    let replicas = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let got = hedged(call(ms(60), 1), counted_replica(&replicas, ms(100)), ms(50)).await;
    assert_eq!(
        got,
        ("primary", 1),
        "after hedging, keep waiting for the primary too: whichever answers first wins"
    );
    assert_eq!(start.elapsed(), ms(60));
}
