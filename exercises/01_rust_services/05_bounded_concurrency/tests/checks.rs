use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support::Gauge;
use bounded_concurrency::*;
use tokio::time::Instant;

fn job(gauge: &Arc<Gauge>) -> impl Fn(u64) -> std::pin::Pin<Box<dyn Future<Output = u64> + Send>> {
    let gauge = Arc::clone(gauge);
    move |ms: u64| {
        let gauge = Arc::clone(&gauge);
        Box::pin(async move {
            let _running = gauge.enter();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms * 10
        })
    }
}

#[tokio::test(start_paused = true)]
async fn never_more_than_limit_and_results_in_order() {
    let gauge = Arc::new(Gauge::default());
    let inputs: Vec<u64> = vec![100; 10];
    let start = Instant::now();
    let out = run_bounded(inputs, 3, job(&gauge)).await.unwrap();
    assert_eq!(out, vec![1000; 10]);
    let max = gauge.peak();
    assert!(max <= 3, "{max} jobs ran at once; the limit is 3");
    assert_eq!(max, 3, "with 10 jobs waiting, all 3 slots should be in use");
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(400),
        "10 jobs of 100 ms, 3 at a time: 4 rounds"
    );
}

#[tokio::test(start_paused = true)]
async fn outputs_follow_input_order_not_completion_order() {
    let gauge = Arc::new(Gauge::default());
    let out = run_bounded(vec![300, 10, 200, 20, 100], 5, job(&gauge))
        .await
        .unwrap();
    assert_eq!(out, vec![3000, 100, 2000, 200, 1000]);
}

#[tokio::test(start_paused = true)]
async fn a_slow_job_does_not_idle_the_other_slots() {
    let gauge = Arc::new(Gauge::default());
    let start = Instant::now();
    run_bounded(vec![500, 100, 100, 100, 100], 2, job(&gauge))
        .await
        .unwrap();
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(500),
        "while the 500 ms job runs, the other slot can do all four 100 ms jobs; \
         700 ms means jobs ran in batches of 2 that waited for their slowest member"
    );
}

#[tokio::test(start_paused = true)]
async fn limit_one_is_sequential() {
    let gauge = Arc::new(Gauge::default());
    let start = Instant::now();
    run_bounded(vec![10, 20, 30], 1, job(&gauge)).await.unwrap();
    assert_eq!(gauge.peak(), 1);
    assert_eq!(start.elapsed(), Duration::from_millis(60));
}

#[tokio::test(start_paused = true)]
async fn edge_cases() {
    let gauge = Arc::new(Gauge::default());
    assert_eq!(
        run_bounded(vec![1, 2], 0, job(&gauge)).await,
        Err(BoundError::ZeroLimit)
    );
    assert_eq!(run_bounded(Vec::new(), 4, job(&gauge)).await, Ok(vec![]));
    assert_eq!(
        run_bounded(vec![5, 5], 100, job(&gauge)).await,
        Ok(vec![50, 50]),
        "a limit above the job count is fine"
    );
}

/// Backpressure, not only a cap on running jobs: a job is *created* (`job(input)` called) only
/// when a slot is free. Spawning every job at once and acquiring the permit inside the task also
/// caps how many run, but it makes all of the futures (and tasks) up front — a million inputs,
/// a million tasks in memory.
#[tokio::test(start_paused = true)]
async fn a_job_is_created_only_when_a_slot_is_free() {
    let created = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let most_pending = Arc::new(AtomicUsize::new(0));
    let job = {
        let (created, finished, most_pending) =
            (created.clone(), finished.clone(), most_pending.clone());
        move |ms: u64| {
            let pending =
                created.fetch_add(1, Ordering::SeqCst) + 1 - finished.load(Ordering::SeqCst);
            most_pending.fetch_max(pending, Ordering::SeqCst);
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                finished.fetch_add(1, Ordering::SeqCst);
                ms
            }
        }
    };
    run_bounded(vec![100; 20], 4, job).await.unwrap();
    let most = most_pending.load(Ordering::SeqCst);
    assert!(
        most <= 4,
        "{most} jobs existed at once (created, not yet finished) with a limit of 4: acquire the \
         permit *before* calling `job` and spawning, so the loop waits for a free slot"
    );
}
