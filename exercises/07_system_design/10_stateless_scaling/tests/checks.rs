use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support::fault::CutProxy;
use backlings_support_http::server::serve;
use backlings_support_kv::kv;
use reqwest::StatusCode;
use stateless_scaling::{Config, SESSION_COOKIE, app};

/// Two instances of the service, each on its own Redis connection and behind a fault proxy
/// (cutting every connection through it is how a test kills an instance), and a client.
struct Fleet {
    urls: Vec<String>,
    proxies: Vec<CutProxy>,
    prefix: String,
    http: reqwest::Client,
    next: AtomicUsize,
}

fn config(prefix: &str, rate_limit: u32) -> Config {
    Config {
        prefix: prefix.to_owned(),
        session_ttl: Duration::from_secs(1_800),
        rate_limit,
        window: Duration::from_secs(60),
    }
}

async fn fleet(test: &str, rate_limit: u32) -> Fleet {
    // Keys of this test only: tests and runs share the Redis database.
    let prefix = format!("{test}:{}:", std::process::id());
    let (mut urls, mut proxies) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let url = serve(app(kv::connection().await, config(&prefix, rate_limit))).await;
        let proxy = CutProxy::in_front_of(&url).await;
        urls.push(proxy.url_for(&url));
        proxies.push(proxy);
    }
    Fleet {
        urls,
        proxies,
        prefix,
        http: reqwest::Client::new(),
        next: AtomicUsize::new(0),
    }
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

impl Fleet {
    /// Logs `user` in on instance `on`; the session cookie's value.
    async fn login(&self, on: usize, user: &str) -> String {
        let response = self
            .http
            .post(format!("{}/login", self.urls[on]))
            .json(&serde_json::json!({ "user": user }))
            .send()
            .await
            .expect("POST /login");
        assert!(
            response.status().is_success(),
            "POST /login on instance {on}: {}",
            response.status()
        );
        let cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let prefix = format!("{SESSION_COOKIE}=");
        cookies
            .iter()
            .find_map(|c| {
                c.split(';')
                    .next()?
                    .strip_prefix(&prefix)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| panic!("POST /login sets no `{SESSION_COOKIE}` cookie: {cookies:?}"))
    }

    async fn send(
        &self,
        on: usize,
        method: reqwest::Method,
        path: &str,
        sid: Option<&str>,
    ) -> reqwest::Result<Answer> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.urls[on]));
        if let Some(sid) = sid {
            request = request.header("cookie", format!("{SESSION_COOKIE}={sid}"));
        }
        let response = request.send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Answer {
            status,
            retry_after,
            body: response.text().await?,
        })
    }

    async fn me(&self, on: usize, sid: Option<&str>) -> Answer {
        self.send(on, reqwest::Method::GET, "/me", sid)
            .await
            .unwrap_or_else(|e| panic!("GET /me on instance {on}: {e}"))
    }

    async fn logout(&self, on: usize, sid: &str) {
        let a = self
            .send(on, reqwest::Method::POST, "/logout", Some(sid))
            .await
            .expect("POST /logout");
        assert!(a.status.is_success(), "POST /logout: {}", a.status);
    }

    /// The load balancer: round robin, and one retry on the other instance when the
    /// connection fails (GET is safe to repeat).
    async fn balanced_me(&self, sid: &str) -> Result<Answer, String> {
        let first = self.next.fetch_add(1, Ordering::SeqCst) % 2;
        match self
            .send(first, reqwest::Method::GET, "/me", Some(sid))
            .await
        {
            Ok(a) => Ok(a),
            Err(_) => self
                .send(1 - first, reqwest::Method::GET, "/me", Some(sid))
                .await
                .map_err(|e| format!("the retry on instance {} failed too: {e}", 1 - first)),
        }
    }

    /// Kills instance `n`: every connection to it is dropped, and new ones too.
    fn kill(&self, n: usize) {
        self.proxies[n].cut_after_round_trips(0);
        self.proxies[n].cut_now();
    }
}

#[tokio::test]
async fn log_in_on_one_instance_and_carry_on_on_the_other() {
    let f = fleet("carry_on", 1_000).await;
    let alice = f.login(0, "alice").await;
    let bob = f.login(1, "bob").await;
    assert_ne!(
        alice, bob,
        "alice (on instance 0) and bob (on instance 1) got the same session id: ids must be unique across instances, not per process"
    );
    for sid in [&alice, &bob] {
        assert!(
            sid.len() >= 22,
            "a session id of {} characters ({sid:?}): 128 random bits or more",
            sid.len()
        );
    }
    for on in [0, 1] {
        let a = f.me(on, Some(&alice)).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::OK, "alice"),
            "alice logged in on instance 0 and asks instance {on}: any instance must know her session (keep it in Redis, not in the process)"
        );
        let b = f.me(on, Some(&bob)).await;
        assert_eq!(
            (b.status, b.body.as_str()),
            (StatusCode::OK, "bob"),
            "bob on instance {on}"
        );
    }
    assert_eq!(
        f.me(0, None).await.status,
        StatusCode::UNAUTHORIZED,
        "no cookie"
    );
    assert_eq!(
        f.me(1, Some("0123456789abcdef0123456789abcdef"))
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "a session id nobody was given"
    );
}

#[tokio::test]
async fn logging_out_on_one_instance_logs_out_on_all() {
    let f = fleet("logout", 1_000).await;
    let sid = f.login(0, "carol").await;
    for on in [0, 1, 0, 1] {
        assert_eq!(f.me(on, Some(&sid)).await.status, StatusCode::OK);
    }
    f.logout(1, &sid).await;
    for on in [0, 1] {
        assert_eq!(
            f.me(on, Some(&sid)).await.status,
            StatusCode::UNAUTHORIZED,
            "carol logged out on instance 1; instance {on} still lets her in: a copy of the session kept by an instance outlives the logout"
        );
    }
}

#[tokio::test]
async fn nothing_the_service_stores_lives_forever() {
    let f = fleet("expiry", 1_000).await;
    let sid = f.login(0, "dave").await;
    for on in [0, 1] {
        assert_eq!(f.me(on, Some(&sid)).await.status, StatusCode::OK);
    }
    let mut redis = kv::connection().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", f.prefix))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        keys.len() >= 2,
        "after a login and two requests, Redis holds {keys:?} under the service's prefix: the session and the rate-limit counter belong there"
    );
    for key in keys {
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .unwrap();
        assert!(
            (1..=1_800).contains(&ttl),
            "{key} has a TTL of {ttl} s: sessions expire after session_ttl (1 800 s), counters with their window (60 s); a key without expiry (-1) is kept forever"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_is_shared_by_every_instance() {
    let f = Arc::new(fleet("rate_limit", 10).await);
    let erin = f.login(0, "erin").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(40));
    let requests: Vec<_> = (0..40)
        .map(|i| {
            let (f, sid, barrier) = (Arc::clone(&f), erin.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                f.me(i % 2, Some(&sid)).await
            })
        })
        .collect();
    let mut admitted = 0;
    for r in requests {
        let a = r.await.unwrap();
        match a.status {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => assert_eq!(
                a.retry_after.as_deref(),
                Some("60"),
                "a refused request says when to come back (the window)"
            ),
            other => panic!("GET /me: {other} {}", a.body),
        }
    }
    assert_eq!(
        admitted, 10,
        "erin sent 40 requests at once, half to each instance, with a limit of 10 per window for the whole service: {admitted} were admitted. Count in Redis, atomically (a count per instance admits 10 per instance; reading then writing the count admits several requests on one count)"
    );
    let frank = f.login(1, "frank").await;
    assert_eq!(
        f.me(0, Some(&frank)).await.status,
        StatusCode::OK,
        "the limit is per user: erin's requests do not use up frank's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_traffic_costs_the_client_a_retry_and_nothing_else() {
    let f = Arc::new(fleet("kill", 100_000).await);
    let sid = f.login(0, "grace").await;
    let done = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (f, sid, done) = (Arc::clone(&f), sid.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                for _ in 0..40 {
                    let answer = f.balanced_me(&sid).await;
                    let answer = answer.unwrap_or_else(|e| panic!("a request failed: {e}"));
                    assert_eq!(
                        (answer.status, answer.body.as_str()),
                        (StatusCode::OK, "grace"),
                        "grace logged in on instance 0; the balancer sends her requests to both instances, and once instance 0 dies, retries them on instance 1: every instance must know her session"
                    );
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    backlings_support::until(Duration::from_secs(10), "the first 100 requests", || {
        done.load(Ordering::SeqCst) >= 100
    })
    .await;
    f.kill(0);
    for c in clients {
        backlings_support::within(Duration::from_secs(30), "the clients", c)
            .await
            .unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 320);
}
