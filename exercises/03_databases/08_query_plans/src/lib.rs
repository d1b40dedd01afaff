//! Two slow queries to rewrite. Only the SQL changes: the functions below bind and run it.

use sqlx::PgPool;

/// $1: the last id of the previous page (NULL for the first page); $2: the page size.
/// Correct, and slower the deeper you page: it counts and skips every earlier row.
// TODO: keyset pagination — the rows after $1, found through the primary key index.
pub const PAGE_AFTER: &str = "SELECT id FROM orders ORDER BY id
    OFFSET (SELECT count(*) FROM orders WHERE id <= coalesce($1, 0)) LIMIT $2";

/// Correct, and runs two subqueries per customer.
// TODO: one pass over the orders — a LEFT JOIN with GROUP BY (or a join to an aggregated subquery).
pub const CUSTOMER_TOTALS: &str = "SELECT c.name,
        (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS orders,
        (SELECT coalesce(sum(o.total_cents), 0) FROM orders o WHERE o.customer_id = c.id)::BIGINT AS total
    FROM customers c ORDER BY c.id";

/// One page of order ids in id order, after the id `after` (None: from the start).
pub async fn page_after(pool: &PgPool, after: Option<i64>, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(PAGE_AFTER)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Every customer (by id) with their number of orders and total spent; customers without orders
/// have 0 and 0.
pub async fn customer_totals(pool: &PgPool) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(CUSTOMER_TOTALS).fetch_all(pool).await
}
