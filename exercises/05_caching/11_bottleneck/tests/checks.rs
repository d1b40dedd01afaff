//! On tokio's paused clock, where a 50 ms call takes exactly 50 ms and nothing else passes, and
//! with a tracing layer of the test's own that records every span: its name, its parent, when
//! it opened and closed. That record is the profile of the request.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use find_the_bottleneck::{Backends, Dashboard, dashboard};
use tokio::time::Instant;
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const PROFILE: Duration = Duration::from_millis(50);
const ORDERS: Duration = Duration::from_millis(80);
const ONE_PRICE: Duration = Duration::from_millis(20);
const MANY_PRICES: Duration = Duration::from_millis(30);

/// Backends that take their time and count their calls. User 7 has 10 orders, 101…110 cents.
#[derive(Default)]
struct Slow {
    price_calls: AtomicUsize,
    prices_calls: AtomicUsize,
}

impl Backends for Slow {
    async fn profile(&self, _user: u64) -> String {
        tokio::time::sleep(PROFILE).await;
        "Ada".to_owned()
    }
    async fn orders(&self, _user: u64) -> Vec<u64> {
        tokio::time::sleep(ORDERS).await;
        (1..=10).collect()
    }
    fn price(&self, order: u64) -> impl Future<Output = u64> + Send {
        self.price_calls.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(ONE_PRICE).await;
            100 + order
        }
    }
    fn prices(&self, orders: &[u64]) -> impl Future<Output = Vec<u64>> + Send {
        self.prices_calls.fetch_add(1, Ordering::SeqCst);
        let prices = orders.iter().map(|o| 100 + o).collect();
        async move {
            tokio::time::sleep(MANY_PRICES).await;
            prices
        }
    }
}

#[derive(Debug, Clone)]
struct SpanRecord {
    name: String,
    parent: Option<String>,
    opened: Instant,
    closed: Option<Instant>,
}

#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<(Id, SpanRecord)>>>,
}

impl<S> tracing_subscriber::Layer<S> for Recorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx
            .span(id)
            .and_then(|span| span.parent())
            .map(|p| p.name().to_owned());
        let record = SpanRecord {
            name: attrs.metadata().name().to_owned(),
            parent,
            opened: Instant::now(),
            closed: None,
        };
        self.spans.lock().unwrap().push((id.clone(), record));
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, record)) = spans
            .iter_mut()
            .rev()
            .find(|(i, r)| *i == id && r.closed.is_none())
        {
            record.closed = Some(Instant::now());
        }
    }
}

/// Runs the dashboard of user 7; what it returned, how long it took, the spans, the backends.
async fn profiled() -> (Dashboard, Duration, Vec<SpanRecord>, Slow) {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let backends = Slow::default();
    let start = Instant::now();
    let result = dashboard(&backends, 7).await;
    let took = start.elapsed();
    let spans = recorder
        .spans
        .lock()
        .unwrap()
        .iter()
        .map(|(_, r)| r.clone())
        .collect();
    (result, took, spans, backends)
}

fn named<'a>(spans: &'a [SpanRecord], name: &str) -> Vec<&'a SpanRecord> {
    spans.iter().filter(|s| s.name == name).collect()
}

#[tokio::test(start_paused = true)]
async fn the_dashboard_is_right() {
    let (result, ..) = profiled().await;
    assert_eq!(
        result,
        Dashboard {
            name: "Ada".into(),
            orders: 10,
            total_cents: (101..=110).sum()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn every_backend_call_is_a_span_inside_the_requests() {
    let (_, _, spans, _) = profiled().await;
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        named(&spans, "dashboard").len(),
        1,
        "the request is one span named `dashboard`; spans recorded: {names:?}"
    );
    for call in ["profile", "orders", "prices"] {
        let found = named(&spans, call);
        assert_eq!(
            found.len(),
            1,
            "one span named `{call}` around that backend call; spans recorded: {names:?}"
        );
        assert_eq!(
            found[0].parent.as_deref(),
            Some("dashboard"),
            "the `{call}` span must be a child of `dashboard`, so that a trace shows where each \
             request's time went (create it while the dashboard span is the current one)"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn calls_that_do_not_depend_on_each_other_run_together() {
    let (_, _, spans, _) = profiled().await;
    let (profile, orders) = (named(&spans, "profile"), named(&spans, "orders"));
    let (Some(profile), Some(orders)) = (profile.first(), orders.first()) else {
        panic!("spans `profile` and `orders` are needed to see when each call ran");
    };
    let ends = |s: &SpanRecord| s.closed.expect("the span closed");
    let overlap = profile.opened < ends(orders) && orders.opened < ends(profile);
    assert!(
        overlap,
        "the profile call and the orders call ran one after the other (profile {:?}–{:?}, orders \
         {:?}–{:?} after the first): neither needs the other's answer, so the request waits for \
         the sum where it could wait for the longer one. Await them together",
        Duration::ZERO,
        ends(profile) - profile.opened,
        orders.opened - profile.opened,
        ends(orders) - profile.opened
    );
}

#[tokio::test(start_paused = true)]
async fn prices_come_in_one_call_not_one_per_order() {
    let (_, _, _, backends) = profiled().await;
    let (one, many) = (
        backends.price_calls.load(Ordering::SeqCst),
        backends.prices_calls.load(Ordering::SeqCst),
    );
    assert_eq!(
        (one, many),
        (0, 1),
        "the dashboard asked for prices {one} times one by one and {many} times in a batch: \
         10 orders cost 10 round trips (an N+1). `prices` takes them all at once"
    );
}

#[tokio::test(start_paused = true)]
async fn the_request_takes_its_longest_path_not_the_sum() {
    let (_, took, _, _) = profiled().await;
    assert_eq!(
        took,
        ORDERS + MANY_PRICES,
        "on the paused clock the dashboard took {took:?}: the longest chain of calls that \
         depend on each other is orders ({ORDERS:?}) then prices ({MANY_PRICES:?}); the profile \
         runs beside the orders"
    );
}
