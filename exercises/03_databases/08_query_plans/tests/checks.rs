use backlings_support_db::{db, plan};
use pg_query_plans::{CUSTOMER_TOTALS, PAGE_AFTER, customer_totals, page_after};
use serde_json::Value;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool};

/// 2 000 customers (every 10th without orders) and 60 000 orders.
async fn shop() -> PgPool {
    let pool = db::isolated_pool().await;
    for sql in [
        "INSERT INTO customers (name) SELECT 'customer ' || i FROM generate_series(1, 2000) AS i",
        "INSERT INTO orders (customer_id, total_cents)
         SELECT c, (i * 37) % 10000
         FROM generate_series(1, 60000) AS i, LATERAL (SELECT 1 + (i * 7) % 2000 AS c) AS pick
         WHERE c % 10 <> 0",
        "VACUUM ANALYZE customers",
        "VACUUM ANALYZE orders",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool
}

/// `$1` and `$2` of PAGE_AFTER, as `page_after` binds them.
fn page_args(after: Option<i64>, limit: i64) -> PgArguments {
    let mut args = PgArguments::default();
    args.add(after).expect("an Option<i64> binds");
    args.add(limit).expect("an i64 binds");
    args
}

/// Rows produced by every node of the plan, over all its loops: the work the query did.
fn rows_touched(plan: &Value) -> f64 {
    plan::nodes(plan)
        .iter()
        .map(|n| {
            n["Actual Rows"].as_f64().unwrap_or(0.0) * n["Actual Loops"].as_f64().unwrap_or(1.0)
        })
        .sum()
}

#[tokio::test]
async fn paging_walks_every_order_once() {
    let pool = shop().await;
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let first = page_after(&pool, None, 100).await.unwrap();
    assert_eq!(first, all[..100], "the first page");
    let deep_after = all[40_000];
    let deep = page_after(&pool, Some(deep_after), 100).await.unwrap();
    assert_eq!(
        deep,
        all[40_001..40_101],
        "the page after id {deep_after}, without repeating it"
    );
    let last = page_after(&pool, Some(all[all.len() - 3]), 100)
        .await
        .unwrap();
    assert_eq!(last, all[all.len() - 2..], "the short last page");
}

#[tokio::test]
async fn a_deep_page_costs_the_same_as_the_first() {
    let pool = shop().await;
    let deep_after: i64 =
        sqlx::query_scalar("SELECT id FROM orders ORDER BY id OFFSET 50000 LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let plan = plan::explain_analyze(&pool, PAGE_AFTER, page_args(Some(deep_after), 100)).await;
    let touched = rows_touched(&plan);
    assert!(
        touched <= 300.0,
        "the page after row 50 000 made the database produce {touched} rows ({}): \
         a page of 100 should cost about 100, however deep it is",
        plan::describe(&plan)
    );
}

#[tokio::test]
async fn customer_totals_are_right_including_customers_without_orders() {
    let pool = shop().await;
    let got = customer_totals(&pool).await.unwrap();
    assert_eq!(got.len(), 2000, "every customer, with or without orders");
    let expected: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT c.name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id),
                (SELECT coalesce(sum(total_cents), 0) FROM orders o WHERE o.customer_id = c.id)::BIGINT
         FROM customers c ORDER BY c.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        got[9],
        ("customer 10".to_owned(), 0, 0),
        "customer 10 has no orders: 0 and 0"
    );
    assert_eq!(got, expected);
}

/// The property is the work, not the shape of the plan: `orders` is read in one pass. A
/// correlated subquery, a LATERAL join or a nested loop all look the orders up again for each of
/// the 2 000 customers — a node on `orders` with 2 000 loops, whatever it is called.
#[tokio::test]
async fn customer_totals_read_the_orders_once() {
    let pool = shop().await;
    let plan = plan::explain_analyze(&pool, CUSTOMER_TOTALS, PgArguments::default()).await;
    let nodes = plan::nodes(&plan);
    // A parallel scan counts one loop per process that took part.
    let processes = 1.0
        + nodes
            .iter()
            .filter_map(|n| n["Workers Launched"].as_f64())
            .fold(0.0, f64::max);
    let loops: f64 = nodes
        .iter()
        .filter(|n| n["Relation Name"] == "orders")
        .map(|n| n["Actual Loops"].as_f64().unwrap_or(1.0))
        .sum();
    assert!(
        loops > 0.0 && loops <= processes,
        "the plan reads `orders` {loops} times ({}): once per customer is the per-row work the \
         lesson is about. Join the tables once and group",
        plan::describe(&plan)
    );
}
