//! The migrations applied one step at a time to a fresh database, as deploys apply them, and
//! after each step the versions of the service that run at that moment doing their work —
//! each reading what the other wrote.

use backlings_support_db::db::{isolated_empty_pool, sqlstate};
use sqlx::PgPool;
use zero_downtime_migrations::{STEPS, v1, v2};

async fn apply(pool: &PgPool, step: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(step);
    let sql = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot read {}: {e}", path.display()));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("migration {step} failed: {e}"));
}

/// A database at the end of `steps` steps, with three users v1 wrote before step 2.
async fn database_after(steps: usize) -> (PgPool, Vec<i64>) {
    let pool = isolated_empty_pool().await;
    apply(&pool, STEPS[0]).await;
    let mut old = Vec::new();
    for (email, name) in [
        ("ada@example.com", "Ada"),
        ("alan@example.com", "Alan"),
        ("grace@example.com", "Grace"),
    ] {
        old.push(
            v1::create_user(&pool, email, name)
                .await
                .expect("v1 works on its own schema"),
        );
    }
    for step in &STEPS[1..steps] {
        apply(&pool, step).await;
    }
    (pool, old)
}

#[tokio::test]
async fn after_the_expand_both_versions_work_and_see_each_others_writes() {
    let (pool, old) = database_after(2).await;
    // v1 is still running: everything it did keeps working.
    let by_v1 = v1::create_user(&pool, "edsger@example.com", "Edsger")
        .await
        .expect("after the expand step v1 can still create users");
    assert_eq!(
        v1::name_of(&pool, old[0]).await.unwrap().as_deref(),
        Some("Ada")
    );
    // v2 is rolled out: it reads what v1 wrote, before and after the migration.
    for (id, name) in [(old[1], "Alan"), (by_v1, "Edsger")] {
        assert_eq!(
            v2::name_of(&pool, id)
                .await
                .expect("v2 can read after the expand step")
                .as_deref(),
            Some(name),
            "v2 does not see the name v1 wrote"
        );
    }
    // And v1 reads what v2 writes.
    let by_v2 = v2::create_user(&pool, "barbara@example.com", "Barbara")
        .await
        .expect("after the expand step v2 can create users");
    assert_eq!(
        v1::name_of(&pool, by_v2).await.unwrap().as_deref(),
        Some("Barbara"),
        "v1 does not see the name v2 wrote"
    );
    // Updates travel both ways too.
    v1::rename(&pool, old[2], "Grace Hopper").await.unwrap();
    assert_eq!(
        v2::name_of(&pool, old[2]).await.unwrap().as_deref(),
        Some("Grace Hopper")
    );
    v2::rename(&pool, by_v2, "Barbara Liskov").await.unwrap();
    assert_eq!(
        v1::name_of(&pool, by_v2).await.unwrap().as_deref(),
        Some("Barbara Liskov")
    );
}

#[tokio::test]
async fn after_the_contract_v2_works_on_every_row() {
    let (pool, old) = database_after(2).await;
    let by_v1 = v1::create_user(&pool, "edsger@example.com", "Edsger")
        .await
        .unwrap();
    let by_v2 = v2::create_user(&pool, "barbara@example.com", "Barbara")
        .await
        .unwrap();
    apply(&pool, STEPS[2]).await;
    for (id, name) in [(old[0], "Ada"), (by_v1, "Edsger"), (by_v2, "Barbara")] {
        assert_eq!(v2::name_of(&pool, id).await.unwrap().as_deref(), Some(name));
    }
    let id = v2::create_user(&pool, "frances@example.com", "Frances")
        .await
        .expect("after the contract step v2 can create users");
    v2::rename(&pool, id, "Frances Allen")
        .await
        .expect("after the contract step v2 can rename users");
    assert_eq!(
        v2::name_of(&pool, id).await.unwrap().as_deref(),
        Some("Frances Allen")
    );
}

#[tokio::test]
async fn the_contract_leaves_the_new_schema_and_nothing_of_the_old() {
    let (pool, _) = database_after(3).await;
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        ["email", "full_name", "id"],
        "the old column is still there"
    );
    let triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(triggers, 0, "a sync trigger outlived the column it synced");
    let functions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(functions, 0, "a trigger function is left behind");
    let missing = sqlx::query("INSERT INTO users (email) VALUES ('nobody@example.com')")
        .execute(&pool)
        .await
        .expect_err("a user without a name was accepted: full_name must be NOT NULL, as name was");
    assert!(
        matches!(sqlstate(&missing).as_deref(), Some("23502") | Some("23514")),
        "{missing}"
    );
}
