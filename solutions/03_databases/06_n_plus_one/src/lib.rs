//! Loading a list with its children without the N+1 query problem.

use std::collections::HashMap;

use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Book {
    pub id: i64,
    pub author_id: i64,
    pub title: String,
    pub published: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorWithBooks {
    pub author: Author,
    /// Oldest first (by `published`, then `id`).
    pub books: Vec<Book>,
}

/// Every author (by name, then id) with their books (oldest first); authors without books too.
/// Two queries whatever the number of authors: the authors, then all their books at once.
pub async fn authors_with_books(pool: &PgPool) -> Result<Vec<AuthorWithBooks>, sqlx::Error> {
    let authors: Vec<Author> = sqlx::query_as("SELECT id, name FROM authors ORDER BY name, id")
        .fetch_all(pool)
        .await?;
    let ids: Vec<i64> = authors.iter().map(|a| a.id).collect();
    // One array parameter instead of N queries (or N placeholders): `= ANY($1)`.
    let books: Vec<Book> = sqlx::query_as(
        "SELECT id, author_id, title, published FROM books WHERE author_id = ANY($1) \
         ORDER BY published, id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let mut by_author: HashMap<i64, Vec<Book>> = HashMap::new();
    for book in books {
        // Rows come oldest first, so each author's list is in order too.
        by_author.entry(book.author_id).or_default().push(book);
    }
    Ok(authors
        .into_iter()
        .map(|author| AuthorWithBooks {
            books: by_author.remove(&author.id).unwrap_or_default(),
            author,
        })
        .collect())
}
