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
    let Some(accept) = accept else {
        return Some(OFFERED[0]);
    };
    let ranges: Vec<(&str, f32)> = accept
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let range = parts.next().filter(|r| !r.is_empty())?;
            let mut q = 1.0;
            for p in parts {
                if let Some(v) = p.strip_prefix("q=") {
                    q = v.parse().ok()?;
                }
            }
            Some((range, q))
        })
        .collect();
    // The weight the client gives a media type: from its most specific matching range.
    let weight = |media: &str| -> f32 {
        let (ty, _) = media.split_once('/').unwrap_or((media, ""));
        let mut best: Option<(u8, f32)> = None;
        for &(range, q) in &ranges {
            let specificity = if range.eq_ignore_ascii_case(media) {
                2
            } else if range.eq_ignore_ascii_case(&format!("{ty}/*")) {
                1
            } else if range == "*/*" {
                0
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, q));
            }
        }
        best.map_or(0.0, |(_, q)| q)
    };
    let mut choice: Option<(Format, f32)> = None;
    for f in OFFERED {
        let q = weight(f.media_type());
        if q > 0.0 && choice.is_none_or(|(_, best)| q > best) {
            choice = Some((f, q));
        }
    }
    choice.map(|(f, _)| f)
}

/// RFC 4180 CSV with a header row: `region,product,units`.
pub fn to_csv(rows: &[Sale]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // The csv crate quotes fields with commas, quotes or newlines, and writes the header from
        // the struct's field names before the first row.
        if w.serialize(row).is_err() {
            return String::new();
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

pub fn router() -> Router {
    Router::new().route("/sales", get(report))
}

async fn report(headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    // The answer depends on Accept: caches must key on it.
    let vary = [(header::VARY, HeaderValue::from_static("accept"))];
    match negotiate(accept) {
        Some(Format::Json) => (vary, axum::Json(sales())).into_response(),
        Some(Format::Csv) => (
            vary,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            to_csv(&sales()),
        )
            .into_response(),
        None => (
            StatusCode::NOT_ACCEPTABLE,
            vary,
            [(header::CONTENT_TYPE, "application/problem+json")],
            serde_json::json!({
                "title": "Not Acceptable",
                "status": 406,
                "detail": "this resource is available as application/json or text/csv",
            })
            .to_string(),
        )
            .into_response(),
    }
}
