use std::time::Duration;

use backlings_support::within;
use backlings_support_db::{db, plan};
use cache_matview::{Seller, refresh, top_sellers};
use sqlx::PgPool;

/// Products 1–10, inserted out of order; order lines inserted in another order, with ties.
async fn shop() -> PgPool {
    let pool = db::isolated_pool().await;
    sqlx::query(
        "INSERT INTO products (id, name)
         SELECT id, 'product ' || id FROM unnest(ARRAY[7, 2, 9, 4, 1, 10, 5, 8, 3, 6]) AS id",
    )
    .execute(&pool)
    .await
    .unwrap();
    sell(&pool, &[6, 3, 8, 1, 10, 5, 2, 9, 7, 4], 10).await;
    pool
}

async fn sell(pool: &PgPool, products: &[i64], quantity: i32) {
    for &product in products {
        sqlx::query("INSERT INTO order_lines (product_id, quantity) VALUES ($1, $2)")
            .bind(product)
            .bind(quantity)
            .execute(pool)
            .await
            .unwrap();
    }
}

fn ids(sellers: &[Seller]) -> Vec<(i64, i64)> {
    sellers.iter().map(|s| (s.product_id, s.units)).collect()
}

async fn refreshed(pool: &PgPool) {
    refresh(pool).await.unwrap_or_else(|e| {
        panic!(
            "refresh failed: {e}\n(REFRESH MATERIALIZED VIEW CONCURRENTLY needs a unique index on \
             the view, on plain columns and without a WHERE clause)"
        )
    });
}

#[tokio::test]
async fn best_sellers_come_in_order_ties_by_product() {
    let pool = shop().await;
    refreshed(&pool).await;
    // Products 1–5 sell 5 more each: after this refresh their rows are new rows of the view.
    sell(&pool, &[4, 1, 5, 3, 2], 5).await;
    refreshed(&pool).await;
    let top = top_sellers(&pool, 7).await.unwrap();
    assert_eq!(
        ids(&top),
        [
            (1, 15),
            (2, 15),
            (3, 15),
            (4, 15),
            (5, 15),
            (6, 10),
            (7, 10)
        ],
        "most units first, ties by product id: a view has no order of its own (its rows are \
         stored in whatever order the last refresh wrote them), so the query says it"
    );
    assert_eq!(top[0].name, "product 1", "the product's name comes with it");
}

#[tokio::test]
async fn the_list_changes_at_a_refresh_and_not_before() {
    let pool = shop().await;
    refreshed(&pool).await;
    sell(&pool, &[9], 100).await;
    assert_eq!(
        ids(&top_sellers(&pool, 1).await.unwrap()),
        [(1, 10)],
        "a materialized view is a snapshot: new orders show after the next refresh"
    );
    refreshed(&pool).await;
    assert_eq!(ids(&top_sellers(&pool, 1).await.unwrap()), [(9, 110)]);
}

#[tokio::test]
async fn a_request_reads_the_view_not_the_order_lines() {
    let pool = shop().await;
    refreshed(&pool).await;
    let (result, statements) = db::record_statements(top_sellers(&pool, 3)).await;
    result.unwrap();
    let mut tables = Vec::new();
    for sql in statements
        .iter()
        .filter(|s| s.trim_start().to_uppercase().starts_with("SELECT"))
    {
        let explained = plan::explain(&pool, &sql.replace("$1", "3")).await;
        for node in plan::nodes(&explained) {
            if let Some(table) = node["Relation Name"].as_str() {
                tables.push(table.to_owned());
            }
        }
    }
    assert!(
        tables.iter().any(|t| t == "product_sales"),
        "top_sellers should read `product_sales`; its plan read {tables:?}"
    );
    assert!(
        !tables.iter().any(|t| t == "order_lines"),
        "top_sellers scans `order_lines`: the aggregation the view exists to do once per refresh \
         runs again on every request ({tables:?})"
    );
}

/// The refresh is made to stall halfway — a test transaction holds a lock on `order_lines`,
/// which the refresh must read — and a reader that waits at most 500 ms for a lock reads the
/// view meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_are_not_blocked_while_it_refreshes() {
    let pool = shop().await;
    refreshed(&pool).await;
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE order_lines IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let refreshing = tokio::spawn({
        let pool = pool.clone();
        async move { refresh(&pool).await }
    });
    // Until the refresh holds its lock on the view (and waits for ours).
    let locked = within(
        Duration::from_secs(10),
        "the refresh to lock the view",
        async {
            loop {
                if refreshing.is_finished() {
                    return false;
                }
                let held: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                 WHERE c.relname = 'product_sales' AND l.granted AND l.pid <> pg_backend_pid()",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                if held > 0 {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        },
    )
    .await;
    if !locked {
        blocker.rollback().await.unwrap();
        let outcome = refreshing.await.unwrap();
        panic!("the refresh ended without reading the order lines: {outcome:?}");
    }
    let mut reader = pool.acquire().await.unwrap();
    sqlx::query("SET lock_timeout = '500ms'")
        .execute(&mut *reader)
        .await
        .unwrap();
    let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM product_sales")
        .fetch_one(&mut *reader)
        .await;
    sqlx::query("RESET lock_timeout")
        .execute(&mut *reader)
        .await
        .unwrap();
    drop(reader);
    blocker.rollback().await.unwrap();
    let refreshed = within(Duration::from_secs(10), "the refresh", refreshing)
        .await
        .unwrap();
    assert!(
        read.is_ok(),
        "a reader of the view waited for the refresh until its lock timeout ({}): a plain \
         REFRESH MATERIALIZED VIEW locks the view against reads (ACCESS EXCLUSIVE) for as long \
         as the query runs. With CONCURRENTLY it builds the new contents aside and readers see \
         the old ones meanwhile",
        read.err().map(|e| e.to_string()).unwrap_or_default()
    );
    assert_eq!(
        read.ok(),
        Some(10),
        "the reader sees the contents of the last refresh"
    );
    refreshed.expect("the refresh finishes once the order lines can be read");
}
