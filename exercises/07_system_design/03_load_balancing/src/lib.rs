//! A client-side load balancer: round robin, least outstanding requests, power of two choices,
//! and passive health checks that eject a failing backend and probe it back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
#[allow(unused_imports)] // you will need them
use rand::{RngExt, SeedableRng};
#[allow(unused_imports)]
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    RoundRobin,
    LeastOutstanding,
    /// Two distinct backends at random, the one with fewer requests in flight (seeded, so that
    /// a test is repeatable).
    PowerOfTwoChoices {
        seed: u64,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct HealthConfig {
    /// This many failures in a row eject a backend…
    pub eject_after: u32,
    /// …for this long; then one request probes it.
    pub cooldown: Duration,
}

#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Healthy {
        failures: u32,
    },
    Ejected {
        until: Instant,
    },
    /// Its cooldown is over and one probe is on its way.
    Probing,
}

#[allow(dead_code)]
struct Backend {
    url: String,
    outstanding: AtomicUsize,
    health: Mutex<Health>,
}

#[allow(dead_code)]
pub struct Balancer {
    backends: Vec<Backend>,
    policy: Policy,
    health: HealthConfig,
    next: AtomicUsize,
    rng: Mutex<StdRng>,
    http: reqwest::Client,
}

#[derive(Debug, PartialEq, Eq)]
pub enum BalancerError {
    /// Every backend is ejected.
    NoBackend,
}

/// What one request came to: which backend served it, and its status (None: no answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    pub backend: usize,
    pub status: Option<u16>,
}

impl Balancer {
    pub fn new(urls: &[String], policy: Policy, health: HealthConfig) -> Balancer {
        let seed = match policy {
            Policy::PowerOfTwoChoices { seed } => seed,
            _ => 0,
        };
        Balancer {
            backends: urls
                .iter()
                .map(|url| Backend {
                    url: url.clone(),
                    outstanding: AtomicUsize::new(0),
                    health: Mutex::new(Health::Healthy { failures: 0 }),
                })
                .collect(),
            policy,
            health,
            next: AtomicUsize::new(0),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Requests in flight to backend `i` right now.
    pub fn outstanding(&self, i: usize) -> usize {
        self.backends[i].outstanding.load(Ordering::SeqCst)
    }

    /// Whether backend `i` may get a request now: healthy, or at the end of its cooldown (and
    /// then this request is its one probe).
    #[allow(dead_code)]
    fn admit(&self, i: usize) -> bool {
        todo!("may backend i get a request now? (a backend whose cooldown is over gets one probe)")
    }

    #[allow(dead_code)]
    fn is_available(&self, i: usize) -> bool {
        todo!("healthy, or at the end of its cooldown")
    }

    #[allow(dead_code)]
    fn record(&self, i: usize, ok: bool) {
        todo!("what one outcome does to the health of backend i")
    }

    /// The backend for the next request, by the policy, among the available ones.
    #[allow(dead_code)]
    fn pick(&self) -> Option<usize> {
        todo!("the policy, among the available backends")
    }

    /// Sends `GET path` to a backend chosen by the policy and health. A 5xx or no answer
    /// counts as a failure of that backend.
    pub async fn get(&self, path: &str) -> Result<Served, BalancerError> {
        todo!("pick, admit, count it in flight while it lasts, send, record")
    }
}
