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

pub async fn create_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(new): Json<NewPayment>,
) -> Response {
    let Some(key) = headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "the Idempotency-Key header is required",
        );
    };
    let request = (new.to.clone(), new.amount_cents);
    // One lock for check and record: racing retries see each other.
    let mut store = state.store.lock().await;
    if let Some(stored) = store.keys.get(key) {
        if stored.request != request {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "this Idempotency-Key was used with a different request",
            );
        }
        return (
            stored.status,
            [(REPLAYED, "true")],
            Json(stored.body.clone()),
        )
            .into_response();
    }
    let payment = Payment {
        id: store.payments.len() as u64 + 1,
        to: new.to,
        amount_cents: new.amount_cents,
    };
    let body = json!(payment);
    store.payments.push(payment);
    store.keys.insert(
        key.to_owned(),
        Stored {
            request,
            status: StatusCode::CREATED,
            body: body.clone(),
        },
    );
    (StatusCode::CREATED, Json(body)).into_response()
}

pub async fn list_payments(State(state): State<AppState>) -> Json<Vec<Payment>> {
    Json(state.store.lock().await.payments.clone())
}

pub async fn put_account(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(account): Json<Account>,
) -> (StatusCode, Json<Account>) {
    let previous = state
        .store
        .lock()
        .await
        .accounts
        .insert(id, account.clone());
    let status = if previous.is_none() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(account))
}

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
