use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer, stream};
use backlings_support::within;
use backlings_support_bus::Bus;
use backlings_support_db::db;
use dead_letters::*;
use futures_util::StreamExt;
use sqlx::PgPool;

const ACK_WAIT: Duration = Duration::from_secs(1);
const MAX_DELIVER: i64 = 3;
const WAIT: Duration = Duration::from_millis(300);

struct Setup {
    pool: PgPool,
    bus: Bus,
    js: jetstream::Context,
    payments: stream::Stream,
    dead: stream::Stream,
    consumer: PullConsumer,
}

async fn setup() -> Setup {
    let pool = db::isolated_pool().await;
    sqlx::query("INSERT INTO accounts (customer) VALUES ('alice'), ('bob')")
        .execute(&pool)
        .await
        .unwrap();
    let bus = Bus::new().await;
    let js = bus.jetstream();
    let payments = bus.memory_stream("PAYMENTS", "payments.>").await;
    let dead = bus.memory_stream("DEAD", "dead.>").await;
    let consumer = payments
        .create_consumer(consumer_config(&bus.name("billing"), MAX_DELIVER, ACK_WAIT))
        .await
        .unwrap_or_else(|e| panic!("cannot create the consumer from consumer_config: {e}"));
    Setup {
        pool,
        bus,
        js,
        payments,
        dead,
        consumer,
    }
}

fn payment(event_id: &str, customer: &str, amount_cents: i64) -> Payment {
    Payment {
        event_id: event_id.into(),
        customer: customer.into(),
        amount_cents,
    }
}

impl Setup {
    /// Publishes `payload` as a message of its own (no message id: the stream stores copies).
    async fn publish(&self, payload: Vec<u8>) {
        self.js
            .publish(self.bus.subject("payments.received"), payload.into())
            .await
            .unwrap()
            .await
            .expect("the stream stores the payment");
    }

    async fn publish_payment(&self, p: &Payment) {
        self.publish(serde_json::to_vec(p).unwrap()).await;
    }

    /// Runs process_batch until a batch acknowledges nothing.
    async fn drain(&self) -> usize {
        let mut total = 0;
        loop {
            match process_batch(&self.consumer, &self.pool, WAIT)
                .await
                .expect("a batch")
            {
                0 => return total,
                n => total += n,
            }
        }
    }

    async fn balance(&self, customer: &str) -> i64 {
        sqlx::query_scalar("SELECT balance_cents FROM accounts WHERE customer = $1")
            .bind(customer)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn times_applied(&self, event_id: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM ledger WHERE event_id = $1")
            .bind(event_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn consumer_info(&mut self) -> jetstream::consumer::Info {
        self.consumer.info().await.unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_is_durable_explicit_and_bounded() {
    let mut s = setup().await;
    let info = s.consumer_info().await;
    assert_eq!(info.config.durable_name, Some(s.bus.name("billing")));
    assert_eq!(
        info.config.ack_policy,
        jetstream::consumer::AckPolicy::Explicit,
        "every message is acknowledged by billing itself, after the work"
    );
    assert_eq!(info.config.ack_wait, ACK_WAIT);
    assert_eq!(
        info.config.max_deliver, MAX_DELIVER,
        "a message is delivered at most max_deliver times"
    );
    // Billing restarts: the durable consumer and its position are still on the server.
    s.publish_payment(&payment("p-1", "alice", 500)).await;
    let again = s
        .payments
        .get_consumer::<jetstream::consumer::pull::Config>(&s.bus.name("billing"))
        .await
        .expect("the durable consumer outlives the process that created it");
    let mut again_info = again;
    assert_eq!(again_info.info().await.unwrap().num_pending, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_arrives_twice_is_applied_once() {
    let mut s = setup().await;
    let p1 = payment("p-1", "alice", 500);
    s.publish_payment(&p1).await;
    s.publish_payment(&payment("p-2", "bob", 700)).await;
    // The producer's retry, after the stream's duplicate window: a second copy in the stream.
    s.publish_payment(&p1).await;
    assert_eq!(
        s.drain().await,
        3,
        "all three messages are acknowledged, the copy too"
    );
    assert_eq!(
        (s.times_applied("p-1").await, s.balance("alice").await),
        (1, 500),
        "two copies of p-1, one payment: at-least-once delivery means copies, and an \
         idempotent consumer makes them harmless"
    );
    assert_eq!(s.balance("bob").await, 700);
    let info = s.consumer_info().await;
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_ack_redelivers_and_nothing_is_applied_twice() {
    let mut s = setup().await;
    s.publish_payment(&payment("p-1", "alice", 500)).await;
    s.publish_payment(&payment("p-2", "alice", 200)).await;
    // Billing fetches both, applies p-1 (committed), and dies before acknowledging either.
    let mut fetched = s
        .consumer
        .fetch()
        .max_messages(2)
        .expires(WAIT)
        .messages()
        .await
        .unwrap();
    let first = fetched.next().await.unwrap().unwrap();
    let p: Payment = serde_json::from_slice(&first.payload).unwrap();
    assert!(apply(&s.pool, &p).await.expect("applied"));
    drop(fetched);
    drop(first);
    tokio::time::sleep(ACK_WAIT + Duration::from_millis(200)).await;
    assert_eq!(
        s.drain().await,
        2,
        "after ack_wait both come back, and both are acknowledged"
    );
    assert_eq!(
        (s.times_applied("p-1").await, s.times_applied("p-2").await),
        (1, 1),
        "p-1 was applied before the crash and delivered again after it: applied once"
    );
    assert_eq!(s.balance("alice").await, 700);
    assert_eq!(s.consumer_info().await.num_ack_pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn copies_processed_at_the_same_time_are_applied_once() {
    let s = setup().await;
    let payments = 40;
    for _copy in 0..2 {
        for i in 0..payments {
            s.publish_payment(&payment(&format!("p-{i}"), "alice", 1))
                .await;
        }
    }
    // Two billing workers on the same durable consumer: copies of a payment may be fetched by
    // both at once.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let consumer = s.consumer.clone();
            let pool = s.pool.clone();
            tokio::spawn(async move {
                loop {
                    let n = process_batch(&consumer, &pool, WAIT)
                        .await
                        .expect("a batch");
                    if n == 0 {
                        return;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        within(Duration::from_secs(60), "two workers", worker)
            .await
            .unwrap();
    }
    assert_eq!(
        s.balance("alice").await,
        payments as i64,
        "{payments} payments of 1 cent, each delivered twice, to two workers at once: a check \
         (\"was it applied?\") followed by the write is a race both copies can win. The \
         database's constraint decides, inside the transaction that applies"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_always_fails_goes_to_the_dead_letters_after_max_deliver() {
    let mut s = setup().await;
    let stream_name = s.bus.name("PAYMENTS");
    let mut advisories = s
        .bus
        .client()
        .subscribe(max_deliveries_subject(&stream_name, &s.bus.name("billing")))
        .await
        .unwrap();
    s.bus.client().flush().await.unwrap();
    // `ghost` has no account: applying it fails every time.
    s.publish_payment(&payment("p-ghost", "ghost", 100)).await;
    s.publish_payment(&payment("p-1", "alice", 500)).await;

    // max_deliver × ack_wait is 3 s; the solution takes about 2.
    let advisory = within(
        Duration::from_secs(8),
        "the max-deliveries advisory",
        async {
            loop {
                process_batch(&s.consumer, &s.pool, WAIT)
                    .await
                    .expect("a batch");
                if let Ok(Some(advisory)) =
                    tokio::time::timeout(Duration::from_millis(100), advisories.next()).await
                {
                    return advisory;
                }
            }
        },
    )
    .await;
    let body: serde_json::Value = serde_json::from_slice(&advisory.payload).unwrap();
    assert_eq!(
        body["deliveries"], MAX_DELIVER,
        "delivered max_deliver times: {body}"
    );
    assert_eq!(
        s.balance("alice").await,
        500,
        "the good payment went through meanwhile"
    );

    forward_dead_letter(&s.js, &advisory, &s.bus.subject("dead.payments"))
        .await
        .expect("forwarded");
    // The forwarder crashed after publishing and handles the same advisory again.
    forward_dead_letter(&s.js, &advisory, &s.bus.subject("dead.payments"))
        .await
        .expect("forwarded again");
    let info = s.dead.info().await.unwrap().clone();
    assert_eq!(
        info.state.messages, 1,
        "one dead letter for one poison message, however often its advisory is handled"
    );
    let letter = s
        .dead
        .get_raw_message(info.state.first_sequence)
        .await
        .unwrap();
    let dead: Payment = serde_json::from_slice(&letter.payload).expect("the original payload");
    assert_eq!(dead, payment("p-ghost", "ghost", 100));
    let header = |name: &str| letter.headers.get(name).map(|v| v.as_str().to_owned());
    assert_eq!(header(DEAD_STREAM), Some(stream_name.clone()));
    assert_eq!(header(DEAD_SEQUENCE), Some("1".to_string()));
    assert_eq!(
        header(DEAD_SUBJECT),
        Some(s.bus.subject("payments.received"))
    );

    tokio::time::sleep(ACK_WAIT + Duration::from_millis(200)).await;
    assert_eq!(
        s.drain().await,
        0,
        "the poison message is not delivered again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_payment_is_terminated_at_once() {
    let mut s = setup().await;
    let mut terminated = s
        .bus
        .client()
        .subscribe(format!(
            "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{}.{}",
            s.bus.name("PAYMENTS"),
            s.bus.name("billing")
        ))
        .await
        .unwrap();
    s.bus.client().flush().await.unwrap();
    s.publish(b"{\"event_id\": 42".to_vec()).await;
    s.publish_payment(&payment("p-1", "alice", 500)).await;
    assert_eq!(s.drain().await, 1);
    tokio::time::sleep(ACK_WAIT + Duration::from_millis(200)).await;
    assert_eq!(
        s.drain().await,
        0,
        "a payload that does not parse will not parse on the next delivery: terminate it"
    );
    let info = s.consumer_info().await;
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0));
    assert!(
        tokio::time::timeout(Duration::from_secs(2), terminated.next())
            .await
            .is_ok(),
        "the server announces a terminated message (MSG_TERMINATED advisory): asked for again \
         instead, it is delivered max_deliver times for nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_copies_applied_at_every_interleaving_are_applied_once() {
    let s = setup().await;
    let proxy = db::cut_proxy(&s.pool).await;
    // Copy A runs on a connection through the proxy, which holds its n-th request back; copy
    // B runs in full meanwhile; then A goes on.
    for n in 1.. {
        let p = payment(&format!("p-{n}"), "alice", 1);
        let via = db::pool_via(&proxy, &s.pool).await;
        proxy.hold_after_round_trips(n);
        let a = {
            let p = p.clone();
            tokio::spawn(async move { apply(&via, &p).await })
        };
        let held = proxy.held_within(Duration::from_secs(2)).await;
        let b = {
            let (pool, p) = (s.pool.clone(), p.clone());
            tokio::spawn(async move { apply(&pool, &p).await })
        };
        // B either finishes, or waits for what A holds in the database.
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.release();
        let a = within(Duration::from_secs(10), "copy A", a).await.unwrap();
        let b = within(Duration::from_secs(10), "copy B", b).await.unwrap();
        let applied = s.times_applied(&p.event_id).await;
        assert_eq!(
            applied, 1,
            "copy A was held after {n} round trips while copy B of the same payment ran: \
             applied {applied} times (A: {a:?}, B: {b:?}). A check made before the write lets \
             both copies through; the write itself must be what refuses the second"
        );
        if !held {
            break;
        }
        assert!(n < 30, "apply never finished");
    }
}
