use backlings_support_db::db;
use pg_queries::*;

/// Emails unique to one test and one run of the tests, so tests can share the run's database,
/// and running them again on the same database (`cargo test` with your own DATABASE_URL)
/// does not collide with the rows of the last run.
fn email(test: &str, n: u32) -> String {
    format!("{test}.{n}.{}@example.com", run())
}

/// This run of the test binary: its process id and start time.
fn run() -> &'static str {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{}-{nanos}", std::process::id())
    })
}

#[tokio::test]
async fn inserted_users_can_be_found() {
    let pool = db::migrated_pool().await;
    let id = insert_user(&pool, &email("found", 1), "Ada Lovelace")
        .await
        .expect("insert works");
    let user = find_by_email(&pool, &email("found", 1))
        .await
        .unwrap()
        .expect("the user we just inserted");
    assert_eq!(
        user,
        User {
            id,
            email: email("found", 1),
            name: "Ada Lovelace".into()
        }
    );
    assert_eq!(
        find_by_email(&pool, "nobody@example.com").await.unwrap(),
        None,
        "a missing user is None, not an error"
    );
}

#[tokio::test]
async fn quotes_are_data_not_sql() {
    let pool = db::migrated_pool().await;
    for (n, name) in [
        "O'Brien",
        "Robert'); DROP TABLE users; --",
        "\\\"quoted\\\" and $1",
    ]
    .iter()
    .enumerate()
    {
        let mail = format!("it's.{n}.{}@example.com", run());
        insert_user(&pool, &mail, name).await.unwrap_or_else(|e| {
            panic!("inserting the name {name:?} failed: {e} — are you building SQL with format!?")
        });
        let user = find_by_email(&pool, &mail)
            .await
            .unwrap()
            .expect("found by an email with a quote in it");
        assert_eq!(
            &user.name, name,
            "the name must come back exactly as it went in"
        );
    }
    let still_there: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .expect("the users table still exists");
    assert!(still_there >= 3);
}

#[tokio::test]
async fn injection_through_the_lookup_finds_nothing() {
    let pool = db::migrated_pool().await;
    insert_user(&pool, &email("victim", 1), "Victim")
        .await
        .unwrap();
    let found = find_by_email(&pool, "' OR '1'='1").await;
    assert!(
        matches!(found, Ok(None)),
        "a crafted email must match no row, got {found:?}"
    );
}

#[tokio::test]
async fn search_is_case_insensitive_and_ordered() {
    let pool = db::isolated_pool().await;
    let a = insert_user(&pool, "a@x.io", "Grace Hopper").await.unwrap();
    let b = insert_user(&pool, "b@x.io", "grace kelly").await.unwrap();
    insert_user(&pool, "c@x.io", "Alan Turing").await.unwrap();
    let c = insert_user(&pool, "d@x.io", "GRACE Murray").await.unwrap();
    // An UPDATE writes a new version of the row at the end of the table: without an ORDER BY,
    // Postgres now returns Grace Hopper last. Only the query's ORDER BY makes the order.
    sqlx::query("UPDATE users SET name = 'Grace B. Hopper' WHERE id = $1")
        .bind(a)
        .execute(&pool)
        .await
        .unwrap();
    let names: Vec<i64> = search_by_name(&pool, "GRACE")
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(
        names,
        [a, b, c],
        "the three Graces, in id order (the order rows come back in without ORDER BY is not a promise)"
    );
    assert!(search_by_name(&pool, "nobody").await.unwrap().is_empty());
}

#[tokio::test]
async fn wildcards_in_the_search_are_literal() {
    let pool = db::isolated_pool().await;
    insert_user(&pool, "p@x.io", "100% Rust").await.unwrap();
    insert_user(&pool, "q@x.io", "1000 Rust").await.unwrap();
    insert_user(&pool, "r@x.io", "snake_case").await.unwrap();
    insert_user(&pool, "s@x.io", "snakeXcase").await.unwrap();
    insert_user(&pool, "t@x.io", "C:\\temp").await.unwrap();
    insert_user(&pool, "u@x.io", "C:temp").await.unwrap();
    let hits = |v: Vec<User>| v.into_iter().map(|u| u.name).collect::<Vec<_>>();
    assert_eq!(
        hits(search_by_name(&pool, "0%").await.unwrap()),
        ["100% Rust"],
        "`%` is a literal percent sign here"
    );
    assert_eq!(
        hits(search_by_name(&pool, "e_c").await.unwrap()),
        ["snake_case"],
        "`_` is a literal underscore here"
    );
    assert_eq!(
        hits(search_by_name(&pool, "C:\\t").await.unwrap()),
        ["C:\\temp"],
        "a backslash is a literal backslash too (LIKE's escape character is `\\` by default)"
    );
}
