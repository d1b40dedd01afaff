//! the actor loops forever instead of ending when every handle is dropped
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

    pub fn record(&self, path: &str) {
        let mut hits = self.hits.lock().expect("lock poisoned");
        *hits.entry(path.to_owned()).or_insert(0) += 1;
    }

    pub fn get(&self, path: &str) -> u64 {
        self.hits
            .lock()
            .expect("lock poisoned")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut entries: Vec<(String, u64)> = {
            let hits = self.hits.lock().expect("lock poisoned");
            hits.iter().map(|(k, v)| (k.clone(), *v)).collect()
        };
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        entries.truncate(n);
        entries
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

pub fn spawn_counter() -> (CounterHandle, JoinHandle<HashMap<String, u64>>) {
    let (tx, mut rx) = mpsc::channel::<Command>(64);
    let task = tokio::spawn(async move {
        let mut hits: HashMap<String, u64> = HashMap::new();
        loop {
            let Some(cmd) = rx.recv().await else {
                std::future::pending::<()>().await;
                continue;
            };
            match cmd {
                Command::Record(path) => *hits.entry(path).or_insert(0) += 1,
                Command::Get(path, reply) => {
                    // The asker may have gone away; that is not the actor's problem.
                    let _ = reply.send(hits.get(&path).copied().unwrap_or(0));
                }
            }
        }
        hits
    });
    (CounterHandle { tx }, task)
}

impl CounterHandle {
    pub async fn record(&self, path: &str) {
        self.tx
            .send(Command::Record(path.to_owned()))
            .await
            .expect("counter actor stopped");
    }

    pub async fn get(&self, path: &str) -> u64 {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Get(path.to_owned(), reply))
            .await
            .expect("counter actor stopped");
        answer.await.expect("counter actor dropped the reply")
    }
}
