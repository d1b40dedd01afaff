//! A best-sellers list served from a materialized view: the aggregation runs once per refresh,
//! not once per request, and a refresh never makes a reader wait.
//!
//! The view itself goes in `migrations/0002_sales.sql`.

use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Seller {
    pub product_id: i64,
    pub name: String,
    pub units: i64,
}

/// The `n` best-selling products as of the last refresh: most units first, ties by product id.
pub async fn top_sellers(pool: &PgPool, n: i64) -> sqlx::Result<Vec<Seller>> {
    todo!()
}

/// Recomputes `product_sales` while readers go on reading the previous contents.
pub async fn refresh(pool: &PgPool) -> sqlx::Result<()> {
    todo!()
}
