//! Cursor (keyset) pagination over a feed that keeps growing.

use std::sync::{Arc, RwLock};

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    pub id: u64,
    /// Seconds since the epoch. Many events share a second.
    pub created_at: i64,
    pub name: String,
}

/// The feed, newest first: ordered by `created_at` descending, then `id` descending.
#[derive(Clone, Default)]
pub struct Feed {
    events: Arc<RwLock<Vec<Event>>>,
}

impl Feed {
    /// Adds an event and returns its id (ids grow: 1, 2, 3…).
    pub fn insert(&self, created_at: i64, name: &str) -> u64 {
        let mut events = self.events.write().unwrap_or_else(|e| e.into_inner());
        let id = events.len() as u64 + 1;
        events.push(Event {
            id,
            created_at,
            name: name.to_owned(),
        });
        id
    }

    /// A snapshot of every event in feed order (newest first).
    pub fn ordered(&self) -> Vec<Event> {
        let mut events = self
            .events
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        events.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.id)));
        events
    }
}

/// Where a page ended: the sort key of its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: u64,
}

/// The cursor as clients see it: opaque, URL-safe text.
pub fn encode_cursor(cursor: Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at, cursor.id))
}

/// The cursor back, or None if the text is not one we made.
pub fn decode_cursor(text: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (created_at, id) = text.split_once(':')?;
    Some(Cursor {
        created_at: created_at.parse().ok()?,
        id: id.parse().ok()?,
    })
}

/// Up to `limit` events of `ordered` (newest first) that come strictly after `after`, and the
/// cursor of the next page (None when nothing follows the returned items).
pub fn page(
    ordered: &[Event],
    after: Option<Cursor>,
    limit: usize,
) -> (Vec<Event>, Option<Cursor>) {
    let mut rest = ordered
        .iter()
        .filter(|e| match after {
            // "After" in a descending order means a smaller key; the id breaks ties.
            Some(c) => (e.created_at, e.id) < (c.created_at, c.id),
            None => true,
        })
        .take(limit + 1)
        .cloned()
        .collect::<Vec<_>>();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = match rest.last() {
        Some(last) if more => Some(Cursor {
            created_at: last.created_at,
            id: last.id,
        }),
        _ => None,
    };
    (rest, next)
}

#[derive(Debug, Default, Deserialize)]
pub struct FeedParams {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

pub fn router(feed: Feed) -> Router {
    Router::new().route("/events", get(list)).with_state(feed)
}

fn bad_request(detail: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json!({"title": "Invalid request", "status": 400, "detail": detail}).to_string(),
    )
        .into_response()
}

async fn list(State(feed): State<Feed>, Query(params): Query<FeedParams>) -> Response {
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return bad_request(&format!("limit must be between 1 and {MAX_LIMIT}"));
    }
    let after = match params.cursor.as_deref() {
        None => None,
        Some(text) => match decode_cursor(text) {
            Some(c) => Some(c),
            None => {
                return bad_request("cursor is not valid: send back a next_cursor");
            }
        },
    };
    let (items, next) = page(&feed.ordered(), after, limit);
    Json(json!({
        "items": items,
        "next_cursor": next.map(encode_cursor),
    }))
    .into_response()
}
