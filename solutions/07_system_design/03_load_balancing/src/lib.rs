//! A client-side load balancer: round robin, least outstanding requests, power of two choices,
//! and passive health checks that eject a failing backend and probe it back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
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

struct Backend {
    url: String,
    outstanding: AtomicUsize,
    health: Mutex<Health>,
}

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

/// Counts a request in flight for as long as it lives (also when its future is dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
    fn admit(&self, i: usize) -> bool {
        let mut health = self.backends[i]
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match *health {
            Health::Healthy { .. } => true,
            Health::Ejected { until } if Instant::now() >= until => {
                *health = Health::Probing;
                true
            }
            Health::Ejected { .. } | Health::Probing => false,
        }
    }

    fn is_available(&self, i: usize) -> bool {
        let health = *self.backends[i]
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match health {
            Health::Healthy { .. } => true,
            Health::Ejected { until } => Instant::now() >= until,
            Health::Probing => false,
        }
    }

    fn record(&self, i: usize, ok: bool) {
        let mut health = self.backends[i]
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *health = match (*health, ok) {
            (_, true) => Health::Healthy { failures: 0 },
            (Health::Healthy { failures }, false) if failures + 1 < self.health.eject_after => {
                Health::Healthy {
                    failures: failures + 1,
                }
            }
            (_, false) => Health::Ejected {
                until: Instant::now() + self.health.cooldown,
            },
        };
    }

    /// The backend for the next request, by the policy, among the available ones.
    fn pick(&self) -> Option<usize> {
        let available: Vec<usize> = (0..self.backends.len())
            .filter(|&i| self.is_available(i))
            .collect();
        if available.is_empty() {
            return None;
        }
        let chosen = match self.policy {
            Policy::RoundRobin => {
                available[self.next.fetch_add(1, Ordering::SeqCst) % available.len()]
            }
            Policy::LeastOutstanding => {
                // Ties go round robin, or the first backend gets every tie.
                let start = self.next.fetch_add(1, Ordering::SeqCst);
                (0..available.len())
                    .map(|k| available[(start + k) % available.len()])
                    .min_by_key(|&i| self.outstanding(i))?
            }
            Policy::PowerOfTwoChoices { .. } => {
                if available.len() == 1 {
                    available[0]
                } else {
                    let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                    let a = rng.random_range(0..available.len());
                    let mut b = rng.random_range(0..available.len() - 1);
                    if b >= a {
                        b += 1;
                    }
                    let (a, b) = (available[a], available[b]);
                    if self.outstanding(b) < self.outstanding(a) {
                        b
                    } else {
                        a
                    }
                }
            }
        };
        Some(chosen)
    }

    /// Sends `GET path` to a backend chosen by the policy and health. A 5xx or no answer
    /// counts as a failure of that backend.
    pub async fn get(&self, path: &str) -> Result<Served, BalancerError> {
        let i = loop {
            let i = self.pick().ok_or(BalancerError::NoBackend)?;
            if self.admit(i) {
                break i;
            }
        };
        let backend = &self.backends[i];
        backend.outstanding.fetch_add(1, Ordering::SeqCst);
        let _in_flight = InFlight(&backend.outstanding);
        let answer = self.http.get(format!("{}{path}", backend.url)).send().await;
        let status = answer.ok().map(|r| r.status().as_u16());
        self.record(i, status.is_some_and(|s| s < 500));
        Ok(Served { backend: i, status })
    }
}
