//! Concurrency with tokio: join, spawn, select and timeouts.

use std::future::Future;
use std::time::Duration;

/// A stand-in for a call to another service: answers `value` after `latency`.
pub async fn call(latency: Duration, value: u32) -> u32 {
    tokio::time::sleep(latency).await;
    value
}

/// Loads a dashboard: the profile and the orders come from two services. Make both calls
/// *concurrently* and return `(profile, orders)`.
pub async fn dashboard(profile_latency: Duration, orders_latency: Duration) -> (u32, u32) {
    // TODO: this waits for one call, then the other. Run them at the same time.
    let profile = call(profile_latency, 1).await;
    let orders = call(orders_latency, 2).await;
    (profile, orders)
}

/// Spawns one task per job. Job `i` answers `call(latencies[i], i as u32)`. Returns the answers
/// in the order of `latencies` (not in the order they finish), taking only as long as the
/// slowest job.
pub async fn spawn_all(latencies: Vec<Duration>) -> Vec<u32> {
    todo!("spawn every task first, then await the JoinHandles in order")
}

#[derive(Debug, PartialEq, Eq)]
pub struct TimedOut;

/// Waits for `fut` for at most `limit`; `Err(TimedOut)` when it takes longer.
pub async fn with_timeout<T>(limit: Duration, fut: impl Future<Output = T>) -> Result<T, TimedOut> {
    todo!("tokio::time::timeout, or select! against a sleep")
}

/// A hedged request: await `primary`; if it has not answered after `hedge_after`, *start* the
/// replica (call `replica()` — and only then) and return whichever answers first, tagged with
/// where the answer came from.
pub async fn hedged<P, R, F>(primary: P, replica: R, hedge_after: Duration) -> (&'static str, u32)
where
    P: Future<Output = u32>,
    R: FnOnce() -> F,
    F: Future<Output = u32>,
{
    todo!(
        "select! between the primary and a sleep; if the sleep wins, select! between the primary and the replica"
    )
}
