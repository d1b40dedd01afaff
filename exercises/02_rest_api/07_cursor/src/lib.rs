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
    let _ = (cursor, URL_SAFE_NO_PAD.encode(""));
    todo!()
}

/// The cursor back, or None if the text is not one we made.
pub fn decode_cursor(text: &str) -> Option<Cursor> {
    let _ = text;
    todo!()
}

/// Up to `limit` events of `ordered` (newest first) that come strictly after `after`, and the
/// cursor of the next page (None when nothing follows the returned items).
pub fn page(
    ordered: &[Event],
    after: Option<Cursor>,
    limit: usize,
) -> (Vec<Event>, Option<Cursor>) {
    let _ = (ordered, after, limit);
    todo!()
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

/// GET /events?limit=&cursor=: `{"items": [...], "next_cursor": "…" | null}`, newest first.
/// `limit` defaults to DEFAULT_LIMIT and must be in 1..=MAX_LIMIT; a cursor that does not decode is
/// a 400 (never "start again from the top": the client would loop forever).
async fn list(State(feed): State<Feed>, Query(params): Query<FeedParams>) -> Response {
    // TODO: check limit (default DEFAULT_LIMIT, 1..=MAX_LIMIT) and the cursor (400 via bad_request
    // when it does not decode), then answer {"items": [...], "next_cursor": "..." or null}.
    let _ = (feed, params);
    bad_request("not implemented yet")
}
