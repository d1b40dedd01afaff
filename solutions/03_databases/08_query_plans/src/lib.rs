//! Two slow queries to rewrite. Only the SQL changes: the functions below bind and run it.

use sqlx::PgPool;

/// $1: the last id of the previous page (NULL for the first page); $2: the page size.
/// Keyset: the primary key index jumps straight to the first id after $1.
/// (Ids start at 1, so "after 0" is the first page; `$1 IS NULL OR id > $1` would also be right,
/// but an OR can keep a generic plan from using the index.)
pub const PAGE_AFTER: &str = "SELECT id FROM orders
    WHERE id > coalesce($1, 0) ORDER BY id LIMIT $2";

/// One pass: join, group, aggregate. `count(o.id)` counts 0 for a customer without orders
/// (`count(*)` would count the NULL row the LEFT JOIN makes).
pub const CUSTOMER_TOTALS: &str = "SELECT c.name, count(o.id) AS orders,
        coalesce(sum(o.total_cents), 0)::BIGINT AS total
    FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
    GROUP BY c.id ORDER BY c.id";

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
