use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use backlings_support_db::db;
use backlings_support_http::server::serve;
use order_saga::*;
use serde_json::Value;

/// The three services' shared state: what they did, and the faults to inject.
#[derive(Default)]
struct World {
    stock: HashMap<String, i32>,
    reservations: HashMap<String, i32>,
    charges: HashMap<String, i64>,
    refunded: HashSet<String>,
    shipments: HashSet<String>,
    /// Every call, in order: (saga, what).
    log: Vec<(String, &'static str)>,
    /// Calls whose next answer is lost: the service does the work, the caller gets a 500.
    lose_next: HashSet<&'static str>,
    /// Calls that fail next with a 503, and nothing is done.
    down_next: HashSet<&'static str>,
}

type Shared = Arc<Mutex<World>>;

const INITIAL_STOCK: [(&str, i32); 3] = [("tea", 10), ("gold", 0), ("piano", 5)];

/// Whether the call `what` fails before it is done (503), or is done and its answer lost.
fn fault(world: &mut World, saga: &str, what: &'static str) -> (Option<Response>, bool) {
    world.log.push((saga.to_string(), what));
    if world.down_next.remove(what) {
        return (Some(StatusCode::SERVICE_UNAVAILABLE.into_response()), false);
    }
    (None, world.lose_next.remove(what))
}

fn answer(lost: bool, ok: StatusCode) -> Response {
    if lost {
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    } else {
        ok.into_response()
    }
}

async fn reserve(State(w): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut w = w.lock().unwrap();
    let saga = body["saga_id"].as_str().unwrap_or("").to_string();
    let (sku, qty) = (
        body["sku"].as_str().unwrap_or("").to_string(),
        body["qty"].as_i64().unwrap_or(0) as i32,
    );
    let (early, lost) = fault(&mut w, &saga, "reserve");
    if let Some(early) = early {
        return early;
    }
    if w.reservations.contains_key(&saga) {
        return answer(lost, StatusCode::OK);
    }
    let stock = w.stock.entry(sku).or_default();
    if *stock < qty {
        return (StatusCode::CONFLICT, "out of stock").into_response();
    }
    *stock -= qty;
    w.reservations.insert(saga, qty);
    answer(lost, StatusCode::CREATED)
}

async fn release(State(w): State<Shared>, Path(saga): Path<String>) -> Response {
    let mut w = w.lock().unwrap();
    let (early, lost) = fault(&mut w, &saga, "release");
    if let Some(early) = early {
        return early;
    }
    if let Some(qty) = w.reservations.remove(&saga) {
        // Which sku: the test's orders use one sku per saga id prefix.
        let sku = saga.split(':').next().unwrap_or("").to_string();
        *w.stock.entry(sku).or_default() += qty;
    }
    answer(lost, StatusCode::NO_CONTENT)
}

async fn charge(State(w): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut w = w.lock().unwrap();
    let saga = body["saga_id"].as_str().unwrap_or("").to_string();
    let amount = body["amount_cents"].as_i64().unwrap_or(0);
    let (early, lost) = fault(&mut w, &saga, "charge");
    if let Some(early) = early {
        return early;
    }
    if w.charges.contains_key(&saga) {
        return answer(lost, StatusCode::OK);
    }
    if amount > 100_000 {
        return (StatusCode::PAYMENT_REQUIRED, "card declined").into_response();
    }
    w.charges.insert(saga, amount);
    answer(lost, StatusCode::CREATED)
}

async fn refund(State(w): State<Shared>, Path(saga): Path<String>) -> Response {
    let mut w = w.lock().unwrap();
    let (early, lost) = fault(&mut w, &saga, "refund");
    if let Some(early) = early {
        return early;
    }
    if w.charges.contains_key(&saga) {
        w.refunded.insert(saga);
    }
    answer(lost, StatusCode::OK)
}

async fn ship(State(w): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut w = w.lock().unwrap();
    let saga = body["saga_id"].as_str().unwrap_or("").to_string();
    let (early, lost) = fault(&mut w, &saga, "ship");
    if let Some(early) = early {
        return early;
    }
    if body["sku"] == "piano" {
        return (StatusCode::UNPROCESSABLE_ENTITY, "cannot ship a piano").into_response();
    }
    w.shipments.insert(saga);
    answer(lost, StatusCode::CREATED)
}

async fn setup() -> (Saga, Shared, sqlx::PgPool) {
    let world: Shared = Arc::default();
    {
        let mut w = world.lock().unwrap();
        for (sku, n) in INITIAL_STOCK {
            w.stock.insert(sku.to_string(), n);
        }
    }
    let inventory = Router::new()
        .route("/reservations", post(reserve))
        .route("/reservations/{saga}", delete(release))
        .with_state(Arc::clone(&world));
    let payments = Router::new()
        .route("/charges", post(charge))
        .route("/charges/{saga}/refund", post(refund))
        .with_state(Arc::clone(&world));
    let shipping = Router::new()
        .route("/shipments", post(ship))
        .with_state(Arc::clone(&world));
    let services = Services {
        inventory: serve(inventory).await,
        payments: serve(payments).await,
        shipping: serve(shipping).await,
    };
    let pool = db::isolated_pool().await;
    (Saga::new(pool.clone(), services), world, pool)
}

fn order(sku: &str, amount_cents: i64) -> Order {
    Order {
        sku: sku.into(),
        qty: 2,
        amount_cents,
    }
}

/// The calls made for `saga`, in order.
fn calls(world: &Shared, saga: &str) -> Vec<&'static str> {
    world
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|(s, _)| s == saga)
        .map(|(_, what)| *what)
        .collect()
}

/// What the three services hold for `saga`: (reserved, charged net of refunds, shipped), and
/// whether every sku's stock plus its reservations is what it started with.
fn holdings(world: &Shared, saga: &str) -> (bool, i64, bool, bool) {
    let w = world.lock().unwrap();
    let charged = if w.refunded.contains(saga) {
        0
    } else {
        w.charges.get(saga).copied().unwrap_or(0)
    };
    let reserved: i32 = w.reservations.values().sum();
    let stock: i32 = w.stock.values().sum();
    let initial: i32 = INITIAL_STOCK.iter().map(|(_, n)| n).sum();
    (
        w.reservations.contains_key(saga),
        charged,
        w.shipments.contains(saga),
        stock + reserved == initial,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_goes_through_every_step_once() {
    let (saga, world, pool) = setup().await;
    let outcome = saga
        .start("tea:1", &order("tea", 1500))
        .await
        .expect("the saga runs");
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(calls(&world, "tea:1"), vec!["reserve", "charge", "ship"]);
    assert_eq!(holdings(&world, "tea:1"), (true, 1500, true, true));
    let (state, done): (String, i32) =
        sqlx::query_as("SELECT state, done FROM sagas WHERE id = $1")
            .bind("tea:1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), done),
        ("completed", 3),
        "the saga's state is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_at_each_step_undoes_what_was_done_in_reverse_order() {
    let (saga, world, _) = setup().await;
    let cases = [
        (
            "gold:1",
            order("gold", 1500),
            "reserve stock",
            vec!["reserve"],
        ),
        (
            "tea:2",
            order("tea", 200_000),
            "charge",
            vec!["reserve", "charge", "release"],
        ),
        (
            "piano:3",
            order("piano", 1500),
            "ship",
            vec!["reserve", "charge", "ship", "refund", "release"],
        ),
    ];
    for (id, o, step, expected) in cases {
        let outcome = saga.start(id, &o).await.expect("the saga runs");
        match &outcome {
            Outcome::Compensated { reason } => assert!(
                reason.contains(step),
                "{id}: the reason names the step that was refused ({step}): {reason:?}"
            ),
            other => panic!("{id}: {step} was refused, and the saga says {other:?}"),
        }
        assert_eq!(
            calls(&world, id),
            expected,
            "{id}: {step} was refused. Every step done before it is undone, the latest first \
             (the refund before the stock goes back: undoing in the order things were done \
             can undo a step others still depend on); the refused step itself did nothing and \
             is not undone"
        );
        assert_eq!(
            holdings(&world, id),
            (false, 0, false, true),
            "{id}: after compensation, no reservation, no charge, no shipment, and the stock \
             is back"
        );
    }
}

const STEPS: [&str; 3] = ["reserve", "charge", "ship"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_at_any_step_is_resumed_from_where_it_stopped() {
    let (saga, world, pool) = setup().await;
    for (i, step) in STEPS.into_iter().enumerate() {
        let id = format!("tea:down-{step}");
        world.lock().unwrap().down_next.insert(step);
        let first = saga.start(&id, &order("tea", 1500)).await;
        assert!(
            matches!(first, Err(SagaError::Interrupted(_))),
            "{step} answered 503: an outage is not a refusal — the saga is interrupted, not \
             compensated (got {first:?})"
        );
        let done: i32 = sqlx::query_scalar("SELECT done FROM sagas WHERE id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(
            done, i as i32,
            "{step} failed before doing anything: the stored state says {i} step(s) done, not \
             {done} (a step is recorded once the service has done it, never before)"
        );
        let outcome = saga.resume(&id).await.expect("resumed");
        assert_eq!(outcome, Outcome::Completed);
        let mut expected = STEPS[..=i].to_vec();
        expected.extend(&STEPS[i..]);
        assert_eq!(
            calls(&world, &id),
            expected,
            "resuming after {step} failed repeats {step} and goes on: the steps done before \
             are not called again"
        );
        assert_eq!(holdings(&world, &id), (true, 1500, true, true));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_lost_at_any_step_is_repeated_harmlessly() {
    let (saga, world, _) = setup().await;
    for step in STEPS {
        let id = format!("tea:lost-{step}");
        world.lock().unwrap().lose_next.insert(step);
        assert!(saga.start(&id, &order("tea", 1500)).await.is_err());
        let outcome = saga.resume(&id).await.expect("resumed");
        assert_eq!(outcome, Outcome::Completed);
        let repeats = calls(&world, &id).iter().filter(|c| **c == step).count();
        assert_eq!(
            repeats, 2,
            "{step} was done, its answer lost, and it was sent again"
        );
        assert_eq!(
            holdings(&world, &id),
            (true, 1500, true, true),
            "{step}'s answer was lost after the service had done it, and the saga sent it \
             again: the services recognise a repeat by the saga's id, so there is one charge \
             of 1500, not two. Every call of a saga must carry the same id on every attempt"
        );
    }
    let w = world.lock().unwrap();
    assert_eq!(
        w.charges.values().sum::<i64>(),
        1500 * 3,
        "one charge per saga: {:?}",
        w.charges
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_while_compensating_is_resumed_too() {
    let (saga, world, _) = setup().await;
    for fault in ["lose", "down"] {
        let id = format!("piano:{fault}");
        {
            let mut w = world.lock().unwrap();
            match fault {
                "lose" => w.lose_next.insert("refund"),
                _ => w.down_next.insert("release"),
            };
        }
        assert!(saga.start(&id, &order("piano", 1500)).await.is_err());
        let outcome = saga.resume(&id).await.expect("resumed");
        assert!(
            matches!(outcome, Outcome::Compensated { .. }),
            "{outcome:?}"
        );
        assert_eq!(
            holdings(&world, &id),
            (false, 0, false, true),
            "{id}: compensation interrupted and resumed: everything undone"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_saga_is_not_run_again() {
    let (saga, world, _) = setup().await;
    saga.start("tea:9", &order("tea", 1500)).await.unwrap();
    assert_eq!(saga.resume("tea:9").await.unwrap(), Outcome::Completed);
    assert_eq!(
        saga.start("tea:9", &order("tea", 1500)).await.unwrap(),
        Outcome::Completed,
        "a client retrying its checkout starts the same saga id again"
    );
    assert_eq!(
        calls(&world, "tea:9").len(),
        3,
        "resuming or restarting a finished saga calls no service"
    );
    assert!(matches!(
        saga.resume("nope").await,
        Err(SagaError::Unknown(_))
    ));
}
