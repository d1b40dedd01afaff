use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::{HeaderMap, Method as AxumMethod, StatusCode};
use axum::response::{IntoResponse, Response};
use backlings_support_http::server::serve;
use calling_well::*;
use reqwest::Method;
use reqwest::header::{HeaderValue, RETRY_AFTER};
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// What the scripted service answers to one request.
#[derive(Clone)]
enum Answer {
    Status(u16),
    /// A status with `Retry-After: <value>`.
    RetryAfter(u16, String),
    /// Never answers (within a minute).
    Hang,
}

/// One request the service received.
#[derive(Clone, Debug)]
struct Seen {
    at: Instant,
    method: AxumMethod,
    headers: HeaderMap,
}

/// A service on 127.0.0.1:0 that answers the scripted answers in order, then 200 `done`.
async fn service(script: Vec<Answer>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let answers = Arc::new(Mutex::new(VecDeque::from(script)));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let app = Router::new().fallback(move |method: AxumMethod, headers: HeaderMap| {
        let answers = Arc::clone(&answers);
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().push(Seen {
                at: Instant::now(),
                method,
                headers,
            });
            let next = answers.lock().unwrap().pop_front();
            let response: Response = match next {
                None => "done".into_response(),
                Some(Answer::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
                Some(Answer::RetryAfter(code, value)) => {
                    (StatusCode::from_u16(code).unwrap(), [(RETRY_AFTER, value)]).into_response()
                }
                Some(Answer::Hang) => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "too late".into_response()
                }
            };
            response
        }
    });
    (serve(app).await, seen)
}

const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 6,
    base: Duration::from_millis(1),
    cap: Duration::from_millis(20),
};

fn get(path: &str) -> Call {
    Call {
        method: Method::GET,
        path: path.into(),
        body: None,
        idempotency_key: None,
    }
}

fn post(key: Option<&str>) -> Call {
    Call {
        method: Method::POST,
        path: "/payments".into(),
        body: Some(serde_json::json!({ "cents": 500 })),
        idempotency_key: key.map(str::to_owned),
    }
}

fn attempts(seen: &Mutex<Vec<Seen>>) -> usize {
    seen.lock().unwrap().len()
}

#[tokio::test]
async fn passing_failures_are_retried_until_an_answer() {
    let script = vec![
        Answer::Status(503),
        Answer::Status(502),
        Answer::Status(504),
        Answer::Status(429),
    ];
    let (url, seen) = service(script).await;
    let result = Client::new(&url, FAST)
        .send(&get("/prices/1"), Duration::from_secs(5))
        .await;
    assert_eq!(
        result,
        Ok("done".to_string()),
        "503, 502, 504 and 429 say \"not now\": each is worth another attempt"
    );
    assert_eq!(attempts(&seen), 5);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let (url, seen) = service(vec![Answer::Status(503); 10]).await;
    let policy = RetryPolicy {
        max_attempts: 3,
        ..FAST
    };
    let result = Client::new(&url, policy)
        .send(&get("/prices/1"), Duration::from_secs(5))
        .await;
    assert_eq!(
        result,
        Err(CallError::Status(503)),
        "the last answer, as an error"
    );
    assert_eq!(
        attempts(&seen),
        3,
        "max_attempts counts every attempt, the first one included: a service that is down \
         gets a bounded amount of extra traffic from each caller"
    );
}

#[tokio::test]
async fn answers_another_attempt_cannot_change_are_not_retried() {
    for code in [400, 401, 403, 404, 409, 422] {
        let (url, seen) = service(vec![Answer::Status(code)]).await;
        let result = Client::new(&url, FAST)
            .send(&get("/prices/1"), Duration::from_secs(5))
            .await;
        assert_eq!(result, Err(CallError::Status(code)));
        assert_eq!(
            attempts(&seen),
            1,
            "{code} will be {code} again: retrying it only adds load"
        );
    }
}

#[tokio::test]
async fn a_post_without_an_idempotency_key_is_sent_once() {
    let (url, seen) = service(vec![Answer::Status(503)]).await;
    let result = Client::new(&url, FAST)
        .send(&post(None), Duration::from_secs(5))
        .await;
    assert_eq!(result, Err(CallError::Status(503)));
    assert_eq!(
        attempts(&seen),
        1,
        "a POST that failed may still have charged the card (a proxy's 503 says nothing about \
         what the service behind it did): sent again, it can charge twice"
    );
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried_with_the_same_key() {
    let (url, seen) = service(vec![Answer::Status(503), Answer::Status(503)]).await;
    let result = Client::new(&url, FAST)
        .send(&post(Some("pay-7f3a")), Duration::from_secs(5))
        .await;
    assert_eq!(result, Ok("done".to_string()));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "a keyed POST is safe to retry");
    for request in &seen {
        assert_eq!(request.method, AxumMethod::POST);
        assert_eq!(
            request.headers.get(IDEMPOTENCY_KEY),
            Some(&HeaderValue::from_static("pay-7f3a")),
            "every attempt carries the same key: that is how the service tells a retry from a \
             second payment"
        );
    }
}

/// A server that reads the start of each request and closes the connection without an answer:
/// the request reached it, and nobody knows what it did.
async fn hangs_up() -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(Mutex::new(0));
    let count = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            *count.lock().unwrap() += 1;
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    (format!("http://{addr}"), connections)
}

#[tokio::test]
async fn a_broken_connection_is_retried_only_when_repeating_is_safe() {
    let policy = RetryPolicy {
        max_attempts: 3,
        ..FAST
    };
    let (url, connections) = hangs_up().await;
    let result = Client::new(&url, policy)
        .send(&get("/prices/1"), Duration::from_secs(5))
        .await;
    assert!(
        matches!(result, Err(CallError::Unreachable(_))),
        "{result:?}"
    );
    assert_eq!(*connections.lock().unwrap(), 3, "a GET may be repeated");

    let (url, connections) = hangs_up().await;
    let result = Client::new(&url, policy)
        .send(&post(None), Duration::from_secs(5))
        .await;
    assert!(
        matches!(result, Err(CallError::Unreachable(_))),
        "{result:?}"
    );
    assert_eq!(
        *connections.lock().unwrap(),
        1,
        "the connection broke after the POST was sent: the service may have done it"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    // A port nothing listens on yet; the service starts there a little later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let seen = Arc::new(Mutex::new(0));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let app = Router::new().fallback(move || {
            *log.lock().unwrap() += 1;
            async { (StatusCode::CREATED, "created") }
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, app).await
    });
    let policy = RetryPolicy {
        max_attempts: 30,
        base: Duration::from_millis(50),
        cap: Duration::from_millis(100),
    };
    let result = Client::new(&format!("http://127.0.0.1:{port}"), policy)
        .send(&post(None), Duration::from_secs(10))
        .await;
    assert_eq!(
        result,
        Ok("created".to_string()),
        "a refused connection carried nothing: any request can try again (the service was \
         restarting)"
    );
    assert_eq!(*seen.lock().unwrap(), 1);
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    let script = vec![Answer::RetryAfter(503, "1".into())];
    let (url, seen) = service(script).await;
    let result = Client::new(&url, FAST)
        .send(&get("/prices/1"), Duration::from_secs(10))
        .await;
    assert_eq!(result, Ok("done".to_string()));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_millis(990),
        "the service asked for 1 s (Retry-After: 1) and was called again after {gap:?}: a \
         service that sheds load says when to come back, and callers that come back sooner are \
         the load it is shedding"
    );
}

#[test]
fn retry_after_reads_both_forms_of_the_rfc() {
    let headers = |value: &'static str| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static(value));
        h
    };
    let date = httpdate::parse_http_date("Fri, 31 Dec 1999 23:59:59 GMT").unwrap();
    let now = date - Duration::from_secs(90);
    assert_eq!(
        retry_after(&headers("120"), now),
        Some(Duration::from_secs(120)),
        "`Retry-After: 120` (RFC 9110 section 10.2.3)"
    );
    assert_eq!(
        retry_after(&headers("Fri, 31 Dec 1999 23:59:59 GMT"), now),
        Some(Duration::from_secs(90)),
        "`Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`, 90 s before that date: wait 90 s"
    );
    assert_eq!(
        retry_after(
            &headers("Fri, 31 Dec 1999 23:59:59 GMT"),
            date + Duration::from_secs(5)
        ),
        Some(Duration::ZERO),
        "a date already past asks for no wait"
    );
    assert_eq!(retry_after(&headers("soon"), SystemTime::now()), None);
    assert_eq!(
        retry_after(&reqwest::header::HeaderMap::new(), SystemTime::now()),
        None
    );
}

#[tokio::test]
async fn a_wait_that_ends_past_the_deadline_is_not_begun() {
    let script = vec![Answer::RetryAfter(503, "30".into())];
    let (url, seen) = service(script).await;
    let started = Instant::now();
    let result = Client::new(&url, FAST)
        .send(&get("/prices/1"), Duration::from_secs(2))
        .await;
    let took = started.elapsed();
    assert_eq!(result, Err(CallError::Status(503)));
    assert_eq!(attempts(&seen), 1);
    assert!(
        took < Duration::from_millis(1500),
        "the service asked for 30 s and the caller had 2: the call took {took:?}. Waiting out \
         the deadline only to give up keeps the caller's caller waiting for nothing; fail at \
         once"
    );
}

#[tokio::test]
async fn a_hung_service_is_cut_at_the_deadline() {
    let (url, _) = service(vec![Answer::Hang]).await;
    let started = Instant::now();
    let (client, request) = (Client::new(&url, FAST), get("/prices/1"));
    let call = client.send(&request, Duration::from_millis(300));
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "a budget of 300 ms, and the call was still waiting after 5 s for a service \
                 that never answers: give each attempt what is left of the budget as its timeout"
            )
        });
    let took = started.elapsed();
    assert_eq!(result, Err(CallError::DeadlineExceeded));
    assert!(
        took < Duration::from_millis(1500),
        "a budget of 300 ms, and the call returned after {took:?}: the deadline bounds the \
         whole call, every attempt included"
    );
}

#[tokio::test]
async fn the_deadline_travels_with_each_attempt_and_shrinks() {
    let script = vec![Answer::RetryAfter(503, "1".into())];
    let (url, seen) = service(script).await;
    let result = Client::new(&url, FAST)
        .send(&get("/prices/1"), Duration::from_secs(5))
        .await;
    assert_eq!(result, Ok("done".to_string()));
    let budgets: Vec<u64> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| {
            s.headers
                .get(DEADLINE_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("every attempt carries {DEADLINE_HEADER}"))
        })
        .collect();
    assert!(
        (4500..=5000).contains(&budgets[0]),
        "the first attempt has (almost) all of the 5 s: {DEADLINE_HEADER}: {}",
        budgets[0]
    );
    assert!(
        (3000..=4010).contains(&budgets[1]),
        "the second attempt, a second later, has what is left, not the whole budget again: \
         {DEADLINE_HEADER}: {}. A service told it has 5 s keeps working for a caller that \
         has given up",
        budgets[1]
    );
}

#[test]
fn backoff_is_full_jitter_exponential_and_capped() {
    let policy = RetryPolicy {
        max_attempts: 10,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(10),
    };
    let ms = |retry, unit| backoff(&policy, retry, unit).as_millis();
    assert_eq!(
        ms(0, 0.0),
        0,
        "full jitter starts at zero: any floor above it synchronises callers again"
    );
    assert_eq!(ms(0, 0.5), 50, "the first retry waits up to `base`");
    assert_eq!(ms(1, 0.5), 100, "then up to twice that");
    assert_eq!(
        ms(3, 0.5),
        400,
        "and doubles each time: up to base * 2^retry"
    );
    assert_eq!(ms(3, 0.25), 200, "uniform between zero and the ceiling");
    assert_eq!(ms(10, 0.5), 5000, "never above the cap (10 s)");
    assert_eq!(ms(40, 0.5), 5000, "2^40 overflows a u32: still the cap");
    assert_eq!(ms(u32::MAX, 1.0), 10_000);
}
