//! An order saga across three services — inventory, payments, shipping — with compensations
//! in reverse order, its state in Postgres, and resumption after a crash.

use std::time::Duration;

use serde::{Deserialize, Serialize};
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
enum Answer {
    Done,
    /// A 4xx: the service will not do it, now or later.
    Refused(String),
}

/// The forward steps, in order. Step `n` (1-based) is `STEPS[n - 1]`.
const STEPS: [&str; 3] = ["reserve stock", "charge", "ship"];

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
        let order =
            serde_json::to_value(order).map_err(|e| SagaError::Interrupted(e.to_string()))?;
        sqlx::query(
            r#"INSERT INTO sagas (id, "order") VALUES ($1, $2) ON CONFLICT (id) DO NOTHING"#,
        )
        .bind(id)
        .bind(order)
        .execute(&self.pool)
        .await?;
        self.resume(id).await
    }

    /// Takes the saga `id` on from where its stored state says it is.
    pub async fn resume(&self, id: &str) -> Result<Outcome, SagaError> {
        loop {
            let row: Option<(serde_json::Value, String, i32, Option<String>)> =
                sqlx::query_as(r#"SELECT "order", state, done, reason FROM sagas WHERE id = $1"#)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some((order, state, done, reason)) = row else {
                return Err(SagaError::Unknown(id.to_owned()));
            };
            let order: Order =
                serde_json::from_value(order).map_err(|e| SagaError::Interrupted(e.to_string()))?;
            match state.as_str() {
                "completed" => return Ok(Outcome::Completed),
                "compensated" => {
                    return Ok(Outcome::Compensated {
                        reason: reason.unwrap_or_default(),
                    });
                }
                "running" if done as usize == STEPS.len() => {
                    self.set(id, "completed", done, None).await?;
                }
                "running" => match self.step(id, &order, done + 1).await? {
                    // Recorded only once the service has done it: a crash before this line
                    // repeats the step, which the saga id makes harmless.
                    Answer::Done => self.set(id, "running", done + 1, None).await?,
                    Answer::Refused(why) => {
                        let reason = format!("{} refused: {why}", STEPS[done as usize]);
                        self.set(id, "compensating", done, Some(&reason)).await?;
                    }
                },
                _ if done == 0 => self.set(id, "compensated", 0, None).await?,
                // Compensating: undo the last step still done, then the one before.
                _ => {
                    self.compensate(id, done).await?;
                    self.set(id, "compensating", done - 1, None).await?;
                }
            }
        }
    }

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
    async fn step(&self, id: &str, order: &Order, n: i32) -> Result<Answer, SagaError> {
        let s = &self.services;
        let request = match n {
            1 => self
                .http
                .post(format!("{}/reservations", s.inventory))
                .json(&json!({ "saga_id": id, "sku": order.sku, "qty": order.qty })),
            2 => self
                .http
                .post(format!("{}/charges", s.payments))
                .json(&json!({ "saga_id": id, "amount_cents": order.amount_cents })),
            _ => self
                .http
                .post(format!("{}/shipments", s.shipping))
                .json(&json!({ "saga_id": id, "sku": order.sku })),
        };
        call(request).await
    }

    /// Undoes forward step `n` of saga `id`. Compensations cannot be refused: a refusal is a
    /// bug on the other side, retried like an outage until someone looks.
    async fn compensate(&self, id: &str, n: i32) -> Result<(), SagaError> {
        let s = &self.services;
        let request = match n {
            1 => self
                .http
                .delete(format!("{}/reservations/{id}", s.inventory)),
            2 => self
                .http
                .post(format!("{}/charges/{id}/refund", s.payments)),
            // The last step has nothing after it that could fail: it is never undone.
            _ => return Ok(()),
        };
        match call(request).await? {
            Answer::Done => Ok(()),
            Answer::Refused(why) => Err(SagaError::Interrupted(format!(
                "compensating {} was refused: {why}",
                STEPS[n as usize - 1]
            ))),
        }
    }
}

async fn call(request: reqwest::RequestBuilder) -> Result<Answer, SagaError> {
    let response = request
        .send()
        .await
        .map_err(|e| SagaError::Interrupted(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(Answer::Done)
    } else if status.is_client_error() {
        Ok(Answer::Refused(response.text().await.unwrap_or_default()))
    } else {
        Err(SagaError::Interrupted(format!(
            "the service answered {status}"
        )))
    }
}
