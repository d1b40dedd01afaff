//! The cases of the W3C Trace Context test suite (github.com/w3c/trace-context, test/test.py),
//! then one request through a gateway, an HTTP call and a NATS message.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use backlings_support_bus::Bus;
use backlings_support_http::server::serve;
use futures_util::StreamExt;
use trace_context::*;

const TRACE: &str = "12345678901234567890123456789012";
const PARENT: &str = "1234567890123456";

fn owned(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn the_specs_example_parses() {
    let parsed = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert_eq!(
        parsed,
        Some(TraceParent {
            trace_id: 0x0af7651916cd43dd8448eb211c80319c,
            parent_id: 0xb7ad6b7169203331,
            sampled: true,
        }),
        "the example of the spec (section 3.2.2.4)"
    );
    let unsampled = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
    assert_eq!(
        unsampled.map(|p| p.sampled),
        Some(false),
        "flags 00: not sampled"
    );
}

#[test]
fn malformed_traceparents_are_refused() {
    let cases = [
        (
            format!("00-{TRACE}-{PARENT}-01."),
            "version 00 is exactly 55 characters",
        ),
        (
            format!("00-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
            "version 00 has exactly four fields: more is not version 00",
        ),
        (format!("ff-{TRACE}-{PARENT}-01"), "version ff is forbidden"),
        (
            format!(".0-{TRACE}-{PARENT}-01"),
            "a version is two hex digits",
        ),
        (
            format!("0.-{TRACE}-{PARENT}-01"),
            "a version is two hex digits",
        ),
        (
            format!("000-{TRACE}-{PARENT}-01"),
            "a version is two characters",
        ),
        (
            format!("0-{TRACE}-{PARENT}-01"),
            "a version is two characters",
        ),
        (
            format!("00-{}-{PARENT}-01", "0".repeat(32)),
            "an all-zero trace-id is invalid",
        ),
        (
            format!("00-.{}-{PARENT}-01", &TRACE[1..]),
            "a trace-id is hex",
        ),
        (
            format!("00-{}.-{PARENT}-01", &TRACE[..31]),
            "a trace-id is hex",
        ),
        (
            format!("00-{TRACE}1-{PARENT}-01"),
            "a trace-id is 32 characters",
        ),
        (
            format!("00-{}-{PARENT}-01", &TRACE[..31]),
            "a trace-id is 32 characters",
        ),
        (
            format!("00-{TRACE}-{}-01", "0".repeat(16)),
            "an all-zero parent-id is invalid",
        ),
        (
            format!("00-{TRACE}-.{}-01", &PARENT[1..]),
            "a parent-id is hex",
        ),
        (
            format!("00-{TRACE}-{}.-01", &PARENT[..15]),
            "a parent-id is hex",
        ),
        (
            format!("00-{TRACE}-{PARENT}1-01"),
            "a parent-id is 16 characters",
        ),
        (
            format!("00-{TRACE}-{}-01", &PARENT[..15]),
            "a parent-id is 16 characters",
        ),
        (format!("00-{TRACE}-{PARENT}-.0"), "trace-flags are hex"),
        (format!("00-{TRACE}-{PARENT}-0."), "trace-flags are hex"),
        (
            format!("00-{TRACE}-{PARENT}-001"),
            "trace-flags are two characters",
        ),
        (
            format!("00-{TRACE}-{PARENT}-0"),
            "trace-flags are two characters",
        ),
        (
            "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01".to_string(),
            "hex is lowercase (section 3.2.2: uppercase is invalid)",
        ),
        (
            format!("00_{TRACE}_{PARENT}_01"),
            "fields are separated by dashes",
        ),
        (format!("00-{TRACE}-{PARENT}-01é"), "not ASCII"),
        (String::new(), "empty"),
    ];
    for (value, why) in &cases {
        assert_eq!(
            TraceParent::parse(value),
            None,
            "`{value}` must be refused ({why}): a service that continues a trace from a \
             malformed traceparent joins its spans to a trace that does not exist"
        );
    }
}

#[test]
fn a_future_version_is_read_as_far_as_it_is_understood() {
    let expected = Some(TraceParent {
        trace_id: u128::from_str_radix(TRACE, 16).unwrap(),
        parent_id: u64::from_str_radix(PARENT, 16).unwrap(),
        sampled: true,
    });
    for value in [
        format!("cc-{TRACE}-{PARENT}-01"),
        format!("cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like"),
    ] {
        assert_eq!(
            TraceParent::parse(&value),
            expected,
            "`{value}`: a higher version keeps the four fields of version 00 first and may \
             add fields after a dash; read the four (spec section 4.3), or every service \
             restarts the trace on the day its callers upgrade"
        );
    }
    let value = format!("cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like");
    assert_eq!(
        TraceParent::parse(&value),
        None,
        "`{value}`: what follows the flags, in any version, starts with a dash"
    );
}

#[test]
fn whitespace_around_the_value_is_not_part_of_it() {
    for value in [
        format!(" 00-{TRACE}-{PARENT}-01"),
        format!("00-{TRACE}-{PARENT}-01\t"),
        format!("\t 00-{TRACE}-{PARENT}-01 \t"),
    ] {
        assert!(
            TraceParent::parse(&value).is_some(),
            "{value:?}: spaces and tabs around a header value are optional whitespace (RFC \
             9110 section 5.6.3), not part of the value"
        );
    }
}

#[test]
fn a_traceparent_is_written_in_version_00_with_every_digit() {
    let parent = TraceParent {
        trace_id: 0x1,
        parent_id: 0xab,
        sampled: true,
    };
    assert_eq!(
        parent.to_header(),
        "00-00000000000000000000000000000001-00000000000000ab-01",
        "ids are fixed width: leading zeros are written"
    );
    let unsampled = TraceParent {
        sampled: false,
        ..parent
    };
    assert_eq!(
        unsampled.to_header(),
        "00-00000000000000000000000000000001-00000000000000ab-00"
    );
    let future = TraceParent::parse(&format!("cc-{TRACE}-{PARENT}-01-more")).expect("parses");
    assert_eq!(
        future.to_header(),
        format!("00-{TRACE}-{PARENT}-01"),
        "we send the version we speak, without the fields we do not understand"
    );
}

fn state(members: &[(&str, &str)]) -> TraceState {
    members
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn tracestate_lists_are_read_in_order_across_headers() {
    assert_eq!(
        parse_tracestate(&owned(&["rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"])),
        Some(state(&[
            ("rojo", "00f067aa0ba902b7"),
            ("congo", "t61rcWkgMzE")
        ])),
        "the spec's example"
    );
    assert_eq!(
        parse_tracestate(&owned(&["foo=1,bar=2", "rojo=1,congo=2", "baz=3"])),
        Some(state(&[
            ("foo", "1"),
            ("bar", "2"),
            ("rojo", "1"),
            ("congo", "2"),
            ("baz", "3")
        ])),
        "three tracestate headers are one list, in the order they came"
    );
    assert_eq!(
        parse_tracestate(&owned(&["foo=1 \t , \t bar=2, \t baz=3", ",,"])),
        Some(state(&[("foo", "1"), ("bar", "2"), ("baz", "3")])),
        "whitespace around members and empty members are allowed and are not members"
    );
    assert_eq!(
        parse_tracestate(&owned(&[""])),
        Some(vec![]),
        "an empty header"
    );
    assert_eq!(parse_tracestate(&[]), Some(vec![]), "no header");
    let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
    let value = " !\"#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    assert_eq!(
        parse_tracestate(&[format!("{key}={value}")]),
        Some(state(&[(key, value)])),
        "every character the grammar allows"
    );
    let tenant = format!("{}@{}", "t".repeat(241), "s".repeat(14));
    assert_eq!(
        parse_tracestate(&[format!("{tenant}=1,fw529a3039@dt=a")]).map(|s| s.len()),
        Some(2),
        "multi-tenant keys"
    );
}

#[test]
fn invalid_tracestate_lists_are_refused_whole() {
    let full: Vec<String> = (0..MAX_MEMBERS + 1).map(|i| format!("k{i}=v")).collect();
    let cases = [
        (owned(&["foo=1,foo=1"]), "a key appears twice"),
        (owned(&["foo=1,foo=2"]), "a key appears twice"),
        (
            owned(&["foo=1", "foo=2"]),
            "a key appears twice, in two headers",
        ),
        (owned(&["foo =1"]), "a space in a key"),
        (owned(&["FOO=1"]), "uppercase in a key"),
        (owned(&["foo.bar=1"]), "a dot in a key"),
        (owned(&["foo@=1,bar=2"]), "an empty system"),
        (owned(&["@foo=1,bar=2"]), "an empty tenant"),
        (owned(&["foo@@bar=1,bar=2"]), "two @"),
        (owned(&["foo@bar@baz=1,bar=2"]), "two @"),
        (owned(&["foo=bar=baz"]), "= in a value"),
        (owned(&["foo=,bar=3"]), "an empty value"),
        (owned(&["foo"]), "no value at all"),
        (
            vec![format!("{}=1", "k".repeat(257))],
            "a key of 257 characters",
        ),
        (vec![full.join(",")], "33 members"),
    ];
    for (values, why) in &cases {
        assert_eq!(
            parse_tracestate(values),
            None,
            "{values:?} must be refused ({why}): a list that is not valid is not propagated"
        );
    }
    let most: Vec<String> = (0..MAX_MEMBERS).map(|i| format!("k{i}=v")).collect();
    assert_eq!(
        parse_tracestate(&[most.join(",")]).map(|s| s.len()),
        Some(MAX_MEMBERS),
        "32 members is the limit, not over it"
    );
    assert!(
        parse_tracestate(&[format!("{}=1", "k".repeat(256))]).is_some(),
        "a key of 256 characters is allowed"
    );
}

#[test]
fn our_member_goes_first_once_and_the_list_stays_bounded() {
    let before = state(&[("rojo", "1"), ("backlings", "old"), ("congo", "2")]);
    assert_eq!(
        with_member(&before, "backlings", "new"),
        state(&[("backlings", "new"), ("rojo", "1"), ("congo", "2")]),
        "a vendor's updated member moves to the front (most recent first, spec section \
         3.5) and its old one is gone"
    );
    let full: TraceState = (0..MAX_MEMBERS)
        .map(|i| (format!("k{i}"), "v".to_string()))
        .collect();
    let after = with_member(&full, "backlings", "x");
    assert_eq!(after.len(), MAX_MEMBERS, "at most 32 members");
    assert_eq!(after[0], ("backlings".to_string(), "x".to_string()));
    assert_eq!(
        after.last(),
        Some(&("k30".to_string(), "v".to_string())),
        "when the list is full, the oldest member (the rightmost) is dropped"
    );
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    map
}

const INCOMING: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const OURS: (&str, &str) = ("backlings", "s1");

#[test]
fn a_valid_trace_is_continued_with_our_span() {
    let incoming = headers(&[(TRACEPARENT, INCOMING), (TRACESTATE, "rojo=1,congo=2")]);
    let ctx = continue_trace(&incoming, 0x42, 0x99, OURS);
    assert_eq!(
        ctx.span.trace_id, 0x0af7651916cd43dd8448eb211c80319c,
        "the caller's trace is continued: same trace-id"
    );
    assert_eq!(
        ctx.span.parent_id, 0x42,
        "what we send on as parent-id is our own span's id: passed on unchanged, the next \
         service's spans would hang off our caller's span and ours would vanish from the trace"
    );
    assert!(ctx.span.sampled, "the caller's sampling decision is kept");
    assert_eq!(
        ctx.state,
        state(&[("backlings", "s1"), ("rojo", "1"), ("congo", "2")])
    );

    let unsampled = headers(&[(TRACEPARENT, &INCOMING.replace("-01", "-00"))]);
    assert!(!continue_trace(&unsampled, 0x42, 0x99, OURS).span.sampled);
}

#[test]
fn without_a_valid_trace_a_new_one_starts_and_tracestate_is_dropped() {
    let restarts = [
        (
            headers(&[(
                TRACEPARENT,
                "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
            )]),
            "an invalid traceparent",
        ),
        (
            headers(&[
                (TRACEPARENT, INCOMING),
                (
                    TRACEPARENT,
                    "00-11111111111111111111111111111111-2222222222222222-01",
                ),
            ]),
            "two traceparent headers (which one would be the caller's?)",
        ),
        (headers(&[]), "no traceparent"),
    ];
    for (mut incoming, why) in restarts {
        incoming.append(TRACESTATE, "rojo=1,congo=2".parse().unwrap());
        let ctx = continue_trace(&incoming, 0x42, 0x99, OURS);
        assert_eq!(
            (ctx.span.trace_id, ctx.span.parent_id),
            (0x99, 0x42),
            "{why}: a new trace starts, with our span as its root"
        );
        assert_eq!(
            ctx.state,
            state(&[OURS]),
            "{why}: the tracestate that came with it belongs to a trace we are not part of: \
             it must not be propagated (spec section 3.3.1)"
        );
    }
    let bad_state = headers(&[(TRACEPARENT, INCOMING), (TRACESTATE, "foo=1,foo=2")]);
    assert_eq!(
        continue_trace(&bad_state, 0x42, 0x99, OURS).state,
        state(&[OURS]),
        "an invalid tracestate is dropped, the trace itself continues"
    );
}

#[test]
fn inject_writes_both_headers() {
    let ctx = TraceContext {
        span: TraceParent::parse(INCOMING).unwrap(),
        state: state(&[("backlings", "s1"), ("rojo", "1")]),
    };
    let mut out = headers(&[(TRACEPARENT, "stale"), (TRACESTATE, "stale=1")]);
    inject(&ctx, &mut out);
    assert_eq!(
        out.header_values(TRACEPARENT),
        vec![INCOMING.to_string()],
        "one traceparent, ours"
    );
    assert_eq!(
        out.header_values(TRACESTATE),
        vec!["backlings=s1,rojo=1".to_string()]
    );
}

/// The pricing service: answers /price and keeps the headers of every call.
async fn pricing() -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = Router::new().route(
        "/price",
        get(move |headers: HeaderMap| async move {
            log.lock().unwrap().push(headers);
            "100"
        }),
    );
    (serve(app).await, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_is_one_trace_across_http_and_the_broker() {
    let bus = Bus::new().await;
    let subject = bus.subject("orders.placed");
    let mut events = bus.client().subscribe(subject.clone()).await.unwrap();
    let (pricing_url, pricing_calls) = pricing().await;
    let app = gateway(Gateway {
        http: reqwest::Client::new(),
        pricing: pricing_url,
        nats: bus.client().clone(),
        subject,
    });
    let gateway_url = serve(app).await;

    let answer = reqwest::Client::new()
        .get(format!("{gateway_url}/checkout"))
        .header(TRACEPARENT, INCOMING)
        .header(TRACESTATE, "rojo=00f067aa0ba902b7")
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "checkout: {}",
        answer.status()
    );
    let gateway_span = answer
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .expect("the gateway answers with its own traceparent");

    let calls = pricing_calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "one call to pricing");
    let call = TraceParent::parse(
        calls[0]
            .header_values(TRACEPARENT)
            .first()
            .expect("a traceparent"),
    )
    .expect("pricing got a valid traceparent");
    let message = tokio::time::timeout(std::time::Duration::from_secs(5), events.next())
        .await
        .expect("the gateway published an event")
        .expect("a message");
    let message_headers = message.headers.expect("the event has headers");
    let event = TraceParent::parse(
        message_headers
            .header_values(TRACEPARENT)
            .first()
            .expect("a traceparent on the event"),
    )
    .expect("the event's traceparent is valid");

    for (hop, parent) in [("the call to pricing", call), ("the event", event)] {
        assert_eq!(
            parent.trace_id, 0x0af7651916cd43dd8448eb211c80319c,
            "{hop} belongs to the client's trace"
        );
        assert_eq!(
            parent.parent_id, gateway_span.parent_id,
            "{hop}'s parent is the gateway's span"
        );
        assert_ne!(
            parent.parent_id, 0xb7ad6b7169203331,
            "{hop}'s parent is the gateway's span, not the client's"
        );
        assert!(parent.sampled, "{hop} keeps the client's sampling decision");
    }
    let pricing_state =
        parse_tracestate(&calls[0].header_values(TRACESTATE)).expect("a valid tracestate");
    assert_eq!(
        pricing_state.len(),
        2,
        "ours and the client's: {pricing_state:?}"
    );
    assert_eq!(pricing_state[0].0, VENDOR_KEY, "ours first");
    assert_eq!(pricing_state[1], ("rojo".into(), "00f067aa0ba902b7".into()));

    // The consumer of the event continues the trace from the message's headers.
    let consumer = continue_trace(&message_headers, 0x77, 0x99, ("billing", "b"));
    assert_eq!(
        consumer.span.trace_id, 0x0af7651916cd43dd8448eb211c80319c,
        "a consumer of the event continues the same trace"
    );
    assert_eq!(consumer.state[0].0, "billing");
    assert_eq!(consumer.state[1].0, VENDOR_KEY);
}
