//! Helpers for the exercises' tests that need nothing but tokio: deadlines that say what hung
//! (`within`, `until`), a gauge of work in flight (`Gauge`), threads released together, tasks
//! queued on a lock (`queued_behind`), and a proxy that cuts a connection halfway (`fault`).
//! Learners never need to edit this crate.
//!
//! The helpers that need heavier crates live in crates of their own, so that an exercise
//! builds only what it uses: `backlings-support-http` (axum routers, OpenAPI checks),
//! `backlings-support-db` (Postgres pools, query plans, statement counts) and
//! `backlings-support-kv` (Redis).

pub mod fault;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Awaits `fut`, failing the test with `what` if it takes longer than `limit`. Use it around
/// anything that can deadlock, so a learner sees which step hung instead of a global timeout.
pub async fn within<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!(
            "{what} did not finish within {limit:?}: is something waiting forever (a lock held across .await, a channel nobody closes)?"
        ),
    }
}

/// Waits until `condition` holds, checking every 5 ms; fails the test with `what` after `limit`.
pub async fn until(limit: Duration, what: &str, condition: impl Fn() -> bool) {
    within(limit, what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Counts work in flight (calls to a fake dependency, jobs, renders) and the most at once.
/// `enter` returns a guard that leaves on drop, so work that is cancelled (a request whose
/// client gave up, a future dropped by a timeout) is counted out too.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One unit of work counted by a [`Gauge`]; leaves it when dropped.
pub struct InFlight<'a>(&'a Gauge);

impl Gauge {
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    /// In flight now.
    pub fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    /// The most ever in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `threads` OS threads that each call `f(thread_index)` `per_thread` times, all released at
/// once by a barrier so they really contend. Returns when all are done.
pub fn hammer<F>(threads: usize, per_thread: usize, f: F)
where
    F: Fn(usize) + Sync,
{
    let barrier = std::sync::Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (f, barrier) = (&f, &barrier);
            s.spawn(move || {
                barrier.wait();
                for _ in 0..per_thread {
                    f(t);
                }
            });
        }
    });
}

/// Makes `tasks` queue up on a lock, then lets them all go. `guard` is the code under test's
/// own lock (a `tokio::sync::Mutex` or `RwLock` guard the test took); the tasks, already
/// spawned, run until they wait for it. Then it is released and their results are collected.
/// tokio's locks are fair (first come, first served), so code that releases the lock between a
/// check and the write it decides on lets every queued task check before any writes: a split
/// critical section fails every time, not by chance.
pub async fn queued_behind<G, T>(
    guard: G,
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let tasks: Vec<_> = tasks.into_iter().collect();
    // Long enough for every task to reach the lock, on a loaded machine too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(guard);
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("a task of the test panicked"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_counts_what_is_in_flight_and_the_peak() {
        let g = Gauge::default();
        let a = g.enter();
        let b = g.enter();
        assert_eq!((g.now(), g.peak()), (2, 2));
        drop(a);
        let c = g.enter();
        drop((b, c));
        assert_eq!((g.now(), g.peak()), (0, 2));
    }

    #[test]
    fn hammer_runs_every_call() {
        let n = std::sync::atomic::AtomicUsize::new(0);
        hammer(4, 100, |_| {
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        assert_eq!(n.into_inner(), 400);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "did not finish")]
    async fn within_fails_slow_futures() {
        within(
            Duration::from_secs(1),
            "sleeping",
            tokio::time::sleep(Duration::from_secs(5)),
        )
        .await;
    }
}
