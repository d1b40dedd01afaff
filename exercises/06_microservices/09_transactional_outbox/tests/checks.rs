use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use backlings_support::within;
use backlings_support_bus::Bus;
use backlings_support_db::db;
use futures_util::StreamExt;
use sqlx::PgPool;
use transactional_outbox::*;

struct Setup {
    pool: PgPool,
    bus: Bus,
    js: jetstream::Context,
    stream: stream::Stream,
    subject: String,
}

/// A database of the test's own, and an ORDERS stream on the test's subjects.
async fn setup() -> Setup {
    let pool = db::isolated_pool().await;
    let bus = Bus::new().await;
    let js = bus.jetstream();
    let stream = bus.memory_stream("ORDERS", "orders.>").await;
    let subject = bus.subject("orders.placed");
    Setup {
        pool,
        bus,
        js,
        stream,
        subject,
    }
}

impl Setup {
    fn orders(&self) -> Orders {
        Orders::new(self.pool.clone(), self.js.clone(), &self.subject)
    }

    fn relay(&self, batch: i64) -> Relay {
        Relay::new(self.pool.clone(), self.js.clone(), batch)
    }

    async fn stored(&mut self) -> u64 {
        self.stream
            .info()
            .await
            .unwrap_or_else(|e| panic!("[test infrastructure] cannot read the stream: {e}"))
            .state
            .messages
    }

    /// The orders the stream holds, in the stream's order, with each message's id header.
    async fn stream_orders(&mut self) -> Vec<(Order, Option<String>)> {
        let count = self.stored().await;
        let first = self.stream.info().await.unwrap().state.first_sequence;
        let mut out = Vec::new();
        for seq in first..first + count {
            let message = self.stream.get_raw_message(seq).await.unwrap();
            let order: Order = serde_json::from_slice(&message.payload).expect("an order");
            let id = message
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.as_str().to_owned());
            out.push((order, id));
        }
        out
    }

    async fn unpublished(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

fn order(id: &str, amount_cents: i64) -> Order {
    Order {
        id: id.into(),
        amount_cents,
    }
}

async fn counts(pool: &PgPool, id: &str) -> (i64, i64) {
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE payload->>'id' = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    (orders, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_and_its_event_are_stored_together_and_nothing_is_published_yet() {
    let mut s = setup().await;
    s.orders().place(&order("o-1", 1250)).await.expect("placed");
    assert_eq!(
        counts(&s.pool, "o-1").await,
        (1, 1),
        "the order and its event"
    );
    let (event_id, subject, payload): (String, String, serde_json::Value) =
        sqlx::query_as("SELECT event_id, subject, payload FROM outbox")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(event_id, event_id_of("o-1"));
    assert_eq!(subject, s.subject);
    assert_eq!(
        payload,
        serde_json::json!({ "id": "o-1", "amount_cents": 1250 })
    );
    assert_eq!(
        s.stored().await,
        0,
        "placing an order only writes to the database: publishing is the relay's job"
    );
}

fn event_id_of(id: &str) -> String {
    event_id(&order(id, 1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_order_announces_nothing() {
    let mut s = setup().await;
    let mut heard = s.bus.client().subscribe(s.subject.clone()).await.unwrap();
    s.orders().place(&order("o-1", 1250)).await.expect("placed");
    assert!(
        s.orders().place(&order("o-2", 0)).await.is_err(),
        "an amount of 0 breaks the CHECK constraint"
    );
    assert!(
        s.orders().place(&order("o-1", 990)).await.is_err(),
        "o-1 exists already"
    );
    assert_eq!(
        counts(&s.pool, "o-2").await,
        (0, 0),
        "no order o-2, no event for it"
    );
    assert_eq!(
        counts(&s.pool, "o-1").await,
        (1, 1),
        "one event for o-1, not two"
    );
    let _ = s.bus.client().flush().await;
    let published = tokio::time::timeout(Duration::from_millis(300), heard.next()).await;
    assert!(
        published.is_err() && s.stored().await == 0,
        "a message reached the broker for an order that was never committed: publishing \
         from `place` (before, or even after, the commit) is the dual write the outbox \
         exists to avoid — the broker cannot take part in the database's transaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_at_any_point_of_place_leaves_both_or_neither() {
    let s = setup().await;
    let proxy = db::cut_proxy(&s.pool).await;
    for n in 0.. {
        let via = db::pool_via(&proxy, &s.pool).await;
        let orders = Orders::new(via, s.js.clone(), &s.subject);
        let id = format!("o-{n}");
        proxy.cut_after_round_trips(n);
        let result = orders.place(&order(&id, 500)).await;
        let cut = proxy.has_cut();
        proxy.disarm();
        let (orders_stored, events_stored) = counts(&s.pool, &id).await;
        assert_eq!(
            orders_stored, events_stored,
            "the connection was lost after {n} round trips of `place` and left {orders_stored} \
             order(s) and {events_stored} event(s): an order whose event is lost is an order \
             nobody bills. Both rows belong to one transaction"
        );
        if !cut {
            assert!(
                result.is_ok(),
                "with no cut, the order is placed: {result:?}"
            );
            assert_eq!(orders_stored, 1);
            break;
        }
        assert!(n < 50, "place never finished");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_oldest_first_and_marks_what_it_published() {
    let mut s = setup().await;
    let placed: Vec<Order> = [
        ("o-c", 300),
        ("o-a", 100),
        ("o-b", 200),
        ("o-e", 500),
        ("o-d", 400),
    ]
    .into_iter()
    .map(|(id, cents)| order(id, cents))
    .collect();
    for o in &placed {
        s.orders().place(o).await.unwrap();
    }
    let relay = s.relay(10);
    assert_eq!(relay.relay_once().await.expect("relayed"), 5);
    let in_stream = s.stream_orders().await;
    let expected: Vec<(Order, Option<String>)> = placed
        .iter()
        .map(|o| (o.clone(), Some(event_id(o))))
        .collect();
    assert_eq!(
        in_stream, expected,
        "every event, in the order the orders were placed (not by id or amount), each with \
         its event id as Nats-Msg-Id"
    );
    assert_eq!(
        s.unpublished().await,
        0,
        "what was published is marked published"
    );
    assert_eq!(
        relay.relay_once().await.unwrap(),
        0,
        "and is not published again"
    );
    assert_eq!(s.stored().await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_works_in_batches() {
    let mut s = setup().await;
    for i in 0..7 {
        s.orders()
            .place(&order(&format!("o-{i}"), 100))
            .await
            .unwrap();
    }
    let relay = s.relay(3);
    let mut batches = Vec::new();
    for _ in 0..4 {
        batches.push(relay.relay_once().await.unwrap());
    }
    assert_eq!(batches, vec![3, 3, 1, 0], "at most `batch` events per call");
    assert_eq!(s.stored().await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_cut_off_after_publishing_publishes_again_and_the_stream_keeps_one() {
    let mut s = setup().await;
    let proxy = db::cut_proxy(&s.pool).await;
    let mut placed = Vec::new();
    for n in 0.. {
        let o = order(&format!("o-{n}"), 100 + n as i64);
        s.orders().place(&o).await.unwrap();
        placed.push(o);
        let via = db::pool_via(&proxy, &s.pool).await;
        let relay = Relay::new(via, s.js.clone(), 10);
        proxy.cut_after_round_trips(n);
        let result = relay.relay_once().await;
        let cut = proxy.has_cut();
        proxy.disarm();
        // The relay is restarted and runs again, on a connection that works — in a loop, as a
        // relay does: Postgres rolls back the cut connection's transaction moments after the
        // cut, not at once, and until then its rows are locked (and skipped).
        let restarted = s.relay(10);
        for _ in 0..50 {
            restarted.relay_once().await.expect("the restarted relay");
            if s.unpublished().await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            s.unpublished().await,
            0,
            "cut after {n} round trips, then restarted: every event is published within 5 s"
        );
        if !cut {
            assert!(result.is_ok(), "{result:?}");
            break;
        }
        assert!(n < 50, "relay_once never finished");
    }
    let in_stream = s.stream_orders().await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for (o, _) in &in_stream {
        *times.entry(o.id.clone()).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "the relay lost its database connection after publishing and before marking, so the \
         restarted relay published the same events again — as it must (at least once). The \
         stream stored {twice:?} more than once: the event id must travel as Nats-Msg-Id, for \
         JetStream to recognise the repeat"
    );
    assert_eq!(
        times.len(),
        placed.len(),
        "every order's event is in the stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_another_relay_holds_are_skipped_not_waited_for() {
    let mut s = setup().await;
    for i in 0..5 {
        s.orders()
            .place(&order(&format!("o-{i}"), 100))
            .await
            .unwrap();
    }
    // Another relay is in the middle of publishing the two oldest events.
    let mut other = s.pool.begin().await.unwrap();
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 2 FOR UPDATE",
    )
    .fetch_all(&mut *other)
    .await
    .unwrap();
    assert_eq!(held.len(), 2);
    let relayed = tokio::time::timeout(Duration::from_secs(5), s.relay(10).relay_once())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "relay_once waited for rows another relay had locked (5 s and counting): one \
                 slow relay stalls every other. Skip what is locked"
            )
        })
        .expect("relayed");
    assert_eq!(
        relayed, 3,
        "the 2 events the other relay holds are its to publish: publishing them too sends \
         them twice"
    );
    sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)")
        .bind(&held)
        .execute(&mut *other)
        .await
        .unwrap();
    other.commit().await.unwrap();
    assert_eq!(s.stored().await, 3);
    assert_eq!(s.unpublished().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_relays_at_once_publish_each_event_once() {
    let s = setup().await;
    let events = 80;
    for i in 0..events {
        s.orders()
            .place(&order(&format!("o-{i}"), 100))
            .await
            .unwrap();
    }
    // Every publish, duplicates included (the stream would hide them).
    let mut heard = s.bus.client().subscribe(s.subject.clone()).await.unwrap();
    s.bus.client().flush().await.unwrap();
    let relays: Vec<_> = (0..2)
        .map(|_| {
            let relay = Arc::new(s.relay(5));
            tokio::spawn(async move {
                let mut total = 0;
                loop {
                    match relay.relay_once().await.expect("relayed") {
                        0 => return total,
                        n => total += n,
                    }
                }
            })
        })
        .collect();
    let mut total = 0;
    for relay in relays {
        total += within(Duration::from_secs(30), "the two relays", relay)
            .await
            .unwrap();
    }
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(500), heard.next()).await
    {
        let o: Order = serde_json::from_slice(&message.payload).unwrap();
        *times.entry(o.id).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "two relays published the same events: {twice:?}. Each relay must claim the rows it \
         publishes (FOR UPDATE) and pass over those another has claimed (SKIP LOCKED)"
    );
    assert_eq!(times.len(), events, "every event was published");
    assert_eq!(total, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_broker_did_not_store_stays_in_the_outbox() {
    let s = setup().await;
    // No stream captures this subject: JetStream answers the publish with an error.
    let nowhere = Orders::new(
        s.pool.clone(),
        s.js.clone(),
        &s.bus.subject("nowhere.placed"),
    );
    nowhere.place(&order("o-1", 100)).await.unwrap();
    let result = within(
        Duration::from_secs(10),
        "relay_once",
        s.relay(10).relay_once(),
    )
    .await;
    assert!(
        result.is_err(),
        "the broker stored nothing, and relay_once said {result:?}: a publish is done when the \
         stream acknowledges it"
    );
    assert_eq!(
        s.unpublished().await,
        1,
        "the event the broker never stored is still waiting in the outbox: marked published, \
         it is lost for good"
    );
}
