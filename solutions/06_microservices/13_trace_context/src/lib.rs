//! W3C Trace Context: one request, one trace, across HTTP calls and broker messages.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;

pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";
/// A `tracestate` carries at most this many list members.
pub const MAX_MEMBERS: usize = 32;

/// The `traceparent` header: which trace a request belongs to, and which span (operation) of
/// that trace sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: u128,
    pub parent_id: u64,
    pub sampled: bool,
}

/// `tracestate`: vendors' own key=value pairs, most recent first.
pub type TraceState = Vec<(String, String)>;

/// What a service knows about the trace it is working for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// Our own span: `trace_id` of the trace, `parent_id` is the id of *our* span, which is
    /// what we send as the parent of the calls we make.
    pub span: TraceParent,
    pub state: TraceState,
}

/// Where trace headers travel: HTTP headers, NATS message headers.
pub trait Carrier {
    /// Every value of the header `name` (a header may be sent more than once).
    fn header_values(&self, name: &str) -> Vec<String>;
    /// Replaces every value of `name` with `value`.
    fn set_header(&mut self, name: &str, value: String);
}

impl Carrier for HeaderMap {
    fn header_values(&self, name: &str) -> Vec<String> {
        self.get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    fn set_header(&mut self, name: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(name),
            axum::http::HeaderValue::try_from(value),
        ) {
            self.insert(name, value);
        }
    }
}

impl Carrier for async_nats::HeaderMap {
    fn header_values(&self, name: &str) -> Vec<String> {
        self.get_all(name).map(|v| v.as_str().to_owned()).collect()
    }

    fn set_header(&mut self, name: &str, value: String) {
        self.insert(name, value.as_str());
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl TraceParent {
    /// Parses a `traceparent` value; `None` when it is not one.
    pub fn parse(value: &str) -> Option<TraceParent> {
        let value = value.trim_matches([' ', '\t']);
        if !value.is_ascii() || value.len() < 55 {
            return None;
        }
        let b = value.as_bytes();
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let (version, trace_id, parent_id, flags) =
            (&value[0..2], &value[3..35], &value[36..52], &value[53..55]);
        if ![version, trace_id, parent_id, flags]
            .into_iter()
            .all(is_lower_hex)
        {
            return None;
        }
        match version {
            "ff" => return None,
            "00" if value.len() != 55 => return None,
            _ if value.len() > 55 && b[55] != b'-' => return None,
            _ => {}
        }
        let trace_id = u128::from_str_radix(trace_id, 16).ok()?;
        let parent_id = u64::from_str_radix(parent_id, 16).ok()?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        if trace_id == 0 || parent_id == 0 {
            return None;
        }
        Some(TraceParent {
            trace_id,
            parent_id,
            sampled: flags & 1 == 1,
        })
    }

    /// The header value, in the version this code speaks (00).
    pub fn to_header(&self) -> String {
        format!(
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.parent_id, self.sampled as u8
        )
    }
}

fn is_key_char(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/')
}

/// The key grammar of spec section 3.3.1.3.1 (`key` and `tenant@system`).
fn is_valid_key(key: &str) -> bool {
    let part = |s: &str, first: fn(u8) -> bool, max: usize| {
        !s.is_empty() && s.len() <= max && first(s.as_bytes()[0]) && s.bytes().all(is_key_char)
    };
    match key.split_once('@') {
        None => part(key, |c| c.is_ascii_lowercase(), 256),
        Some((tenant, system)) => {
            part(
                tenant,
                |c| c.is_ascii_lowercase() || c.is_ascii_digit(),
                241,
            ) && part(system, |c| c.is_ascii_lowercase(), 14)
        }
    }
}

/// The value grammar of spec section 3.3.1.3.2.
fn is_valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 256
        && value
            .bytes()
            .all(|c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && !value.ends_with(' ')
}

/// Parses the `tracestate` values a request carried (a header may come more than once; its
/// values are one list). `None` when the list is not valid.
pub fn parse_tracestate(values: &[String]) -> Option<TraceState> {
    let mut state = TraceState::new();
    for member in values.iter().flat_map(|v| v.split(',')) {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !is_valid_key(key) || !is_valid_value(value) || state.iter().any(|(k, _)| k == key) {
            return None;
        }
        state.push((key.to_owned(), value.to_owned()));
    }
    if state.len() > MAX_MEMBERS {
        return None;
    }
    Some(state)
}

/// `state` after the vendor `key` wrote `value`: its member first, its old one gone, and no
/// more than `MAX_MEMBERS` members.
pub fn with_member(state: &[(String, String)], key: &str, value: &str) -> TraceState {
    let mut updated = vec![(key.to_owned(), value.to_owned())];
    updated.extend(state.iter().filter(|(k, _)| k != key).cloned());
    updated.truncate(MAX_MEMBERS);
    updated
}

/// The trace context of the work a service does for an incoming request or message: the
/// caller's trace continued when it sent a valid one, a new trace otherwise. `span_id` is the
/// id of our own span; `new_trace_id` is used when a new trace must start. The vendor
/// `(key, value)` is ours, written into `tracestate`.
pub fn continue_trace(
    incoming: &impl Carrier,
    span_id: u64,
    new_trace_id: u128,
    (key, value): (&str, &str),
) -> TraceContext {
    // Two `traceparent` headers are two claims: neither can be trusted.
    let parent = match incoming.header_values(TRACEPARENT).as_slice() {
        [one] => TraceParent::parse(one),
        _ => None,
    };
    match parent {
        Some(parent) => {
            let state = parse_tracestate(&incoming.header_values(TRACESTATE)).unwrap_or_default();
            TraceContext {
                span: TraceParent {
                    parent_id: span_id,
                    ..parent
                },
                state: with_member(&state, key, value),
            }
        }
        None => TraceContext {
            span: TraceParent {
                trace_id: new_trace_id,
                parent_id: span_id,
                sampled: false,
            },
            state: with_member(&[], key, value),
        },
    }
}

/// Writes `ctx` into the headers of a call we make (an HTTP request, a message we publish).
pub fn inject(ctx: &TraceContext, outgoing: &mut impl Carrier) {
    outgoing.set_header(TRACEPARENT, ctx.span.to_header());
    let state: Vec<String> = ctx.state.iter().map(|(k, v)| format!("{k}={v}")).collect();
    outgoing.set_header(TRACESTATE, state.join(","));
}

// ---- The gateway: given, it uses the functions above. ----

/// Our vendor key in `tracestate`.
pub const VENDOR_KEY: &str = "backlings";

#[derive(Clone)]
pub struct Gateway {
    pub http: reqwest::Client,
    /// Base URL of the pricing service.
    pub pricing: String,
    pub nats: async_nats::Client,
    /// Subject the gateway publishes `order.placed` events on.
    pub subject: String,
}

/// `GET /checkout`: asks pricing for a price, publishes an event, and answers with the
/// `traceparent` of its own span.
pub fn gateway(state: Gateway) -> Router {
    Router::new()
        .route("/checkout", get(checkout))
        .with_state(state)
}

fn new_id<T: Default + PartialEq>(random: impl Fn() -> T) -> T {
    loop {
        let id = random();
        if id != T::default() {
            return id;
        }
    }
}

async fn checkout(
    State(gw): State<Gateway>,
    headers: HeaderMap,
) -> Result<HeaderMap, (axum::http::StatusCode, String)> {
    let span_id: u64 = new_id(rand::random);
    let ctx = continue_trace(
        &headers,
        span_id,
        new_id(rand::random),
        (VENDOR_KEY, &format!("{span_id:016x}")),
    );
    let bad_gateway = |e: String| (axum::http::StatusCode::BAD_GATEWAY, e);

    let mut call = HeaderMap::new();
    inject(&ctx, &mut call);
    gw.http
        .get(format!("{}/price", gw.pricing))
        .headers(call)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| bad_gateway(e.to_string()))?;

    let mut message = async_nats::HeaderMap::new();
    inject(&ctx, &mut message);
    gw.nats
        .publish_with_headers(gw.subject.clone(), message, "order.placed".into())
        .await
        .map_err(|e| bad_gateway(e.to_string()))?;
    gw.nats
        .flush()
        .await
        .map_err(|e| bad_gateway(e.to_string()))?;

    let mut answer = HeaderMap::new();
    answer.set_header(TRACEPARENT, ctx.span.to_header());
    Ok(answer)
}
