//! An order saga across three services — inventory, payments, shipping — with compensations
//! in reverse order, its state in Postgres, and resumption after a crash.

use std::time::Duration;

use serde::{Deserialize, Serialize};
#[allow(unused_imports)]
use serde_json::json;
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub sku: String,
    pub qty: i32,
    pub amount_cents: i64,
}

/// Base URLs of the three services.
#[derive(Debug, Clone)]
pub struct Services {
    pub inventory: String,
    pub payments: String,
    pub shipping: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step succeeded.
    Completed,
    /// A service refused a step; every step done before it was undone.
    Compensated { reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    /// A call failed in a way that may pass (no answer, a 5xx): the saga is left where it was,
    /// and `resume` goes on from there.
    #[error("interrupted: {0}")]
    Interrupted(String),
    #[error("no saga {0}")]
    Unknown(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// What a service said to one call.
#[allow(dead_code)]
enum Answer {
    Done,
    /// A 4xx: the service will not do it, now or later.
    Refused(String),
}

/// The forward steps, in order. Step `n` (1-based) is `STEPS[n - 1]`.
#[allow(dead_code)]
const STEPS: [&str; 3] = ["reserve stock", "charge", "ship"];

#[allow(dead_code)]
pub struct Saga {
    pool: PgPool,
    http: reqwest::Client,
    services: Services,
}

impl Saga {
    pub fn new(pool: PgPool, services: Services) -> Saga {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Saga {
            pool,
            http,
            services,
        }
    }

    /// Starts the saga `id` for `order` (starting an id that exists resumes it).
    pub async fn start(&self, id: &str, order: &Order) -> Result<Outcome, SagaError> {
        todo!("store the saga (unless it exists), then resume it")
    }

    /// Takes the saga `id` on from where its stored state says it is.
    pub async fn resume(&self, id: &str) -> Result<Outcome, SagaError> {
        todo!("read the stored state; take one step forward or back; store; until finished")
    }

    #[allow(dead_code)]
    async fn set(
        &self,
        id: &str,
        state: &str,
        done: i32,
        reason: Option<&str>,
    ) -> Result<(), SagaError> {
        sqlx::query(
            "UPDATE sagas SET state = $2, done = $3, reason = COALESCE($4, reason) WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(done)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forward step `n` of saga `id`.
    #[allow(dead_code)]
    async fn step(&self, id: &str, order: &Order, n: i32) -> Result<Answer, SagaError> {
        todo!("call the service of forward step n, with the saga id")
    }

    /// Undoes forward step `n` of saga `id`. Compensations cannot be refused: a refusal is a
    /// bug on the other side, retried like an outage until someone looks.
    #[allow(dead_code)]
    async fn compensate(&self, id: &str, n: i32) -> Result<(), SagaError> {
        todo!("undo forward step n")
    }
}

#[allow(dead_code)]
async fn call(request: reqwest::RequestBuilder) -> Result<Answer, SagaError> {
    todo!("send; 2xx is done, 4xx a refusal, anything else an interruption")
}
