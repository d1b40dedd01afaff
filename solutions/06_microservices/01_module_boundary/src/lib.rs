//! One monolith, two modules with a boundary between them: catalog and orders, each with its
//! own schema, talking through catalog's public API, never through its tables.

/// The catalog module (given): products and their prices. Its tables are its own.
pub mod catalog {
    use sqlx::PgPool;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Product {
        pub id: i64,
        pub name: String,
        pub price_cents: i64,
    }

    /// What other modules may ask of the catalog: the whole of its public surface.
    pub trait CatalogApi {
        /// The products with these ids that exist, in any order.
        fn products(
            &self,
            ids: &[i64],
        ) -> impl std::future::Future<Output = Result<Vec<Product>, sqlx::Error>> + Send;
    }

    #[derive(Clone)]
    pub struct Catalog {
        pool: PgPool,
    }

    impl Catalog {
        pub fn new(pool: PgPool) -> Catalog {
            Catalog { pool }
        }

        pub async fn add(&self, name: &str, price_cents: i64) -> Result<i64, sqlx::Error> {
            sqlx::query_scalar(
                "INSERT INTO catalog.products (name, price_cents) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(price_cents)
            .fetch_one(&self.pool)
            .await
        }

        pub async fn update(
            &self,
            id: i64,
            name: &str,
            price_cents: i64,
        ) -> Result<(), sqlx::Error> {
            sqlx::query("UPDATE catalog.products SET name = $2, price_cents = $3 WHERE id = $1")
                .bind(id)
                .bind(name)
                .bind(price_cents)
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }

    impl CatalogApi for Catalog {
        async fn products(&self, ids: &[i64]) -> Result<Vec<Product>, sqlx::Error> {
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, name, price_cents FROM catalog.products WHERE id = ANY($1) ORDER BY id",
            )
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, name, price_cents)| Product {
                    id,
                    name,
                    price_cents,
                })
                .collect())
        }
    }
}

/// The orders module: what you write.
pub mod orders {
    use std::collections::HashMap;

    use sqlx::PgPool;

    use crate::catalog::CatalogApi;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Line {
        pub product_id: i64,
        pub qty: i32,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SummaryLine {
        pub product_name: String,
        pub qty: i32,
        pub unit_price_cents: i64,
        pub total_cents: i64,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Summary {
        pub customer: String,
        /// In the order they were placed.
        pub lines: Vec<SummaryLine>,
        pub total_cents: i64,
    }

    #[derive(Debug, thiserror::Error)]
    pub enum OrderError {
        #[error("no product {0}")]
        UnknownProduct(i64),
        #[error("an order needs at least one line")]
        Empty,
        #[error(transparent)]
        Db(#[from] sqlx::Error),
    }

    #[derive(Clone)]
    pub struct Orders {
        pool: PgPool,
    }

    impl Orders {
        pub fn new(pool: PgPool) -> Orders {
            Orders { pool }
        }

        /// Places an order for `customer`: the products' names and prices as the catalog has
        /// them now are copied into the order. Returns the order's id.
        pub async fn place(
            &self,
            catalog: &impl CatalogApi,
            customer: &str,
            lines: &[Line],
        ) -> Result<i64, OrderError> {
            if lines.is_empty() {
                return Err(OrderError::Empty);
            }
            // One question to the other module for the whole order, however many lines.
            let ids: Vec<i64> = lines.iter().map(|l| l.product_id).collect();
            let products: HashMap<i64, _> = catalog
                .products(&ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let mut tx = self.pool.begin().await?;
            let order_id: i64 =
                sqlx::query_scalar("INSERT INTO orders.orders (customer) VALUES ($1) RETURNING id")
                    .bind(customer)
                    .fetch_one(&mut *tx)
                    .await?;
            for (line_no, line) in lines.iter().enumerate() {
                let product = products
                    .get(&line.product_id)
                    .ok_or(OrderError::UnknownProduct(line.product_id))?;
                sqlx::query(
                    "INSERT INTO orders.order_lines \
                     (order_id, line_no, product_id, product_name, unit_price_cents, qty) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(order_id)
                .bind(line_no as i32)
                .bind(product.id)
                .bind(&product.name)
                .bind(product.price_cents)
                .bind(line.qty)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(order_id)
        }

        /// The order as it was placed, from the orders module's own tables only.
        pub async fn summary(&self, order_id: i64) -> Result<Option<Summary>, OrderError> {
            let customer: Option<String> =
                sqlx::query_scalar("SELECT customer FROM orders.orders WHERE id = $1")
                    .bind(order_id)
                    .fetch_optional(&self.pool)
                    .await?;
            let Some(customer) = customer else {
                return Ok(None);
            };
            let rows: Vec<(String, i32, i64)> = sqlx::query_as(
                "SELECT product_name, qty, unit_price_cents FROM orders.order_lines \
                 WHERE order_id = $1 ORDER BY line_no",
            )
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?;
            let lines: Vec<SummaryLine> = rows
                .into_iter()
                .map(|(product_name, qty, unit_price_cents)| SummaryLine {
                    product_name,
                    qty,
                    unit_price_cents,
                    total_cents: unit_price_cents * i64::from(qty),
                })
                .collect();
            let total_cents = lines.iter().map(|l| l.total_cents).sum();
            Ok(Some(Summary {
                customer,
                lines,
                total_cents,
            }))
        }
    }
}
