//! Reading Postgres query plans in tests: `EXPLAIN (FORMAT JSON)` and its `ANALYZE` form, the
//! plan's nodes, and a one-line description for assertion messages.

use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::PgArguments;

/// The plan Postgres chooses for `sql` (a statement without parameters): the root `Plan` node.
pub async fn explain(pool: &PgPool, sql: &str) -> Value {
    root(pool, "EXPLAIN (FORMAT JSON)", sql, PgArguments::default()).await
}

/// The plan of `sql` after running it with `args` bound to its `$1`, `$2`…, with
/// `Actual Rows` and `Actual Loops` on every node.
pub async fn explain_analyze(pool: &PgPool, sql: &str, args: PgArguments) -> Value {
    root(pool, "EXPLAIN (ANALYZE, FORMAT JSON)", sql, args).await
}

async fn root(pool: &PgPool, explain: &str, sql: &str, args: PgArguments) -> Value {
    let statement = format!("{explain} {sql}");
    let out: Value = sqlx::query_scalar_with(sqlx::AssertSqlSafe(statement), args)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("EXPLAIN failed for {sql}: {e}"));
    out[0]["Plan"].clone()
}

/// Every node of a plan, depth first.
pub fn nodes(plan: &Value) -> Vec<&Value> {
    let mut out = vec![plan];
    for child in plan["Plans"].as_array().into_iter().flatten() {
        out.extend(nodes(child));
    }
    out
}

/// `Limit → Index Scan using orders_pkey → …`, with subplans marked.
pub fn describe(plan: &Value) -> String {
    nodes(plan)
        .iter()
        .map(|n| {
            let mut s = n["Node Type"].as_str().unwrap_or("?").to_owned();
            if let Some(index) = n["Index Name"].as_str() {
                s.push_str(&format!(" using {index}"));
            } else if let Some(table) = n["Relation Name"].as_str() {
                s.push_str(&format!(" on {table}"));
            }
            if n["Actual Loops"].as_f64().is_some_and(|l| l > 1.0)
                && n["Parent Relationship"] != "SubPlan"
            {
                s.push_str(&format!(" ({} loops)", n["Actual Loops"]));
            }
            if n["Parent Relationship"] == "SubPlan" {
                s.push_str(&format!(" (SubPlan, {} loops)", n["Actual Loops"]));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The first node that scans an index (Index Scan, Index Only Scan, Bitmap Index Scan):
/// (node type, index name).
pub fn index_scan(plan: &Value) -> Option<(String, String)> {
    nodes(plan).into_iter().find_map(|n| {
        Some((
            n["Node Type"].as_str()?.to_owned(),
            n["Index Name"].as_str()?.to_owned(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn nodes_describe_and_index_scans() {
        let plan = json!({"Node Type": "Limit", "Plans": [
            {"Node Type": "Index Scan", "Index Name": "i", "Plans": [
                {"Node Type": "Aggregate", "Parent Relationship": "SubPlan", "Actual Loops": 3}
            ]}
        ]});
        assert_eq!(super::nodes(&plan).len(), 3);
        assert_eq!(
            super::describe(&plan),
            "Limit → Index Scan using i → Aggregate (SubPlan, 3 loops)"
        );
        assert_eq!(
            super::index_scan(&plan),
            Some(("Index Scan".into(), "i".into()))
        );
    }
}
