use backlings_support_db::db;
use pg_n_plus_one::authors_with_books;
use sqlx::PgPool;

/// `authors` authors named so that name order differs from id order; author i has i % 4 books,
/// inserted newest first so that insertion order is not the expected order. Books 0 and 1 of an
/// author share a year (a tie the id breaks), and book 1 is rewritten afterwards, which moves
/// its row to the end of the table: an order that only holds by luck of storage shows.
async fn library(authors: i64) -> PgPool {
    let pool = db::isolated_pool().await;
    for i in 0..authors {
        let id: i64 = sqlx::query_scalar("INSERT INTO authors (name) VALUES ($1) RETURNING id")
            .bind(format!("Author {:03}", (i * 7) % authors))
            .fetch_one(&pool)
            .await
            .unwrap();
        for b in (0..i % 4).rev() {
            sqlx::query("INSERT INTO books (author_id, title, published) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(format!("Book {b} of {i}"))
                .bind(1900 + (b / 2) as i32)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    sqlx::query("UPDATE books SET title = title WHERE title LIKE 'Book 1 of %'")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

/// What the answer must be, computed the slow, obvious way.
async fn expected(pool: &PgPool) -> Vec<(String, Vec<String>)> {
    let authors: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM authors ORDER BY name, id")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut out = Vec::new();
    for (id, name) in authors {
        let titles: Vec<String> = sqlx::query_scalar(
            "SELECT title FROM books WHERE author_id = $1 ORDER BY published, id",
        )
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap();
        out.push((name, titles));
    }
    out
}

async fn check(authors: i64) {
    let pool = library(authors).await;
    let want = expected(&pool).await;
    // Connect before counting, so only the function's own statements are recorded.
    sqlx::query("SELECT 1").execute(&pool).await.unwrap();
    let (got, statements) = db::record_statements(authors_with_books(&pool)).await;
    let got = got.expect("authors_with_books");
    let got: Vec<(String, Vec<String>)> = got
        .into_iter()
        .map(|a| {
            (
                a.author.name,
                a.books.into_iter().map(|b| b.title).collect(),
            )
        })
        .collect();
    assert_eq!(
        got, want,
        "every author (by name) with their books (oldest first), including authors without books"
    );
    let queries: Vec<&String> = statements
        .iter()
        .filter(|s| {
            let s = s.to_lowercase();
            s.contains("authors") || s.contains("books")
        })
        .collect();
    assert!(
        queries.len() <= 2,
        "{authors} authors were loaded with {} queries: a fixed number (at most 2) is the goal.\n{}",
        queries.len(),
        queries
            .iter()
            .take(5)
            .map(|q| format!("  {q}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn a_few_authors_in_at_most_two_queries() {
    check(3).await;
}

#[tokio::test]
async fn many_authors_in_the_same_number_of_queries() {
    check(40).await;
}

#[tokio::test]
async fn an_empty_library_is_an_empty_list() {
    let pool = library(0).await;
    assert!(authors_with_books(&pool).await.unwrap().is_empty());
}
