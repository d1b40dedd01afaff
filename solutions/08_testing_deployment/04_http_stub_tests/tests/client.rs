//! Reference tests: a wiremock server per test, matching the request the client must send
//! (method, path, token, content type, body) and answering as the service would. `expect(n)`
//! says how many such requests must arrive: the server checks it when it is dropped, so a
//! retry too many or too few fails the test.

use std::time::Duration;

use http_stub_tests::{ApiError, Client, Invoice, MAX_ATTEMPTS, NewInvoice};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "s3cret";

fn invoice() -> Invoice {
    Invoice {
        id: 7,
        customer: "acme".into(),
        amount_cents: 12_000,
    }
}

fn new_invoice() -> NewInvoice {
    NewInvoice {
        customer: "acme".into(),
        amount_cents: 12_000,
    }
}

#[tokio::test]
async fn a_get_sends_the_token_and_reads_the_invoice() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/invoices/7"))
        .and(header("authorization", "Bearer s3cret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice()))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert_eq!(client.get_invoice(7).await.unwrap(), invoice());
}

#[tokio::test]
async fn a_post_sends_the_token_and_the_invoice_as_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/invoices"))
        .and(header("authorization", "Bearer s3cret"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"customer": "acme", "amount_cents": 12_000}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(invoice()))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert_eq!(
        client.create_invoice(&new_invoice()).await.unwrap(),
        invoice()
    );
}

#[tokio::test]
async fn a_get_is_tried_again_after_a_server_error_until_it_succeeds() {
    let server = MockServer::start().await;
    // Mocks are tried in the order they were mounted; this one is used up after two answers.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(MAX_ATTEMPTS as u64 - 1)
        .expect(MAX_ATTEMPTS as u64 - 1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice()))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert_eq!(client.get_invoice(7).await.unwrap(), invoice());
}

#[tokio::test]
async fn a_get_gives_up_after_the_last_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(u64::from(MAX_ATTEMPTS))
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert!(matches!(
        client.get_invoice(7).await,
        Err(ApiError::Server(500))
    ));
}

#[tokio::test]
async fn a_missing_invoice_is_not_asked_for_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert!(matches!(
        client.get_invoice(7).await,
        Err(ApiError::NotFound)
    ));
}

#[tokio::test]
async fn a_post_is_never_sent_twice_even_after_a_server_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    assert!(matches!(
        client.create_invoice(&new_invoice()).await,
        Err(ApiError::Server(500))
    ));
}

#[tokio::test]
async fn a_429_says_when_to_come_back_and_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    match client.get_invoice(7).await {
        Err(ApiError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(7))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rejected_invoice_carries_the_services_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"error": "amount must be positive"})),
        )
        .mount(&server)
        .await;
    let client = Client::new(&server.uri(), TOKEN);
    match client.create_invoice(&new_invoice()).await {
        Err(ApiError::Invalid(reason)) => assert_eq!(reason, "amount must be positive"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}
