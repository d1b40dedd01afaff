//! Cross-site request forgery: a state-changing request must come from our own pages. Checked
//! twice: where the request comes from (`Origin`, else `Referer`), and a secret token from the
//! session that another site cannot read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
#[allow(unused_imports)] // for comparing tokens
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

/// Where our pages are served from: scheme, host and port, as browsers write `Origin`.
pub const ORIGIN: &str = "https://bank.example.com";

/// Methods that must not change anything (RFC 9110 §9.2.1), and so need no CSRF check.
pub fn is_safe(method: &Method) -> bool {
    let _ = method;
    todo!()
}

/// Whether the request says it comes from ORIGIN: its `Origin` header is exactly ORIGIN; with
/// no `Origin`, its `Referer` is a URL on ORIGIN (ORIGIN followed by `/`, or nothing). Neither
/// header, `Origin: null`, or any other site: no.
pub fn from_our_origin(headers: &HeaderMap) -> bool {
    let _ = (headers, header::ORIGIN, header::REFERER);
    todo!()
}

/// Whether `submitted` is the session's CSRF token, compared in constant time (a comparison
/// that stops at the first wrong byte tells an attacker, by its timing, how much was right).
pub fn token_matches(expected: &str, submitted: &str) -> bool {
    let _ = (expected, submitted);
    todo!()
}

/// Sessions (the `session` cookie's value) and their CSRF tokens, created at login.
#[derive(Clone, Default)]
pub struct AppState {
    pub csrf_tokens: Arc<Mutex<HashMap<String, String>>>,
    /// What the transfers did, for the tests to look at.
    pub transfers: Arc<Mutex<Vec<(String, u64)>>>,
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("session=").map(str::to_owned))
}

/// The middleware: safe methods pass; any other request must come from ORIGIN (else 403).
/// The token itself is checked by the handler, which has the form.
async fn csrf_origin_guard(req: Request, next: Next) -> Result<Response, StatusCode> {
    let _ = (&req, &next);
    todo!()
}

#[derive(Debug, Deserialize)]
pub struct TransferForm {
    pub to: String,
    pub amount: u64,
    /// The hidden field our own form carries.
    pub csrf_token: String,
}

/// POST /transfer: 401 without a session; 403 unless the form's `csrf_token` is the session's
/// token; otherwise the transfer is recorded and 204.
async fn transfer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TransferForm>,
) -> StatusCode {
    let _ = (state, session_id(&headers), form);
    todo!()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/transfer", post(transfer))
        .layer(middleware::from_fn(csrf_origin_guard))
        .with_state(state)
}
