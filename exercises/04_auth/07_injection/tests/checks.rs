use auth_injection::{Direction, ListError, SortColumn, list_users, parse_sort};
use backlings_support_db::db;
use sqlx::PgPool;

/// Six users, inserted in none of the orders asked for; two share a name, two a creation time.
async fn users() -> PgPool {
    let pool = db::isolated_pool().await;
    sqlx::query(
        "INSERT INTO users (name, email, password_hash, created_at) VALUES
         ('Grace', 'grace@example.com', '$argon2id$v=19$m=19456,t=2,p=1$AAAA$zzzz', '2024-03-01T10:00:00Z'),
         ('Ada',   'ada@example.com',   '$argon2id$v=19$m=19456,t=2,p=1$BBBB$aaaa', '2024-01-01T10:00:00Z'),
         ('Linus', 'linus@example.com', '$argon2id$v=19$m=19456,t=2,p=1$CCCC$mmmm', '2024-02-01T10:00:00Z'),
         ('Ada',   'ada2@example.com',  '$argon2id$v=19$m=19456,t=2,p=1$DDDD$bbbb', '2024-02-01T10:00:00Z'),
         ('Barbara','barbara@example.com','$argon2id$v=19$m=19456,t=2,p=1$EEEE$yyyy','2023-12-01T10:00:00Z'),
         ('Ken',   'ken@example.com',   '$argon2id$v=19$m=19456,t=2,p=1$FFFF$cccc', '2024-04-01T10:00:00Z')",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Rewriting a row moves it to the end of the table: the first of each tie now comes last in
    // storage, so only the id tie-breaker puts it first.
    sqlx::query(
        "UPDATE users SET name = name WHERE email IN ('ada@example.com', 'linus@example.com')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

fn emails(users: Vec<auth_injection::User>) -> Vec<String> {
    users.into_iter().map(|u| u.email).collect()
}

#[test]
fn sort_values_come_from_the_allowlist() {
    assert_eq!(
        parse_sort("name").unwrap(),
        (SortColumn::Name, Direction::Asc)
    );
    assert_eq!(
        parse_sort("-created_at").unwrap(),
        (SortColumn::CreatedAt, Direction::Desc)
    );
    assert_eq!(
        parse_sort("email").unwrap(),
        (SortColumn::Email, Direction::Asc)
    );
    for bad in [
        "",
        "-",
        "Name",
        "name ",
        " name",
        "--name",
        "name,email",
        "id",
        "password_hash",
        "users.name",
    ] {
        assert!(
            matches!(parse_sort(bad), Err(ListError::BadSort)),
            "{bad:?} is not one of the sort orders offered"
        );
    }
}

#[tokio::test]
async fn users_come_in_the_order_asked_with_ties_by_id() {
    let pool = users().await;
    assert_eq!(
        emails(list_users(&pool, "name", 10).await.unwrap()),
        [
            "ada@example.com",
            "ada2@example.com",
            "barbara@example.com",
            "grace@example.com",
            "ken@example.com",
            "linus@example.com"
        ],
        "by name; the two Adas by id"
    );
    assert_eq!(
        emails(list_users(&pool, "-created_at", 10).await.unwrap()),
        [
            "ken@example.com",
            "grace@example.com",
            "linus@example.com",
            "ada2@example.com",
            "ada@example.com",
            "barbara@example.com"
        ],
        "newest first; the two of 2024-02-01 by id"
    );
    assert_eq!(
        list_users(&pool, "email", 2).await.unwrap().len(),
        2,
        "the limit is applied"
    );
    assert!(matches!(
        list_users(&pool, "email", 0).await,
        Err(ListError::BadLimit)
    ));
    assert!(matches!(
        list_users(&pool, "email", 101).await,
        Err(ListError::BadLimit)
    ));
}

/// Payloads from the OWASP SQL Injection Prevention Cheat Sheet and the usual ORDER BY
/// techniques. Each must be refused before any SQL runs — and the database must look the same
/// afterwards.
#[tokio::test]
async fn injections_through_the_sort_order_are_refused() {
    let pool = users().await;
    for payload in [
        // Stacked query.
        "name; DROP TABLE users--",
        // Boolean-based blind: the order of the result answers a yes/no question about a secret.
        "(CASE WHEN (SELECT substr(password_hash, 1, 1) FROM users WHERE email = 'ada@example.com') = '$' THEN name ELSE email END)",
        // Time-based blind.
        "name, (SELECT pg_sleep(2))",
        // Error-based.
        "CAST((SELECT password_hash FROM users LIMIT 1) AS INT)",
        // A real column, but one nobody may sort by: sorting by a secret reveals its order.
        "password_hash",
        "-password_hash",
        // Quoting tricks.
        "\"name\"",
        "name\" DESC --",
        "1",
    ] {
        let result = list_users(&pool, payload, 10).await;
        assert!(
            matches!(result, Err(ListError::BadSort)),
            "sort={payload:?} must be refused as an unknown sort order, got {result:?} \
             (identifiers cannot be bound like values: they must come from your own list)"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .expect("the users table is still there");
    assert_eq!(count, 6);
}
