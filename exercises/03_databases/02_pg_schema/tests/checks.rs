use backlings_support_db::db;
use pg_schema::{Violation, violation};
use sqlx::PgPool;

async fn author(pool: &PgPool, email: &str, name: Option<&str>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO authors (email, name) VALUES ($1, $2) RETURNING id")
        .bind(email)
        .bind(name)
        .fetch_one(pool)
        .await
}

async fn book(
    pool: &PgPool,
    author: Option<i64>,
    title: Option<&str>,
    isbn: Option<&str>,
    price: Option<i32>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO books (author_id, title, isbn, price_cents) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(author)
        .bind(title)
        .bind(isbn)
        .bind(price)
        .fetch_one(pool)
        .await
}

/// Asserts that the write was refused, by the expected kind of constraint.
fn refused<T: std::fmt::Debug>(result: Result<T, sqlx::Error>, expected: Violation, what: &str) {
    match result {
        Ok(v) => {
            panic!("the database accepted {what} (got {v:?}); add a constraint that refuses it")
        }
        Err(e) => {
            assert_eq!(
                violation(&e),
                Some(expected),
                "{what} should be refused by a {expected:?} constraint, but the error was: {e}"
            );
        }
    }
}

#[tokio::test]
async fn valid_rows_are_accepted() {
    let pool = db::isolated_pool().await;
    let a = author(&pool, "ursula@example.com", Some("Ursula K. Le Guin"))
        .await
        .expect("a valid author");
    book(
        &pool,
        Some(a),
        Some("The Dispossessed"),
        Some("9780060512750"),
        Some(1599),
    )
    .await
    .expect("a valid book");
    book(&pool, Some(a), Some("A Wizard of Earthsea"), None, Some(0))
        .await
        .expect("isbn is optional and a price of 0 is fine");
}

#[tokio::test]
async fn authors_need_a_unique_email_and_a_name() {
    let pool = db::isolated_pool().await;
    author(&pool, "a@example.com", Some("A")).await.unwrap();
    refused(
        author(&pool, "a@example.com", Some("Another A")).await,
        Violation::Unique,
        "a second author with the same email",
    );
    refused(
        author(&pool, "b@example.com", None).await,
        Violation::NotNull,
        "an author without a name",
    );
    refused(
        author(&pool, "c@example.com", Some("")).await,
        Violation::Check,
        "an author with an empty name",
    );
    let no_email = sqlx::query("INSERT INTO authors (name) VALUES ('X')")
        .execute(&pool)
        .await;
    refused(no_email, Violation::NotNull, "an author without an email");
}

#[tokio::test]
async fn books_must_point_at_a_real_author() {
    let pool = db::isolated_pool().await;
    refused(
        book(&pool, Some(999_999), Some("Orphan"), None, Some(100)).await,
        Violation::ForeignKey,
        "a book whose author does not exist",
    );
    refused(
        book(&pool, None, Some("Nobody's"), None, Some(100)).await,
        Violation::NotNull,
        "a book without an author",
    );
}

#[tokio::test]
async fn book_values_are_checked() {
    let pool = db::isolated_pool().await;
    let a = author(&pool, "d@example.com", Some("D")).await.unwrap();
    refused(
        book(&pool, Some(a), Some("Cheap"), None, Some(-1)).await,
        Violation::Check,
        "a negative price",
    );
    refused(
        book(&pool, Some(a), Some("Free?"), None, None).await,
        Violation::NotNull,
        "a book without a price",
    );
    refused(
        book(&pool, Some(a), None, None, Some(100)).await,
        Violation::NotNull,
        "a book without a title",
    );
    for bad in [
        "978006051275",
        "97800605127500",
        "978-0060512750",
        "978006051275X",
    ] {
        refused(
            book(&pool, Some(a), Some("Bad ISBN"), Some(bad), Some(100)).await,
            Violation::Check,
            &format!("the ISBN {bad:?}"),
        );
    }
    book(
        &pool,
        Some(a),
        Some("First"),
        Some("9780000000001"),
        Some(100),
    )
    .await
    .unwrap();
    refused(
        book(
            &pool,
            Some(a),
            Some("Copy"),
            Some("9780000000001"),
            Some(100),
        )
        .await,
        Violation::Unique,
        "two books with one ISBN",
    );
}

#[tokio::test]
async fn ids_are_primary_keys() {
    let pool = db::isolated_pool().await;
    for table in ["authors", "books"] {
        let pk: Option<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
             WHERE i.indrelid = $1::regclass AND i.indisprimary",
        )
        .bind(table)
        .fetch_optional(&pool)
        .await
        .unwrap();
        assert_eq!(
            pk.as_deref(),
            Some("id"),
            "{table}.id should be the PRIMARY KEY"
        );
    }
}

#[tokio::test]
async fn deleting_an_author_deletes_their_books() {
    let pool = db::isolated_pool().await;
    let a = author(&pool, "e@example.com", Some("E")).await.unwrap();
    let other = author(&pool, "f@example.com", Some("F")).await.unwrap();
    book(&pool, Some(a), Some("One"), None, Some(1))
        .await
        .unwrap();
    book(&pool, Some(a), Some("Two"), None, Some(2))
        .await
        .unwrap();
    book(&pool, Some(other), Some("Kept"), None, Some(3))
        .await
        .unwrap();
    sqlx::query("DELETE FROM authors WHERE id = $1")
        .bind(a)
        .execute(&pool)
        .await
        .expect("deleting an author with books should work: ON DELETE CASCADE");
    let left: Vec<String> = sqlx::query_scalar("SELECT title FROM books ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["Kept"]);
}

#[tokio::test]
async fn other_errors_are_not_violations() {
    let pool = db::isolated_pool().await;
    let err = sqlx::query("SELEKT 1").execute(&pool).await.unwrap_err();
    assert_eq!(
        violation(&err),
        None,
        "a syntax error is not a constraint violation"
    );
    assert_eq!(violation(&sqlx::Error::RowNotFound), None);
}
