//! Documents in Postgres: JSONB attributes, containment queries, partial updates.

use serde_json::Value;
use sqlx::PgPool;

/// Names of the products whose attributes contain `filter` (JSONB containment, `@>`): every key of
/// the filter is present with a containing value; arrays contain the listed elements in any order;
/// nested objects are matched recursively. By id.
pub async fn find_containing(pool: &PgPool, filter: &Value) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM products WHERE attrs @> $1 ORDER BY id")
        .bind(filter)
        .fetch_all(pool)
        .await
}

/// Sets one top-level attribute, keeping all the others. Returns false if there is no such product.
pub async fn set_attr(pool: &PgPool, id: i64, key: &str, value: &Value) -> sqlx::Result<bool> {
    // `||` merges objects, the right side winning: one atomic UPDATE, no read-modify-write.
    let done = sqlx::query(
        "UPDATE products SET attrs = attrs || jsonb_build_object($2::TEXT, $3::JSONB) \
         WHERE id = $1",
    )
    .bind(id)
    .bind(key)
    .bind(value)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many products have each value of the top-level attribute `key` (products without it are
/// not counted), most common first, then by value. Values come back as JSON (`"red"`, `42`).
pub async fn count_by(pool: &PgPool, key: &str) -> sqlx::Result<Vec<(Value, i64)>> {
    sqlx::query_as(
        "SELECT attrs -> $1 AS value, count(*) FROM products WHERE attrs ? $1 \
         GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .bind(key)
    .fetch_all(pool)
    .await
}
