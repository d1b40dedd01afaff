use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use backlings_support::{Gauge, until, within};
use backlings_support_http::server::serve;
use graceful_degradation::{
    Config, Deps, KillSwitches, Price, RECOMMENDATIONS, Recommendations, app,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Answer,
    /// 500 at once.
    Fail,
    /// Takes the request and never answers.
    Hang,
    /// Waits until the test opens the gate, then answers.
    Gated,
}

/// A dependency run by the test on 127.0.0.1: the pricing service (`/prices/{id}`) and the
/// recommender (`/similar/{id}`) are two of these. It counts calls and calls in flight.
struct Dep {
    mode: Mutex<Mode>,
    gate: tokio::sync::watch::Sender<bool>,
    prices: Mutex<HashMap<u64, i64>>,
    calls: AtomicUsize,
    in_flight: Gauge,
}

impl Dep {
    fn new() -> Arc<Dep> {
        Arc::new(Dep {
            mode: Mutex::new(Mode::Answer),
            gate: tokio::sync::watch::channel(false).0,
            prices: Mutex::default(),
            calls: AtomicUsize::new(0),
            in_flight: Gauge::default(),
        })
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn in_flight(&self) -> usize {
        self.in_flight.now()
    }

    async fn handle(&self, answer: impl FnOnce() -> Response) -> Response {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _in_flight = self.in_flight.enter();
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Answer => answer(),
            Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Mode::Hang => std::future::pending().await,
            Mode::Gated => {
                let _ = self.gate.subscribe().wait_for(|open| *open).await;
                answer()
            }
        }
    }

    async fn serve(self: &Arc<Dep>) -> String {
        async fn price(State(dep): State<Arc<Dep>>, Path(id): Path<u64>) -> Response {
            let cents = dep.prices.lock().unwrap().get(&id).copied();
            dep.handle(|| match cents {
                Some(cents) => Json(serde_json::json!({ "cents": cents })).into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            })
            .await
        }
        async fn similar(State(dep): State<Arc<Dep>>, Path(id): Path<u64>) -> Response {
            dep.handle(|| Json(vec![id + 1, id + 2]).into_response())
                .await
        }
        serve(
            Router::new()
                .route("/prices/{id}", get(price))
                .route("/similar/{id}", get(similar))
                .with_state(Arc::clone(self)),
        )
        .await
    }
}

/// The service under test, its two dependencies, and a client.
struct Service {
    url: String,
    pricing: Arc<Dep>,
    recommender: Arc<Dep>,
    switches: KillSwitches,
    http: reqwest::Client,
}

async fn start(config: Config) -> Service {
    let (pricing, recommender) = (Dep::new(), Dep::new());
    let switches = KillSwitches::default();
    let deps = Deps {
        pricing: pricing.serve().await,
        recommender: recommender.serve().await,
    };
    let url = serve(app(deps, config, switches.clone())).await;
    Service {
        url,
        pricing,
        recommender,
        switches,
        http: reqwest::Client::new(),
    }
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

impl Answer {
    fn price(&self) -> Price {
        assert_eq!(self.status, StatusCode::OK, "a price: {}", self.body);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn recommendations(&self) -> Recommendations {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "recommendations: {}",
            self.body
        );
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Service {
    /// A GET that must be answered within `limit`, whatever the dependencies do.
    async fn get(&self, path: &str, limit: Duration, what: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.url)).send();
        let response = within(limit, what, request)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            retry_after,
            body,
        }
    }

    fn spawn_get(
        self: &Arc<Self>,
        path: String,
        limit: Duration,
        what: &'static str,
    ) -> tokio::task::JoinHandle<Answer> {
        let service = Arc::clone(self);
        tokio::spawn(async move { service.get(&path, limit, what).await })
    }
}

fn config(budget: Duration, bulkhead: usize, max_in_flight: usize) -> Config {
    Config {
        budget,
        bulkhead,
        max_in_flight,
        retry_after_secs: 7,
    }
}

const PROMPTLY: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_recommender_costs_its_own_endpoint_a_budget_and_nothing_else() {
    let s = Arc::new(start(config(Duration::from_millis(800), 4, 100)).await);
    s.pricing.prices.lock().unwrap().insert(1, 999);
    s.recommender.set(Mode::Hang);

    // Twenty at once, four permits: waiting for a permit would take five budgets (4 s) for the
    // last of them; failing fast takes one.
    let recs: Vec<_> = (0..20)
        .map(|i| {
            s.spawn_get(
                format!("/products/{i}/recommendations"),
                Duration::from_secs(2),
                "recommendations with the recommender hung (budget 800 ms, 20 requests for a bulkhead of 4): a call to a dependency needs a timeout, and a request that finds the bulkhead full fails fast to the fallback instead of waiting its turn",
            )
        })
        .collect();
    until(
        Duration::from_secs(5),
        "the hung recommender to hold 4 calls",
        || s.recommender.in_flight() >= 4,
    )
    .await;
    // The recommender now holds everything it was given. Prices must not care.
    for _ in 0..8 {
        let price = s
            .get(
                "/products/1/price",
                PROMPTLY,
                "a price with the recommender hung",
            )
            .await
            .price();
        assert_eq!(
            price,
            Price {
                cents: 999,
                stale: false
            },
            "the pricing service is healthy: with the recommender hung, prices must still be fresh. One bulkhead for every dependency lets a hung one take all the permits"
        );
    }
    for r in recs {
        assert_eq!(
            r.await.unwrap().recommendations(),
            Recommendations {
                ids: vec![],
                degraded: true
            },
            "the recommender is hung: recommendations answer with the fallback (none, degraded) within the budget"
        );
    }
    let peak = s.recommender.in_flight.peak();
    assert!(
        peak <= 4,
        "the hung recommender had {peak} calls in flight at once with a bulkhead of 4: the other requests must fail fast to the fallback instead of piling onto a sick dependency"
    );
}

#[tokio::test]
async fn a_failing_pricing_service_serves_the_last_price_marked_stale() {
    let s = start(config(Duration::from_millis(300), 4, 100)).await;
    *s.pricing.prices.lock().unwrap() = HashMap::from([(1, 500), (2, 700)]);
    let get = |id: u64| {
        let s = &s;
        async move {
            s.get(
                &format!("/products/{id}/price"),
                PROMPTLY,
                "a price (budget 300 ms)",
            )
            .await
        }
    };
    assert_eq!(
        get(1).await.price(),
        Price {
            cents: 500,
            stale: false
        }
    );

    s.pricing.set(Mode::Fail);
    assert_eq!(
        get(1).await.price(),
        Price {
            cents: 500,
            stale: true
        },
        "pricing answers 500: the last price it gave, marked stale (stale-if-error), beats an error page"
    );
    let never_seen = get(2).await;
    assert_eq!(
        (never_seen.status, never_seen.retry_after.as_deref()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("7")),
        "a price never fetched cannot be served stale: 503 with Retry-After (the configured 7 s)"
    );

    s.pricing.set(Mode::Hang);
    assert_eq!(
        get(1).await.price(),
        Price {
            cents: 500,
            stale: true
        },
        "pricing is hung: after the budget, the stale price"
    );

    s.pricing.set(Mode::Answer);
    *s.pricing.prices.lock().unwrap() = HashMap::from([(1, 550)]);
    assert_eq!(
        get(1).await.price(),
        Price {
            cents: 550,
            stale: false
        },
        "pricing is back with a new price: the fallback is for failures, every request still asks"
    );
    assert_eq!(
        get(2).await.status,
        StatusCode::NOT_FOUND,
        "pricing says product 2 does not exist: 404"
    );
    s.pricing.prices.lock().unwrap().remove(&1);
    assert_eq!(
        get(1).await.status,
        StatusCode::NOT_FOUND,
        "product 1 was deleted: pricing's 404 is an answer, not a failure to hide behind the old price"
    );
    s.pricing.set(Mode::Fail);
    assert_eq!(
        get(1).await.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a deleted product's old price is not kept to be served stale later"
    );
}

#[tokio::test]
async fn a_kill_switch_turns_recommendations_off_without_calling_anybody() {
    let s = start(config(Duration::from_millis(300), 4, 100)).await;
    let get = || s.get("/products/5/recommendations", PROMPTLY, "recommendations");
    assert_eq!(
        get().await.recommendations(),
        Recommendations {
            ids: vec![6, 7],
            degraded: false
        }
    );
    assert_eq!(s.recommender.calls(), 1);

    s.switches.turn_off(RECOMMENDATIONS);
    for _ in 0..3 {
        assert_eq!(
            get().await.recommendations(),
            Recommendations {
                ids: vec![],
                degraded: true
            },
            "recommendations are switched off: the fallback"
        );
    }
    assert_eq!(
        s.recommender.calls(),
        1,
        "switched off, the recommender must not be called at all: the switch exists to take load off it"
    );

    s.switches.turn_on(RECOMMENDATIONS);
    assert_eq!(
        get().await.recommendations().ids,
        [6, 7],
        "switched back on"
    );
    s.recommender.set(Mode::Fail);
    assert_eq!(
        get().await.recommendations(),
        Recommendations {
            ids: vec![],
            degraded: true
        },
        "the recommender answers 500: the fallback, not an error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_its_limit_the_service_refuses_at_once_and_stays_alive() {
    let s = Arc::new(start(config(Duration::from_secs(30), 10, 5)).await);
    s.pricing.prices.lock().unwrap().insert(1, 100);
    s.pricing.set(Mode::Gated);
    s.recommender.set(Mode::Gated);

    // Five requests, over both routes, are in flight: the limit of the whole service.
    let admitted: Vec<_> = [
        "/products/1/price",
        "/products/1/price",
        "/products/1/price",
    ]
    .into_iter()
    .chain(["/products/1/recommendations", "/products/2/recommendations"])
    .map(|p| s.spawn_get(p.into(), Duration::from_secs(20), "an admitted request"))
    .collect();
    until(
        Duration::from_secs(5),
        "5 requests in flight at the dependencies",
        || s.pricing.in_flight() + s.recommender.in_flight() >= 5,
    )
    .await;

    let refused: Vec<_> = ["/products/1/price", "/products/1/recommendations"]
        .into_iter()
        .cycle()
        .take(6)
        .map(|p| {
            s.spawn_get(
                p.into(),
                PROMPTLY,
                "a request past the limit of 5 in flight (3 prices and 2 recommendations are waiting on their dependencies): it must be refused at once, not queued, and the limit counts every route's requests together",
            )
        })
        .collect();
    for r in refused {
        let r = r.await.unwrap();
        assert_eq!(
            (r.status, r.retry_after.as_deref()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("7")),
            "past the limit: 503 with Retry-After, so that clients and load balancers back off (body: {})",
            r.body
        );
    }
    let health = s.get("/health", PROMPTLY, "/health while overloaded").await;
    assert_eq!(
        health.status,
        StatusCode::OK,
        "an overloaded instance is alive: if /health were shed, the orchestrator would restart the instances that are busiest"
    );

    s.pricing.gate.send_replace(true);
    s.recommender.gate.send_replace(true);
    for a in admitted {
        assert_eq!(
            a.await.unwrap().status,
            StatusCode::OK,
            "an admitted request"
        );
    }
    assert_eq!(
        s.get("/products/1/price", PROMPTLY, "a price after the load")
            .await
            .price()
            .cents,
        100,
        "the load is gone: requests are served again"
    );
}
