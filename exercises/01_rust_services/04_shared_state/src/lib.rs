//! Shared state two ways: a map behind `Arc<Mutex<_>>`, and an actor that owns its map.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Request counts per path, shared by every handler (clone it into each).
#[derive(Clone, Default)]
pub struct HitCounter {
    hits: Arc<Mutex<HashMap<String, u64>>>,
}

impl HitCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one hit on `path`. Many threads call this at once: no hit may be lost.
    pub fn record(&self, path: &str) {
        todo!("lock once, update in place (the entry API)")
    }

    /// Hits on `path` so far (0 if never hit).
    pub fn get(&self, path: &str) -> u64 {
        todo!()
    }

    /// The `n` most-hit paths, most hits first; equal counts ordered by path name.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        todo!("copy the entries out under the lock, sort outside it")
    }
}

/// Messages to the counter actor.
pub enum Command {
    Record(String),
    Get(String, oneshot::Sender<u64>),
}

/// A cheap, cloneable way to talk to the counter actor.
#[derive(Clone)]
pub struct CounterHandle {
    tx: mpsc::Sender<Command>,
}

/// Spawns the actor: a task that owns a `HashMap<String, u64>`, applies each `Command` in the
/// order received, and — once every `CounterHandle` is dropped — ends, returning the map.
pub fn spawn_counter() -> (CounterHandle, JoinHandle<HashMap<String, u64>>) {
    let (tx, rx) = mpsc::channel::<Command>(64);
    let _ = rx;
    let task = tokio::spawn(async move {
        todo!("loop over rx.recv().await until it returns None, then return the map")
    });
    (CounterHandle { tx }, task)
}

impl CounterHandle {
    pub async fn record(&self, path: &str) {
        todo!("send Command::Record")
    }

    pub async fn get(&self, path: &str) -> u64 {
        todo!("send Command::Get with a oneshot sender, await the receiver")
    }
}
