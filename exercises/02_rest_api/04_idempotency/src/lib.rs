//! Idempotent PUT, and POST made safe to retry with an Idempotency-Key.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewPayment {
    pub to: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub id: u64,
    pub to: String,
    pub amount_cents: u64,
}

/// What was answered for a key: the request it came with, and the response.
#[derive(Debug, Clone)]
pub struct Stored {
    pub request: NewPaymentKey,
    pub status: StatusCode,
    pub body: Value,
}

/// The part of a request that must match for a replay.
pub type NewPaymentKey = (String, u64);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub name: String,
}

#[derive(Default)]
pub struct Store {
    pub payments: Vec<Payment>,
    pub keys: HashMap<String, Stored>,
    pub accounts: BTreeMap<u64, Account>,
}

#[derive(Clone, Default)]
pub struct AppState {
    pub store: Arc<Mutex<Store>>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// POST /payments, with an `Idempotency-Key` header:
/// - no key: 400;
/// - a new key: create the payment (ids 1, 2, …), remember the answer, 201 + the payment;
/// - a known key with the same `to` and `amount_cents`: the stored status and body again, with
///   `Idempotent-Replayed: true`, and no new payment;
/// - a known key with a different request: 422, and no new payment.
pub async fn create_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(new): Json<NewPayment>,
) -> Response {
    let _ = (state, headers, new);
    error(StatusCode::NOT_IMPLEMENTED, "TODO")
}

/// GET /payments: every payment made.
pub async fn list_payments(State(state): State<AppState>) -> Json<Vec<Payment>> {
    Json(state.store.lock().await.payments.clone())
}

/// PUT /accounts/{id}: create (201) or replace (200) account `id` with the body.
pub async fn put_account(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(account): Json<Account>,
) -> (StatusCode, Json<Account>) {
    todo!("insert returns the previous value: None means created")
}

/// GET /accounts: how many accounts exist, and the accounts.
pub async fn list_accounts(State(state): State<AppState>) -> Json<BTreeMap<u64, Account>> {
    Json(state.store.lock().await.accounts.clone())
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/payments", get(list_payments).post(create_payment))
        .route("/accounts", get(list_accounts))
        .route("/accounts/{id}", put(put_account))
        .with_state(state)
}
