//! cancels in-flight work at once instead of letting it finish
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
    pub completed: usize,
    pub aborted: usize,
}

pub struct Server {
    stopping: CancellationToken,
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

    pub fn handle(&self, work: Duration) -> Result<(), ShuttingDown> {
        if self.stopping.is_cancelled() {
            return Err(ShuttingDown);
        }
        let hard_stop = self.hard_stop.clone();
        let (completed, aborted) = (Arc::clone(&self.completed), Arc::clone(&self.aborted));
        self.tracker.spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(work) => completed.fetch_add(1, Ordering::SeqCst),
                _ = hard_stop.cancelled() => aborted.fetch_add(1, Ordering::SeqCst),
            };
        });
        Ok(())
    }

    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::SeqCst)
    }

    pub fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        self.stopping.cancel();
        self.tracker.close();
        let _ = grace;
        self.hard_stop.cancel();
        self.tracker.wait().await;
        ShutdownReport {
            completed: self.completed.load(Ordering::SeqCst),
            aborted: self.aborted.load(Ordering::SeqCst),
        }
    }
}

pub async fn accept_loop(server: &Server, mut incoming: mpsc::Receiver<Duration>) -> usize {
    let stopping = server.stopping();
    let mut accepted = 0;
    loop {
        tokio::select! {
            _ = stopping.cancelled() => break,
            request = incoming.recv() => match request {
                Some(work) => {
                    if server.handle(work).is_ok() {
                        accepted += 1;
                    }
                }
                None => break,
            },
        }
    }
    accepted
}
