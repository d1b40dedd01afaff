//! End to end: the real server on 127.0.0.1, a real HTTP client, a real database.

use backlings_support_db::db;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Serves the app on a free port of 127.0.0.1 (port 0: the OS picks) and returns its base URL.
async fn serve() -> String {
    let pool = db::isolated_pool().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, rest_capstone::app(pool))
            .await
            .expect("the server runs")
    });
    format!("http://{addr}")
}

/// A client that goes straight to 127.0.0.1, whatever HTTP_PROXY the machine sets.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

async fn create(client: &reqwest::Client, base: &str, url: &str, title: &str) -> reqwest::Response {
    client
        .post(format!("{base}/bookmarks"))
        .json(&json!({"url": url, "title": title}))
        .send()
        .await
        .expect("the server answers")
}

async fn body(res: reqwest::Response) -> Value {
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

#[tokio::test]
async fn create_read_delete_over_http() {
    let base = serve().await;
    let client = client();
    let res = create(&client, &base, "https://www.rust-lang.org/", "  Rust  ").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a 201 says where the new bookmark is")
        .to_owned();
    let created = body(res).await;
    assert_eq!(created["title"], "Rust", "titles are stored trimmed");
    assert_eq!(location, format!("/bookmarks/{}", created["id"]));

    let res = client
        .get(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await, created, "GET returns what POST created");

    let res = client
        .delete(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = client
        .get(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let res = client
        .delete(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "deleting twice is a 404"
    );
}

#[tokio::test]
async fn invalid_bookmarks_are_422_with_every_field_named() {
    let base = serve().await;
    let client = client();
    let res = create(&client, &base, "javascript:alert(1)", "   ").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = body(res).await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort();
    assert_eq!(fields, ["title", "url"], "both problems at once: {problem}");
    for url in [
        "ftp://example.com/",
        "https://",
        "example.com",
        "http:///path",
    ] {
        let res = create(&client, &base, url, "ok").await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url {url:?}"
        );
    }
    let res = create(
        &client,
        &base,
        "http://localhost:8080/a?b#c",
        &"x".repeat(200),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "a 200-character title and a port are fine"
    );
    let res = create(&client, &base, "https://example.com/", &"x".repeat(201)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "201 characters is too long"
    );
}

#[tokio::test]
async fn the_same_url_twice_is_a_conflict() {
    let base = serve().await;
    let client = client();
    let url = "https://docs.rs/axum";
    assert_eq!(
        create(&client, &base, url, "axum").await.status(),
        StatusCode::CREATED
    );
    let res = create(&client, &base, url, "axum again").await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a unique violation is the client's conflict, not a 500"
    );
    assert_eq!(body(res).await["status"], 409);
}

/// Ten requests for one URL at once, twenty times. A `SELECT` before the `INSERT` lets several of
/// them see "no such URL" and insert; only the UNIQUE constraint decides between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_duplicates_create_one_bookmark() {
    let base = serve().await;
    let client = client();
    for round in 0..20 {
        let url = format!("https://crates.io/crates/race-{round}");
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(10));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (client, base, url, start) =
                    (client.clone(), base.clone(), url.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    create(&client, &base, &url, "race").await.status()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses.sort();
        let mut expected = vec![StatusCode::CONFLICT; 9];
        expected.insert(0, StatusCode::CREATED);
        assert_eq!(
            statuses, expected,
            "ten simultaneous POSTs of {url}: one 201 and nine 409s (let the UNIQUE constraint decide, map 23505)"
        );
    }
}

/// Creates `n` bookmarks titled `{title} 0`, `{title} 1`…, oldest first.
async fn create_many(client: &reqwest::Client, base: &str, n: usize, title: &str) {
    for i in 0..n {
        let url = format!("https://example.com/{title}/{i}");
        let res = create(client, base, &url, &format!("{title} {i}")).await;
        assert_eq!(res.status(), StatusCode::CREATED, "POST {url}");
    }
}

/// Walks the `next` links from `first` and returns every title, and the number of pages.
async fn walk(client: &reqwest::Client, base: &str, first: &str) -> (Vec<String>, usize) {
    let mut next = Some(first.to_owned());
    let mut titles = Vec::new();
    let mut pages = 0;
    while let Some(path) = next {
        pages += 1;
        assert!(pages <= 10, "the next links never end");
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        let page = body(res).await;
        let items = page["items"].as_array().expect("items is an array");
        assert!(
            !items.is_empty(),
            "GET {path} is an empty page: a `next` link must only be given when more items follow"
        );
        titles.extend(
            items
                .iter()
                .map(|b| b["title"].as_str().unwrap().to_owned()),
        );
        next = page["next"].as_str().map(str::to_owned);
    }
    (titles, pages)
}

/// 20 bookmarks in pages of 5: the fourth page is full *and* the last, so "a full page means
/// there is more" is wrong here.
#[tokio::test]
async fn an_exact_multiple_of_the_page_size_ends_without_an_empty_page() {
    let base = serve().await;
    let client = client();
    create_many(&client, &base, 20, "p").await;
    let (titles, pages) = walk(&client, &base, "/bookmarks?limit=5").await;
    let expected: Vec<String> = (0..20).rev().map(|i| format!("p {i}")).collect();
    assert_eq!(titles, expected, "newest first, each bookmark once");
    assert_eq!(pages, 4, "20 bookmarks in pages of 5 are 4 pages");
}

#[tokio::test]
async fn listing_follows_next_links_through_every_bookmark() {
    let base = serve().await;
    let client = client();
    create_many(&client, &base, 23, "page").await;
    let (titles, pages) = walk(&client, &base, "/bookmarks?limit=5").await;
    let expected: Vec<String> = (0..23).rev().map(|i| format!("page {i}")).collect();
    assert_eq!(titles, expected, "newest first, each bookmark once");
    assert_eq!(pages, 5);
    let res = client
        .get(format!("{base}/bookmarks?limit=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
