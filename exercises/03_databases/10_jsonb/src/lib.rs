//! Documents in Postgres: JSONB attributes, containment queries, partial updates.

use serde_json::Value;
use sqlx::PgPool;

/// Names of the products whose attributes contain `filter` (JSONB containment, `@>`): every key of
/// the filter is present with a containing value; arrays contain the listed elements in any order;
/// nested objects are matched recursively. By id.
pub async fn find_containing(pool: &PgPool, filter: &Value) -> sqlx::Result<Vec<String>> {
    let _ = (pool, filter);
    todo!()
}

/// Sets one top-level attribute, keeping all the others. Returns false if there is no such product.
pub async fn set_attr(pool: &PgPool, id: i64, key: &str, value: &Value) -> sqlx::Result<bool> {
    let _ = (pool, id, key, value);
    todo!()
}

/// How many products have each value of the top-level attribute `key` (products without it are
/// not counted), most common first, then by value. Values come back as JSON (`"red"`, `42`).
pub async fn count_by(pool: &PgPool, key: &str) -> sqlx::Result<Vec<(Value, i64)>> {
    let _ = (pool, key);
    todo!()
}
