//! Graceful shutdown: stop accepting, drain in-flight work for a grace period, then cancel the rest.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, PartialEq, Eq)]
pub struct ShuttingDown;

#[derive(Debug, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Requests that finished their work (before or during the drain).
    pub completed: usize,
    /// Requests cancelled because the grace period ran out.
    pub aborted: usize,
}

pub struct Server {
    /// Cancelled when shutdown begins: stop accepting.
    stopping: CancellationToken,
    /// Cancelled when the grace period is over: abandon in-flight work.
    hard_stop: CancellationToken,
    tracker: TaskTracker,
    completed: Arc<AtomicUsize>,
    aborted: Arc<AtomicUsize>,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    pub fn new() -> Self {
        Server {
            stopping: CancellationToken::new(),
            hard_stop: CancellationToken::new(),
            tracker: TaskTracker::new(),
            completed: Arc::new(AtomicUsize::new(0)),
            aborted: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Accepts a request whose work takes `work`, running it on a tracked task that counts it
    /// as completed when the work is done — or as aborted if the hard stop comes first.
    /// Once shutdown has begun, refuses with `ShuttingDown`.
    pub fn handle(&self, work: Duration) -> Result<(), ShuttingDown> {
        todo!("check `stopping`; spawn on the tracker a select! between sleep(work) and hard_stop")
    }

    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }

    /// A token that is cancelled when shutdown begins (for accept loops).
    pub fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    /// Begins shutdown: refuse new requests, wait for in-flight ones for at most `grace`, then
    /// cancel the rest and wait for them to notice. Returns as soon as everything is finished.
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        todo!(
            "cancel `stopping`, close the tracker, wait with a timeout, then `hard_stop` if needed"
        )
    }
}

/// Accepts requests from `incoming` (each is the work it needs) and hands them to the server,
/// until shutdown begins or the channel closes. Returns how many requests it accepted.
pub async fn accept_loop(server: &Server, mut incoming: mpsc::Receiver<Duration>) -> usize {
    let _ = &mut incoming;
    todo!("select! between incoming.recv() and server.stopping().cancelled()")
}
