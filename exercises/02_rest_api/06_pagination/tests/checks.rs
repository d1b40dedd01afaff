use axum::http::StatusCode;
use backlings_support_http::http::get;
use rest_pagination::{
    PageParams, PageRequest, last_page, link_header, page_request, router, seeded,
};

fn params(page: Option<&str>, per_page: Option<&str>) -> PageParams {
    PageParams {
        page: page.map(String::from),
        per_page: per_page.map(String::from),
    }
}

/// The rel → URL pairs of a Link header, in order.
fn links(header: &str) -> Vec<(String, String)> {
    header
        .split(',')
        .map(|part| {
            let (url, rel) = part
                .trim()
                .split_once(';')
                .unwrap_or_else(|| panic!("a link is `<url>; rel=\"…\"`, got {part:?}"));
            let url = url.trim().trim_start_matches('<').trim_end_matches('>');
            let rel = rel.trim().trim_start_matches("rel=").trim_matches('"');
            (rel.to_owned(), url.to_owned())
        })
        .collect()
}

fn rels(header: &str) -> Vec<String> {
    links(header).into_iter().map(|(rel, _)| rel).collect()
}

#[test]
fn parameters_are_defaulted_and_bounded() {
    assert_eq!(
        page_request(&params(None, None)),
        Ok(PageRequest {
            page: 1,
            per_page: 20
        }),
        "no parameters: page 1 of 20"
    );
    assert_eq!(
        page_request(&params(Some("3"), Some("100"))),
        Ok(PageRequest {
            page: 3,
            per_page: 100
        })
    );
    for (page, per_page, names) in [
        (Some("0"), None, "page"),
        (Some("-1"), None, "page"),
        (Some("two"), None, "page"),
        (None, Some("0"), "per_page"),
        (None, Some("101"), "per_page"),
        (None, Some("1000000"), "per_page"),
    ] {
        let err = page_request(&params(page, per_page)).expect_err(&format!(
            "page={page:?} per_page={per_page:?} must be refused"
        ));
        assert!(err.contains(names), "the error names `{names}`: {err:?}");
    }
}

#[test]
fn last_page_rounds_up_and_is_never_zero() {
    assert_eq!(
        last_page(53, 10),
        6,
        "53 items of 10 per page: the 6th page has 3"
    );
    assert_eq!(
        last_page(50, 10),
        5,
        "an exact multiple has no empty extra page"
    );
    assert_eq!(last_page(1, 10), 1);
    assert_eq!(
        last_page(0, 10),
        1,
        "an empty collection still has a first (empty) page"
    );
}

#[test]
fn link_header_in_the_middle_has_all_four() {
    let header = header_for(3, 53);
    assert_eq!(
        links(&header),
        [
            ("first", "/articles?page=1&per_page=10"),
            ("prev", "/articles?page=2&per_page=10"),
            ("next", "/articles?page=4&per_page=10"),
            ("last", "/articles?page=6&per_page=10"),
        ]
        .map(|(r, u)| (r.to_owned(), u.to_owned())),
    );
}

/// The Link header of `page` (10 per page) over `total` articles.
fn header_for(page: u64, total: u64) -> String {
    link_header("/articles", PageRequest { page, per_page: 10 }, total)
}

#[test]
fn link_header_at_the_edges() {
    for (page, total, rels_expected, why) in [
        (1, 53, &["first", "next", "last"][..], "page 1 has no prev"),
        (
            6,
            53,
            &["first", "prev", "last"][..],
            "the last page has no next",
        ),
        (1, 0, &["first", "last"][..], "an empty collection"),
        (
            5,
            50,
            &["first", "prev", "last"][..],
            "page 5 of an exact multiple (50 of 10) is the last: no next to an empty page",
        ),
        (
            9,
            53,
            &["first", "last"][..],
            "past the end there is no next, and no prev to a page that does not exist either",
        ),
    ] {
        let header = header_for(page, total);
        assert_eq!(rels(&header), rels_expected, "{why}: {header}");
    }
}

#[tokio::test]
async fn a_page_has_its_items_the_total_and_links() {
    let app = router(seeded(53));
    let res = get(&app, "/articles?page=2&per_page=10").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    let ids: Vec<u64> = body["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (11..=20).collect::<Vec<_>>(),
        "page 2 of 10 holds ids 11..=20"
    );
    assert_eq!(body["total"], 53);
    assert_eq!(body["page"], 2);
    assert_eq!(body["per_page"], 10);
    assert_eq!(res.header("x-total-count"), Some("53"));
    let link = res.header("link").expect("a Link header");
    assert_eq!(rels(link), ["first", "prev", "next", "last"]);
}

#[tokio::test]
async fn the_last_page_is_short_and_past_it_is_empty() {
    let app = router(seeded(53));
    let last = get(&app, "/articles?page=6&per_page=10").await.json();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    let past = get(&app, "/articles?page=7&per_page=10").await;
    assert_eq!(
        past.status,
        StatusCode::OK,
        "past the end is an empty page, not an error"
    );
    assert_eq!(past.json()["items"], serde_json::json!([]));
    for (page, per_page) in [
        ("18446744073709551615", "100"),
        // (page - 1) × 64 is exactly 2^64: an offset that wraps around lands on 0, page 1.
        ("288230376151711745", "64"),
    ] {
        let uri = format!("/articles?page={page}&per_page={per_page}");
        let huge = get(&app, &uri).await;
        assert_eq!(
            huge.status,
            StatusCode::OK,
            "GET {uri}: a huge page number must not overflow: {}",
            huge.text()
        );
        assert_eq!(
            huge.json()["items"],
            serde_json::json!([]),
            "GET {uri} is far past the end: no items (an offset that overflowed or wrapped shows real ones)"
        );
    }
}

#[tokio::test]
async fn walking_next_links_visits_every_item_once() {
    let app = router(seeded(45));
    let mut url = "/articles?per_page=7".to_owned();
    let mut seen = Vec::new();
    for _ in 0..20 {
        let res = get(&app, &url).await;
        assert_eq!(res.status, StatusCode::OK, "GET {url}: {}", res.text());
        seen.extend(
            res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_u64().unwrap()),
        );
        match links(res.header("link").expect("a Link header"))
            .into_iter()
            .find(|(rel, _)| rel == "next")
        {
            Some((_, next)) => url = next,
            None => break,
        }
    }
    assert_eq!(seen, (1..=45).collect::<Vec<_>>());
}

/// 42 items of 7: the sixth page is full and the last; a `next` link from it leads nowhere.
#[tokio::test]
async fn an_exact_multiple_ends_on_a_full_page() {
    let app = router(seeded(42));
    let res = get(&app, "/articles?page=6&per_page=7").await;
    assert_eq!(res.json()["items"].as_array().unwrap().len(), 7);
    assert_eq!(
        rels(res.header("link").expect("a Link header")),
        ["first", "prev", "last"],
        "the last page of 42 items in pages of 7 is page 6"
    );
    let link = res.header("link").unwrap().to_owned();
    assert!(
        links(&link).contains(&("last".to_owned(), "/articles?page=6&per_page=7".to_owned())),
        "{link}"
    );
}

#[tokio::test]
async fn bad_parameters_are_a_problem_not_a_default() {
    let app = router(seeded(5));
    for uri in [
        "/articles?per_page=500",
        "/articles?page=0",
        "/articles?page=abc",
    ] {
        let res = get(&app, uri).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "GET {uri}");
        assert_eq!(
            res.header("content-type"),
            Some("application/problem+json"),
            "GET {uri}"
        );
        assert!(
            res.json()["detail"].is_string(),
            "GET {uri}: a detail says what is wrong"
        );
    }
}
