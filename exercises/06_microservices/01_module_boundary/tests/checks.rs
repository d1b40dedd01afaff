use std::collections::HashMap;
use std::sync::Mutex;

use backlings_support_db::db;
use module_boundary::catalog::{Catalog, CatalogApi, Product};
use module_boundary::orders::*;
use sqlx::PgPool;

/// The catalog as the orders module sees it in these tests: its public API, answering from
/// memory, counting the questions. (So any SQL the tests record is the orders module's.)
#[derive(Default)]
struct FakeCatalog {
    products: HashMap<i64, Product>,
    questions: Mutex<Vec<Vec<i64>>>,
}

impl FakeCatalog {
    fn with(products: &[(i64, &str, i64)]) -> FakeCatalog {
        FakeCatalog {
            products: products
                .iter()
                .map(|&(id, name, price_cents)| {
                    (
                        id,
                        Product {
                            id,
                            name: name.into(),
                            price_cents,
                        },
                    )
                })
                .collect(),
            questions: Mutex::default(),
        }
    }

    fn questions(&self) -> Vec<Vec<i64>> {
        self.questions.lock().unwrap().clone()
    }
}

impl CatalogApi for FakeCatalog {
    async fn products(&self, ids: &[i64]) -> Result<Vec<Product>, sqlx::Error> {
        self.questions.lock().unwrap().push(ids.to_vec());
        // Sorted by id, as the real one answers: not in the order asked.
        let mut found: Vec<Product> = ids
            .iter()
            .filter_map(|id| self.products.get(id).cloned())
            .collect();
        found.sort_by_key(|p| p.id);
        found.dedup();
        Ok(found)
    }
}

fn line(product_id: i64, qty: i32) -> Line {
    Line { product_id, qty }
}

fn summary_line(name: &str, qty: i32, unit: i64) -> SummaryLine {
    SummaryLine {
        product_name: name.into(),
        qty,
        unit_price_cents: unit,
        total_cents: unit * i64::from(qty),
    }
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

const PRODUCTS: [(i64, &str, i64); 3] = [(1, "tea", 450), (2, "cup", 1200), (3, "kettle", 3900)];

#[tokio::test]
async fn an_order_keeps_its_lines_in_order_with_the_products_of_that_moment() {
    let pool = db::isolated_pool().await;
    let catalog = FakeCatalog::with(&PRODUCTS);
    let orders = Orders::new(pool.clone());
    let lines = [line(3, 1), line(1, 2), line(3, 2), line(2, 3)];
    let id = orders.place(&catalog, "ada", &lines).await.expect("placed");
    let summary = orders.summary(id).await.unwrap().expect("the order");
    assert_eq!(
        summary,
        Summary {
            customer: "ada".into(),
            lines: vec![
                summary_line("kettle", 1, 3900),
                summary_line("tea", 2, 450),
                summary_line("kettle", 2, 3900),
                summary_line("cup", 3, 1200),
            ],
            total_cents: 3900 + 900 + 7800 + 3600,
        },
        "the lines as placed (the catalog answers by id, not in the order asked; the kettle \
         twice), each with the name and price the catalog gave"
    );
    assert_eq!(orders.summary(id + 1000).await.unwrap(), None);
}

#[tokio::test]
async fn the_other_module_is_asked_once_per_order() {
    let pool = db::isolated_pool().await;
    let catalog = FakeCatalog::with(&PRODUCTS);
    let orders = Orders::new(pool);
    let lines = [line(3, 1), line(1, 2), line(2, 1), line(1, 1)];
    orders.place(&catalog, "ada", &lines).await.unwrap();
    let questions = catalog.questions();
    assert_eq!(
        questions.len(),
        1,
        "4 lines, {} questions to the catalog: {questions:?}. Across a module boundary — and \
         soon a network — a question per line is the N+1 problem with a round trip each",
        questions.len()
    );
}

#[tokio::test]
async fn the_orders_module_reads_and_writes_its_own_tables_only() {
    let pool = db::isolated_pool().await;
    let catalog = FakeCatalog::with(&PRODUCTS);
    let orders = Orders::new(pool);
    let (id, placing) = db::record_statements(orders.place(&catalog, "ada", &[line(2, 1)])).await;
    let id = id.unwrap();
    let (summary, reading) = db::record_statements(orders.summary(id)).await;
    summary.unwrap().unwrap();
    for statement in placing.iter().chain(&reading) {
        assert!(
            !statement.to_lowercase().contains("catalog"),
            "the orders module sent `{statement}`: a JOIN (or any query) into the catalog's \
             tables ties the two modules to one database and one schema forever. Ask the \
             catalog's API, and keep what the order needs in the order"
        );
    }
    assert!(
        reading.iter().any(|s| s.contains("orders.")),
        "the summary is read from the orders module's tables: {reading:?}"
    );
}

#[tokio::test]
async fn a_price_change_does_not_rewrite_past_orders() {
    let pool = db::isolated_pool().await;
    let catalog = Catalog::new(pool.clone());
    let tea = catalog.add("tea", 450).await.unwrap();
    let orders = Orders::new(pool.clone());
    let id = orders
        .place(&catalog, "ada", &[line(tea, 2)])
        .await
        .unwrap();
    catalog.update(tea, "green tea", 990).await.unwrap();
    let summary = orders.summary(id).await.unwrap().unwrap();
    assert_eq!(
        summary.lines,
        vec![summary_line("tea", 2, 450)],
        "the catalog now says `green tea` at 990: the order was placed for `tea` at 450, and \
         an invoice must not change after the fact. What an order needs of a product is \
         copied into it when it is placed"
    );
    assert_eq!(summary.total_cents, 900);
}

#[tokio::test]
async fn an_order_with_an_unknown_product_is_not_placed_at_all() {
    let pool = db::isolated_pool().await;
    let catalog = FakeCatalog::with(&PRODUCTS);
    let orders = Orders::new(pool.clone());
    let result = orders
        .place(&catalog, "ada", &[line(1, 1), line(99, 1), line(2, 1)])
        .await;
    assert!(
        matches!(result, Err(OrderError::UnknownProduct(99))),
        "product 99 does not exist: {result:?}"
    );
    assert_eq!(
        (
            count(&pool, "orders.orders").await,
            count(&pool, "orders.order_lines").await
        ),
        (0, 0),
        "nothing of the refused order is stored (the order and its lines are one transaction)"
    );
    assert!(matches!(
        orders.place(&catalog, "ada", &[]).await,
        Err(OrderError::Empty)
    ));
    assert_eq!(count(&pool, "orders.orders").await, 0, "nor an empty order");
}
