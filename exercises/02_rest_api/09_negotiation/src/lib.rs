//! Content negotiation: one resource, JSON or CSV, chosen by the `Accept` header.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sale {
    pub region: String,
    pub product: String,
    pub units: u32,
}

pub fn sales() -> Vec<Sale> {
    [
        ("EMEA", "Widget", 120),
        ("APAC", "Widget, large", 75),
        ("AMER", "The \"Pro\" gadget", 30),
    ]
    .into_iter()
    .map(|(region, product, units)| Sale {
        region: region.into(),
        product: product.into(),
        units,
    })
    .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
        }
    }
}

/// What we can produce, in order of preference when the client does not care.
pub const OFFERED: [Format; 2] = [Format::Json, Format::Csv];

/// The best format for an `Accept` header (RFC 9110 §12.5.1), or None if nothing acceptable is
/// offered. No header means anything. Each entry is `type/subtype` with optional parameters; `q`
/// (0 to 1, default 1) is the weight and `q=0` means "not this". Wildcards `*/*` and `text/*`
/// match; a more specific entry wins over a wildcard for the same type, whatever their order.
/// Among equal weights our order (`OFFERED`) decides.
pub fn negotiate(accept: Option<&str>) -> Option<Format> {
    let _ = accept;
    todo!()
}

/// RFC 4180 CSV with a header row: `region,product,units`.
pub fn to_csv(rows: &[Sale]) -> String {
    let _ = (rows, csv::Writer::from_writer(Vec::<u8>::new()));
    todo!()
}

pub fn router() -> Router {
    Router::new().route("/sales", get(report))
}

async fn report(headers: HeaderMap) -> Response {
    // TODO: negotiate from the Accept header; JSON, or CSV with `Content-Type: text/csv; charset=utf-8`,
    // or a 406 problem+json naming the types on offer. Every answer carries `Vary: accept`.
    let _ = (headers, HeaderValue::from_static("accept"), header::VARY);
    StatusCode::NOT_IMPLEMENTED.into_response()
}
