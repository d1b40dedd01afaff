use axum::http::StatusCode;
use backlings_support_http::http::get;
use rest_cursor::{Cursor, Event, Feed, decode_cursor, encode_cursor, page, router};

/// Reads one page over HTTP: the ids and the next cursor.
async fn fetch(app: &axum::Router, uri: &str) -> (Vec<u64>, Option<String>) {
    let res = get(app, uri).await;
    assert_eq!(res.status, StatusCode::OK, "GET {uri}: {}", res.text());
    let body = res.json();
    let ids = body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {uri}: items is an array: {body}"))
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    let next = match &body["next_cursor"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => panic!("next_cursor is a string or null, got {other}"),
    };
    (ids, next)
}

fn events(keys: &[(i64, u64)]) -> Vec<Event> {
    keys.iter()
        .map(|&(created_at, id)| Event {
            id,
            created_at,
            name: format!("e{id}"),
        })
        .collect()
}

#[test]
fn cursors_round_trip_and_are_opaque_url_safe_text() {
    for c in [
        Cursor {
            created_at: 1_700_000_000,
            id: 42,
        },
        Cursor {
            created_at: -5,
            id: 0,
        },
        Cursor {
            created_at: i64::MAX,
            id: u64::MAX,
        },
    ] {
        let text = encode_cursor(c);
        assert!(
            !text.is_empty()
                && text
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'),
            "a cursor goes in a query string as is: only A-Z a-z 0-9 - _ ({text:?})"
        );
        assert!(
            !text.contains(&c.id.to_string()) || c.id < 10,
            "clients must not read or build cursors: encode them ({text:?} shows the id)"
        );
        assert_eq!(
            decode_cursor(&text),
            Some(c),
            "decode(encode(c)) == c for {c:?}"
        );
    }
    for junk in ["", "!!!", "bm90IGEgY3Vyc29y", "42"] {
        assert_eq!(
            decode_cursor(junk),
            None,
            "{junk:?} is not a cursor we made"
        );
    }
}

#[test]
fn a_page_continues_strictly_after_its_cursor_with_ties_broken_by_id() {
    // Newest first; three events share second 100.
    let feed = events(&[(300, 7), (100, 6), (100, 5), (100, 4), (50, 3)]);
    let (items, next) = page(&feed, None, 2);
    assert_eq!(items.iter().map(|e| e.id).collect::<Vec<_>>(), [7, 6]);
    assert_eq!(
        next,
        Some(Cursor {
            created_at: 100,
            id: 6
        }),
        "the cursor is the last item's key"
    );
    let (items, next) = page(&feed, next, 2);
    assert_eq!(
        items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [5, 4],
        "events 5 and 4 have the same created_at as the cursor: the id decides, none is skipped"
    );
    let (items, next) = page(&feed, next, 2);
    assert_eq!(items.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
    assert_eq!(next, None, "nothing follows the last page");
}

/// Ids need not follow time: an event imported late with its original timestamp has a large
/// id and an old `created_at`. A cursor that compares only ids (or only times) skips or repeats.
#[test]
fn the_cursor_follows_the_sort_key_even_when_ids_disagree_with_time() {
    let mut feed = events(&[(300, 2), (200, 9), (100, 8), (100, 3), (50, 5), (40, 11)]);
    feed.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.id)));
    let mut seen = Vec::new();
    let mut next = None;
    for _ in 0..4 {
        let (items, n) = page(&feed, next, 2);
        seen.extend(items.iter().map(|e| e.id));
        next = n;
        if next.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        [2, 9, 8, 3, 5, 11],
        "pages of 2 through a feed whose ids do not grow with time: the cursor is (created_at, id), \
         and \"after\" compares both"
    );
}

#[test]
fn an_exactly_full_last_page_has_no_next_cursor() {
    let feed = events(&[(3, 3), (2, 2), (1, 1)]);
    let (items, next) = page(&feed, None, 3);
    assert_eq!(items.len(), 3);
    assert_eq!(
        next, None,
        "a next cursor that leads to an empty page wastes a round trip"
    );
}

#[tokio::test]
async fn walking_the_feed_visits_every_event_once() {
    let feed = Feed::default();
    for i in 0..47 {
        feed.insert(1_000 + i / 4, "tick"); // four events per second
    }
    let app = router(feed);
    let (mut seen, mut next) = fetch(&app, "/events?limit=5").await;
    while let Some(cursor) = next {
        let (ids, n) = fetch(&app, &format!("/events?limit=5&cursor={cursor}")).await;
        seen.extend(ids);
        next = n;
        assert!(seen.len() <= 47, "more items than events: some came twice");
    }
    let mut expected: Vec<u64> = (1..=47).collect();
    expected.reverse();
    assert_eq!(seen, expected, "newest first, every event exactly once");
}

#[tokio::test]
async fn new_events_do_not_shift_the_pages_a_client_is_reading() {
    let feed = Feed::default();
    for i in 0..10 {
        feed.insert(1_000 + i, "old");
    }
    let app = router(feed.clone());
    let (first, next) = fetch(&app, "/events?limit=4").await;
    assert_eq!(first, [10, 9, 8, 7]);
    // While the client reads page 1, three newer events arrive at the top of the feed.
    for i in 0..3 {
        feed.insert(2_000 + i, "new");
    }
    let cursor = next.expect("more pages follow");
    let (second, _) = fetch(&app, &format!("/events?limit=4&cursor={cursor}")).await;
    assert_eq!(
        second,
        [6, 5, 4, 3],
        "page 2 continues where page 1 ended; with an offset it would repeat 9, 8, 7"
    );
}

#[tokio::test]
async fn bad_limits_and_cursors_are_rejected() {
    let feed = Feed::default();
    feed.insert(1, "a");
    let app = router(feed);
    for uri in [
        "/events?limit=0",
        "/events?limit=101",
        "/events?cursor=not-a-cursor",
        "/events?cursor=MTIz", // base64 of "123": decodes, but is not a cursor
    ] {
        let res = get(&app, uri).await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "GET {uri}: {}",
            res.text()
        );
    }
}
