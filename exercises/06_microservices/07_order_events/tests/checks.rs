use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer, consumer::pull, stream};
use backlings_support_bus::Bus;
use futures_util::StreamExt;
use order_events::{Order, Transient, process_pending, publish_order};

fn order(id: &str, amount_cents: u64) -> Order {
    Order {
        id: id.to_owned(),
        amount_cents,
    }
}

/// This test's ORDERS stream (subjects `<prefix>.orders.>`) and a durable `billing` consumer
/// with explicit acks. A message not acknowledged within `ack_wait` is delivered again.
async fn orders(bus: &Bus) -> (jetstream::Context, stream::Stream, PullConsumer) {
    let js = bus.jetstream();
    let stream = bus.memory_stream("ORDERS", "orders.>").await;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some(bus.name("billing")),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(1),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot create the consumer: {e}"));
    (js, stream, consumer)
}

async fn stored(stream: &mut stream::Stream) -> u64 {
    stream
        .info()
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot read the stream: {e}"))
        .state
        .messages
}

async fn consumer_state(consumer: &mut PullConsumer) -> jetstream::consumer::Info {
    consumer
        .info()
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot read the consumer: {e}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_an_order_again_stores_it_once() {
    let bus = Bus::new().await;
    let (js, mut stream, consumer) = orders(&bus).await;
    let subject = bus.subject("orders.created");
    let (a, b) = (order("o-1", 1250), order("o-2", 990));
    publish_order(&js, &subject, &a).await.expect("publish o-1");
    // The acknowledgement of the first publish was lost, so the producer sends it again.
    publish_order(&js, &subject, &a)
        .await
        .expect("publish o-1 again");
    publish_order(&js, &subject, &b).await.expect("publish o-2");

    let stored = stored(&mut stream).await;
    assert_eq!(
        stored, 2,
        "o-1 published twice and o-2 once must leave 2 messages in the stream, found {stored}: \
         JetStream drops a message whose id (the Nats-Msg-Id header) it has already stored \
         within the stream's duplicate window, but only if the message has an id"
    );
    let mut seen = Vec::new();
    process_pending(&consumer, |o| {
        seen.push(o.clone());
        Ok(())
    })
    .await
    .expect("process the stream");
    assert_eq!(
        seen,
        [a, b],
        "the stream holds the orders as JSON, in the order they were published"
    );
}

/// The subject is a typo away from the stream's: no stream stores it, and the producer must
/// hear so, not assume the event is safe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_no_stream_stored_is_an_error() {
    let bus = Bus::new().await;
    let (js, mut stream, _consumer) = orders(&bus).await;
    let stray = bus.subject("order.created");
    let result = publish_order(&js, &stray, &order("o-1", 1250)).await;
    assert!(
        result.is_err(),
        "publishing on `{stray}`, which no stream captures, returned Ok: the event is gone and \
         the producer believes it is stored. A JetStream publish is confirmed by an \
         acknowledgement from the stream; wait for it"
    );
    let stored = stored(&mut stream).await;
    assert_eq!(stored, 0, "nothing reached the ORDERS stream");
}

/// Applying fails on o-2's first delivery. Every order must be applied exactly once in the end,
/// and nothing may be left waiting for an acknowledgement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_apply_failed_comes_again_and_none_is_lost() {
    let bus = Bus::new().await;
    let (js, _stream, mut consumer) = orders(&bus).await;
    let subject = bus.subject("orders.created");
    for (id, cents) in [("o-1", 100), ("o-2", 200), ("o-3", 300)] {
        publish_order(&js, &subject, &order(id, cents))
            .await
            .expect("publish");
    }
    let mut attempts: BTreeMap<String, u32> = BTreeMap::new();
    let mut applied: Vec<String> = Vec::new();
    let mut reported = 0;
    // A few rounds, as a worker would poll: a nak'd message is delivered again at once, one that
    // nobody acknowledged only after ack_wait (1 s).
    for _ in 0..6 {
        reported += process_pending(&consumer, |o| {
            let n = attempts.entry(o.id.clone()).or_default();
            *n += 1;
            if o.id == "o-2" && *n == 1 {
                return Err(Transient);
            }
            applied.push(o.id.clone());
            Ok(())
        })
        .await
        .expect("process");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    applied.sort();
    assert!(
        applied.contains(&"o-2".to_owned()),
        "o-2 failed once and was never applied: a failed order must not be acknowledged (or \
         terminated), so that the server delivers it again. Applied: {applied:?}"
    );
    assert_eq!(
        applied,
        ["o-1", "o-2", "o-3"],
        "each order applied exactly once: an order applied but not acknowledged is delivered \
         (and applied) again after ack_wait"
    );
    assert_eq!(
        reported, 3,
        "process_pending returns how many orders it applied"
    );
    let state = consumer_state(&mut consumer).await;
    assert_eq!(
        (state.num_ack_pending, state.num_pending),
        (0, 0),
        "when every order is applied, the consumer holds nothing: no message delivered and \
         still unacknowledged, none left to deliver"
    );
}

/// A message that is not an order will not become one: it must be neither retried forever nor
/// passed off as processed. Terminated, the server announces it (an advisory operators watch,
/// or a dead-letter stream collects).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_is_no_order_is_terminated_not_retried_or_acked() {
    let bus = Bus::new().await;
    let (js, _stream, mut consumer) = orders(&bus).await;
    let advisory = format!(
        "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{}.{}",
        bus.name("ORDERS"),
        bus.name("billing")
    );
    let mut terminated = bus
        .client()
        .subscribe(advisory)
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot subscribe: {e}"));
    let subject = bus.subject("orders.created");
    js.publish(subject.clone(), "{\"id\": \"o-9\", \"amount".into())
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot publish: {e}"))
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] not stored: {e}"));
    publish_order(&js, &subject, &order("o-1", 100))
        .await
        .expect("publish");

    let mut seen = Vec::new();
    for _ in 0..2 {
        process_pending(&consumer, |o| {
            seen.push(o.id.clone());
            Ok(())
        })
        .await
        .expect("a message that is not an order is not an error of process_pending");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen, ["o-1"], "only the order reaches apply, once");
    let state = consumer_state(&mut consumer).await;
    assert_eq!(
        (state.num_redelivered, state.num_ack_pending),
        (0, 0),
        "the broken message came again (or waits to): a message that cannot be parsed today \
         cannot be parsed tomorrow, so asking for it again (nak) or leaving it unacknowledged \
         retries it forever"
    );
    let announced = tokio::time::timeout(Duration::from_secs(2), terminated.next()).await;
    assert!(
        announced.is_ok(),
        "no MSG_TERMINATED advisory for the broken message: acknowledging it reports it as \
         processed and nobody ever hears of it; there is an acknowledgement kind for \
         \"never deliver this again\""
    );
}
