//! Errors as RFC 9457 problem details, with field-level validation errors.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, OriginalUri};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem. `errors` is this API's extension member for validation problems.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub instance: String,
    // TODO: leave `errors` out of the JSON when it is empty.
    pub errors: Vec<FieldError>,
}

impl IntoResponse for Problem {
    /// The status from `self.status`, the JSON body, and `Content-Type: application/problem+json`.
    fn into_response(self) -> Response {
        todo!("(status, [(header::CONTENT_TYPE, PROBLEM_JSON)], serde_json body).into_response()")
    }
}

#[derive(Debug, Deserialize)]
pub struct NewOrder {
    pub sku: String,
    pub quantity: i64,
    pub email: String,
}

#[derive(Debug, Serialize)]
pub struct Order {
    pub sku: String,
    pub quantity: i64,
    pub email: String,
}

/// Every problem with `order`, in field order (sku, quantity, email); Ok if there is none.
pub fn validate(order: &NewOrder) -> Result<(), Vec<FieldError>> {
    todo!("check each field and push a FieldError for each problem; don't stop at the first")
}

/// POST /orders: 201 and the order, or a problem: 422 `/problems/validation-error` with the
/// field errors, or 400 `/problems/malformed-body` when the body is not a `NewOrder`.
pub async fn create(
    OriginalUri(uri): OriginalUri,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), Problem> {
    let _ = (uri, body, StatusCode::CREATED);
    todo!()
}

pub fn router() -> Router {
    Router::new().route("/orders", post(create))
}
