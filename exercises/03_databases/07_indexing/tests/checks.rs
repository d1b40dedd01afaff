use backlings_support_db::{db, plan};
use serde_json::Value;
use sqlx::PgPool;

/// 60 000 orders of 100 customers over ~40 days, 1% of them pending; 20 000 users. Then
/// VACUUM ANALYZE, so the planner has statistics and index-only scans are possible.
async fn shop() -> PgPool {
    let pool = db::isolated_pool().await;
    for sql in [
        "INSERT INTO orders (customer_id, status, created_at, total_cents)
         SELECT i % 100,
                CASE WHEN i % 100 = 0 THEN 'pending' WHEN i % 3 = 0 THEN 'paid' ELSE 'shipped' END,
                TIMESTAMPTZ '2026-01-01' + i * INTERVAL '1 minute',
                (i * 37) % 10000
         FROM generate_series(1, 60000) AS i",
        "INSERT INTO users (email, name, bio)
         SELECT 'user' || i || '@example.com', 'User ' || i, repeat('x', 200)
         FROM generate_series(1, 20000) AS i",
        "VACUUM ANALYZE orders",
        "VACUUM ANALYZE users",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool
}

/// The index query `n` reads, or a failure that shows the plan.
fn scanned_index(plan: &Value, n: u8) -> String {
    match plan::index_scan(plan) {
        Some((_, index)) => index,
        None => panic!(
            "query {n} reads the table without an index scan: {}",
            plan::describe(plan)
        ),
    }
}

async fn key_columns(pool: &PgPool, index: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT a.attname::TEXT FROM pg_index i
         JOIN LATERAL unnest(i.indkey::SMALLINT[]) WITH ORDINALITY AS k(attnum, n) ON n <= i.indnkeyatts
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indexrelid = $1::TEXT::REGCLASS ORDER BY n",
    )
    .bind(index)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn has_sort(plan: &Value) -> bool {
    plan::nodes(plan)
        .iter()
        .any(|n| n["Node Type"] == "Sort" || n["Node Type"] == "Incremental Sort")
}

const CUSTOMER_ORDERS: &str = "SELECT id, total_cents FROM orders
    WHERE customer_id = 42 AND created_at >= TIMESTAMPTZ '2026-01-20'
    ORDER BY created_at DESC LIMIT 20";
const PENDING_QUEUE: &str = "SELECT id, customer_id FROM orders
    WHERE status = 'pending' ORDER BY created_at LIMIT 50";
const NAME_BY_EMAIL: &str = "SELECT name FROM users WHERE email = 'user777@example.com'";

#[tokio::test]
async fn customer_orders_use_a_composite_index_in_the_right_column_order() {
    let pool = shop().await;
    let plan = plan::explain(&pool, CUSTOMER_ORDERS).await;
    let index = scanned_index(&plan, 1);
    assert_eq!(
        key_columns(&pool, &index).await,
        ["customer_id", "created_at"],
        "query 1 uses {index}: equality column first, then the range/sort column"
    );
    assert!(
        !has_sort(&plan),
        "query 1 still sorts: the index should deliver rows in order ({})",
        plan::describe(&plan)
    );
}

#[tokio::test]
async fn the_pending_queue_uses_a_small_partial_index() {
    let pool = shop().await;
    let plan = plan::explain(&pool, PENDING_QUEUE).await;
    let index = scanned_index(&plan, 2);
    let partial: bool = sqlx::query_scalar(
        "SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = $1::TEXT::REGCLASS",
    )
    .bind(&index)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        partial,
        "query 2 uses {index}, which is not partial: index only the pending orders (WHERE status = 'pending')"
    );
    assert!(
        !has_sort(&plan),
        "query 2 still sorts: {}",
        plan::describe(&plan)
    );
    let (partial_size, pkey_size): (i64, i64) = sqlx::query_as(
        "SELECT pg_relation_size($1::TEXT::REGCLASS), pg_relation_size('orders_pkey')",
    )
    .bind(&index)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        partial_size * 10 < pkey_size,
        "the partial index ({partial_size} bytes) should be a small fraction of a full one ({pkey_size} bytes)"
    );
}

#[tokio::test]
async fn a_name_by_email_comes_from_the_index_alone() {
    let pool = shop().await;
    let plan = plan::explain(&pool, NAME_BY_EMAIL).await;
    assert!(
        plan::index_scan(&plan).is_some_and(|(t, _)| t == "Index Only Scan"),
        "query 3 should be an Index Only Scan (the name stored in the index with INCLUDE), got {}",
        plan::describe(&plan)
    );
}

#[tokio::test]
async fn no_index_is_wasted() {
    let pool = shop().await;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE tablename IN ('orders', 'users') AND indexname NOT LIKE '%_pkey'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        count <= 3,
        "{count} indexes: every index slows down every write; three queries need three at most"
    );
}
