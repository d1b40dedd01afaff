//! awaits each task right after spawning it, so the jobs run one after the other
//! Concurrency with tokio: join, spawn, select and timeouts.

use std::future::Future;
use std::time::Duration;

/// A stand-in for a call to another service: answers `value` after `latency`.
pub async fn call(latency: Duration, value: u32) -> u32 {
    tokio::time::sleep(latency).await;
    value
}

/// Loads a dashboard: both calls run concurrently.
pub async fn dashboard(profile_latency: Duration, orders_latency: Duration) -> (u32, u32) {
    tokio::join!(call(profile_latency, 1), call(orders_latency, 2))
}

/// Spawns one task per job and returns the answers in input order.
pub async fn spawn_all(latencies: Vec<Duration>) -> Vec<u32> {
    let mut answers = Vec::with_capacity(latencies.len());
    for (i, latency) in latencies.into_iter().enumerate() {
        answers.push(
            tokio::spawn(call(latency, i as u32))
                .await
                .expect("task panicked"),
        );
    }
    answers
}

#[derive(Debug, PartialEq, Eq)]
pub struct TimedOut;

/// Waits for `fut` for at most `limit`.
pub async fn with_timeout<T>(limit: Duration, fut: impl Future<Output = T>) -> Result<T, TimedOut> {
    tokio::time::timeout(limit, fut).await.map_err(|_| TimedOut)
}

/// A hedged request.
pub async fn hedged<P, R, F>(primary: P, replica: R, hedge_after: Duration) -> (&'static str, u32)
where
    P: Future<Output = u32>,
    R: FnOnce() -> F,
    F: Future<Output = u32>,
{
    tokio::pin!(primary);
    tokio::select! {
        v = &mut primary => return ("primary", v),
        _ = tokio::time::sleep(hedge_after) => {}
    }
    tokio::select! {
        v = &mut primary => ("primary", v),
        v = replica() => ("replica", v),
    }
}
