use backlings_support_db::{db, plan};
use pg_jsonb::{count_by, find_containing, set_attr};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn catalog() -> PgPool {
    let pool = db::isolated_pool().await;
    for (name, attrs) in [
        (
            "red shirt",
            json!({"kind": "shirt", "color": "red", "size": "M", "tags": ["sale", "cotton"]}),
        ),
        (
            "blue shirt",
            json!({"kind": "shirt", "color": "blue", "size": "M", "tags": ["cotton"]}),
        ),
        (
            "red mug",
            json!({"kind": "mug", "color": "red", "volume_ml": 350, "dims": {"h": 10, "d": 8}}),
        ),
        (
            "big mug",
            json!({"kind": "mug", "color": "white", "volume_ml": 500, "dims": {"h": 12, "d": 9}}),
        ),
        ("gift card", json!({"kind": "card", "tags": ["sale"]})),
        ("size-10 shoe", json!({"kind": "shoe", "size": 10})),
    ] {
        sqlx::query("INSERT INTO products (name, attrs) VALUES ($1, $2)")
            .bind(name)
            .bind(attrs)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool
}

async fn find(pool: &PgPool, filter: Value) -> Vec<String> {
    find_containing(pool, &filter)
        .await
        .expect("find_containing")
}

#[tokio::test]
async fn containment_matches_keys_arrays_and_nested_objects() {
    let pool = catalog().await;
    assert_eq!(
        find(&pool, json!({"color": "red"})).await,
        ["red shirt", "red mug"]
    );
    assert_eq!(
        find(&pool, json!({"kind": "shirt", "size": "M"})).await,
        ["red shirt", "blue shirt"],
        "every key of the filter must match"
    );
    assert_eq!(
        find(&pool, json!({"tags": ["sale"]})).await,
        ["red shirt", "gift card"],
        "an array contains the listed elements, among others"
    );
    assert_eq!(
        find(&pool, json!({"tags": ["cotton", "sale"]})).await,
        ["red shirt"],
        "in any order"
    );
    assert_eq!(
        find(&pool, json!({"dims": {"h": 12}})).await,
        ["big mug"],
        "nested objects match partially"
    );
    assert_eq!(
        find(&pool, json!({"size": 10})).await,
        ["size-10 shoe"],
        "the number 10…"
    );
    assert!(
        find(&pool, json!({"size": "10"})).await.is_empty(),
        "…is not the string \"10\""
    );
    assert_eq!(
        find(&pool, json!({})).await.len(),
        6,
        "the empty filter contains nothing: everything matches"
    );
    assert!(find(&pool, json!({"color": "green"})).await.is_empty());
}

#[tokio::test]
async fn filter_values_are_data_not_sql() {
    let pool = catalog().await;
    assert!(
        find(&pool, json!({"color": "red' OR '1'='1"}))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn set_attr_changes_one_key_and_keeps_the_rest() {
    let pool = catalog().await;
    assert!(set_attr(&pool, 2, "color", &json!("navy")).await.unwrap());
    assert!(set_attr(&pool, 2, "stock", &json!(12)).await.unwrap());
    let attrs: Value = sqlx::query_scalar("SELECT attrs FROM products WHERE id = 2")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        attrs,
        json!({"kind": "shirt", "color": "navy", "size": "M", "tags": ["cotton"], "stock": 12}),
        "the other attributes are untouched; values keep their JSON type"
    );
    assert!(
        !set_attr(&pool, 999, "color", &json!("x")).await.unwrap(),
        "no product 999"
    );
}

#[tokio::test]
async fn counts_group_by_an_attribute_value() {
    let pool = catalog().await;
    assert_eq!(
        count_by(&pool, "kind").await.unwrap(),
        [
            (json!("mug"), 2),
            (json!("shirt"), 2),
            (json!("card"), 1),
            (json!("shoe"), 1)
        ],
        "most common first, then by value; values as JSON"
    );
    assert_eq!(
        count_by(&pool, "size").await.unwrap(),
        [(json!("M"), 2), (json!(10), 1)],
        "products without the key are not counted as null"
    );
}

/// Many values, most of them tied at one product each, inserted out of order: ties must come
/// out in value order because the query says so, not because the grouping happened to sort.
#[tokio::test]
async fn tied_counts_are_ordered_by_value() {
    let pool = db::isolated_pool().await;
    sqlx::query(
        "INSERT INTO products (name, attrs)
         SELECT 'p' || i, jsonb_build_object('batch', 'b' || lpad(((i * 37) % 120)::TEXT, 3, '0'))
         FROM generate_series(1, 120) AS i
         UNION ALL
         SELECT 'extra' || i, jsonb_build_object('batch', 'b' || lpad((i * 11)::TEXT, 3, '0'))
         FROM generate_series(1, 5) AS i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE products")
        .execute(&pool)
        .await
        .unwrap();
    let got = count_by(&pool, "batch").await.unwrap();
    let mut want: Vec<(Value, i64)> = (0..120)
        .map(|k| {
            let twice = (1..=5).any(|i| i * 11 == k);
            (json!(format!("b{k:03}")), if twice { 2 } else { 1 })
        })
        .collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(&b.0.as_str())));
    assert_eq!(got.len(), 120);
    assert_eq!(
        got, want,
        "the most common first; equal counts by value (a second sort key: ORDER BY count DESC, value)"
    );
}

#[tokio::test]
async fn containment_queries_use_a_gin_index() {
    let pool = db::isolated_pool().await;
    sqlx::query(
        "INSERT INTO products (name, attrs)
         SELECT 'p' || i, jsonb_build_object('kind', 'k' || (i % 50), 'color', 'c' || (i % 7), 'n', i)
         FROM generate_series(1, 30000) AS i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("VACUUM ANALYZE products")
        .execute(&pool)
        .await
        .unwrap();
    let plan = plan::explain(
        &pool,
        "SELECT name FROM products WHERE attrs @> '{\"kind\": \"k7\", \"color\": \"c3\"}'",
    )
    .await;
    let index: Option<String> = sqlx::query_scalar(
        "SELECT indexname::TEXT FROM pg_indexes WHERE tablename = 'products' AND indexdef ILIKE '%USING gin%'",
    )
    .fetch_optional(&pool)
    .await
    .unwrap();
    let index = index.expect("a GIN index on products (migrations/0002_attrs_index.sql)");
    assert_eq!(
        plan::index_scan(&plan),
        Some(("Bitmap Index Scan".to_owned(), index.clone())),
        "a containment query over 30 000 products should use {index}: {}",
        plan::describe(&plan)
    );
}
