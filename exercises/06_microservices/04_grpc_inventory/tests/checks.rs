use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use grpc_inventory::pb::inventory_client::InventoryClient;
use grpc_inventory::pb::{GetItemRequest, Item, ListItemsRequest, ReserveRequest};
use grpc_inventory::*;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Code;
use tonic::transport::{Channel, Server};

fn item(sku: &str, stock: i32) -> Item {
    Item {
        sku: sku.into(),
        name: format!("the {sku}"),
        stock,
    }
}

/// The service on 127.0.0.1:0 over real HTTP/2, and a client connected to it.
async fn serve(items: Vec<Item>, read_delay: Duration) -> (InventoryClient<Channel>, Arc<Meters>) {
    let (service, meters) = InventoryService::new(items, read_delay);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(service.into_server())
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let client = InventoryClient::connect(format!("http://{addr}"))
        .await
        .expect("connected");
    (client, meters)
}

fn stock() -> Vec<Item> {
    vec![
        item("tea-green", 5),
        item("coffee", 0),
        item("tea-black", 20),
    ]
}

#[tokio::test]
async fn get_item_answers_with_the_item_or_the_right_code() {
    let (mut client, _) = serve(stock(), Duration::ZERO).await;
    let found = client
        .get_item(GetItemRequest {
            sku: "tea-black".into(),
        })
        .await
        .expect("tea-black exists")
        .into_inner();
    assert_eq!(found, item("tea-black", 20));
    let missing = client
        .get_item(GetItemRequest { sku: "milk".into() })
        .await
        .expect_err("milk does not exist");
    assert_eq!(
        missing.code(),
        Code::NotFound,
        "an unknown SKU is NOT_FOUND: a client (and its retry policy, and a gateway mapping to \
         HTTP 404) acts on the code, not on the message"
    );
    assert!(
        missing.message().contains("milk"),
        "the message says which: {missing:?}"
    );
    let empty = client
        .get_item(GetItemRequest { sku: String::new() })
        .await
        .expect_err("an empty sku");
    assert_eq!(
        empty.code(),
        Code::InvalidArgument,
        "an empty SKU is the caller's mistake (INVALID_ARGUMENT), not a missing item"
    );
}

#[tokio::test]
async fn reserve_takes_stock_and_refuses_with_codes_that_say_why() {
    let (mut client, _) = serve(stock(), Duration::ZERO).await;
    let reserve = |sku: &str, qty: i32| ReserveRequest {
        sku: sku.into(),
        qty,
    };
    let reply = client
        .reserve(reserve("tea-green", 2))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.remaining, 3);
    let cases = [
        (
            reserve("tea-green", 0),
            Code::InvalidArgument,
            "a quantity of 0",
        ),
        (
            reserve("tea-green", -3),
            Code::InvalidArgument,
            "a negative quantity",
        ),
        (reserve("milk", 1), Code::NotFound, "an unknown SKU"),
        (
            reserve("tea-green", 4),
            Code::FailedPrecondition,
            "more than the 3 in stock: the request is valid, the state does not allow it",
        ),
        (
            reserve("coffee", 1),
            Code::FailedPrecondition,
            "none in stock",
        ),
    ];
    for (request, code, why) in cases {
        let status = client.reserve(request).await.expect_err(why);
        assert_eq!(status.code(), code, "{why}: {code:?}, got {status:?}");
    }
    let all = client.reserve(reserve("tea-green", 3)).await;
    assert_eq!(
        all.map(|r| r.into_inner().remaining).ok(),
        Some(0),
        "the last 3 can be reserved: a refused reservation took nothing, and `stock == qty` is \
         enough"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_oversell() {
    let (client, _) = serve(stock(), Duration::ZERO).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                client
                    .reserve(ReserveRequest {
                        sku: "tea-black".into(),
                        qty: 1,
                    })
                    .await
                    .map(|r| r.into_inner().remaining)
            })
        })
        .collect();
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => granted += 1,
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition),
        }
    }
    assert_eq!(
        granted, 20,
        "50 reservations of 1 against a stock of 20: exactly 20 granted"
    );
}

#[tokio::test]
async fn list_items_streams_the_matching_items_in_sku_order() {
    let items = vec![
        item("tea-oolong", 1),
        item("coffee", 2),
        item("tea-black", 3),
        item("tea-green", 4),
        item("teapot", 5),
        item("iced-tea-mix", 6),
    ];
    let (mut client, _) = serve(items, Duration::ZERO).await;
    let list = |prefix: &str| ListItemsRequest {
        prefix: prefix.into(),
    };
    let mut stream = client.list_items(list("tea-")).await.unwrap().into_inner();
    let mut skus = Vec::new();
    while let Some(item) = stream.next().await {
        skus.push(item.expect("an item").sku);
    }
    assert_eq!(
        skus,
        vec!["tea-black", "tea-green", "tea-oolong"],
        "every item whose SKU starts with `tea-`, one message each, in SKU order"
    );
    let mut everything = client.list_items(list("")).await.unwrap().into_inner();
    let mut count = 0;
    while let Some(item) = everything.next().await {
        item.unwrap();
        count += 1;
    }
    assert_eq!(count, 6, "an empty prefix matches everything");
    let mut nothing = client.list_items(list("milk")).await.unwrap().into_inner();
    assert!(
        nothing.next().await.is_none(),
        "no match: an empty stream, not an error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_the_stream_s_work() {
    let items: Vec<Item> = (0..200).map(|i| item(&format!("sku-{i:03}"), i)).collect();
    let (mut client, meters) = serve(items, Duration::from_millis(10)).await;
    let mut stream = client
        .list_items(ListItemsRequest {
            prefix: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        stream.next().await.expect("an item").expect("not an error");
    }
    // The client has what it wanted, and drops the call.
    drop(stream);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let produced = meters.items_produced.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = meters.items_produced.load(Ordering::SeqCst);
    assert_eq!(
        later, produced,
        "the client dropped the stream after 3 items, and the server went on reading items \
         ({produced} after 300 ms, {later} after 800 ms): work for nobody, at the cost of \
         the clients still there. Stop when the stream's receiver is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_is_sent_and_ends_the_server_s_work() {
    let (mut client, meters) = serve(stock(), Duration::from_secs(2)).await;
    let started = Instant::now();
    let result = get_item_within(&mut client, "tea-green", Duration::from_millis(200)).await;
    let took = started.elapsed();
    let status = result.expect_err("a 2 s lookup cannot answer within 200 ms");
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "the deadline passed: DEADLINE_EXCEEDED (tonic's server may say CANCELLED), got {status:?}"
    );
    assert!(
        took < Duration::from_secs(1),
        "the call took {took:?} with a deadline of 200 ms"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        meters.lookups_finished.load(Ordering::SeqCst),
        0,
        "the server stopped the lookup when the deadline passed (the deadline travels in the \
         `grpc-timeout` header, and tonic drops the handler's future): no work for an answer \
         nobody waits for"
    );
    let ok = get_item_within(&mut client, "tea-green", Duration::from_secs(5)).await;
    assert_eq!(
        ok.map(|i| i.stock).ok(),
        Some(5),
        "with time enough, the answer"
    );
}
