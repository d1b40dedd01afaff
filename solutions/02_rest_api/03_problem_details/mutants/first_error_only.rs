//! stops at the first invalid field
//! Errors as RFC 9457 problem details, with field-level validation errors.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, OriginalUri};
use axum::http::{StatusCode, header};
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).expect("a problem serializes");
        (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
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

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

pub fn validate(order: &NewOrder) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let sku_ok = (3..=20).contains(&order.sku.len())
        && order
            .sku
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if !sku_ok {
        errors.push(field_error(
            "sku",
            "must be 3 to 20 characters of A-Z, 0-9 and -",
        ));
    }
    if errors.is_empty() && !(1..=100).contains(&order.quantity) {
        errors.push(field_error("quantity", "must be between 1 and 100"));
    }
    if errors.is_empty() && !order.email.contains('@') {
        errors.push(field_error("email", "must contain @"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

pub async fn create(
    OriginalUri(uri): OriginalUri,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), Problem> {
    let instance = uri.path().to_owned();
    let Json(new) = body.map_err(|rejection| Problem {
        kind: "/problems/malformed-body".into(),
        title: "The request body could not be read".into(),
        status: StatusCode::BAD_REQUEST.as_u16(),
        detail: rejection.body_text(),
        instance: instance.clone(),
        errors: Vec::new(),
    })?;
    validate(&new).map_err(|errors| Problem {
        kind: "/problems/validation-error".into(),
        title: "Your request is not valid".into(),
        status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
        detail: format!("{} field(s) are invalid", errors.len()),
        instance,
        errors,
    })?;
    let order = Order {
        sku: new.sku,
        quantity: new.quantity,
        email: new.email,
    };
    Ok((StatusCode::CREATED, Json(order)))
}

pub fn router() -> Router {
    Router::new().route("/orders", post(create))
}
