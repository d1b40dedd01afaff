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
///
/// It is correct — and it sends 1 + N queries: one for the authors, then one per author. Make it
/// send a fixed number of queries, whatever the number of authors.
pub async fn authors_with_books(pool: &PgPool) -> Result<Vec<AuthorWithBooks>, sqlx::Error> {
    let authors: Vec<Author> = sqlx::query_as("SELECT id, name FROM authors ORDER BY name, id")
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    for author in authors {
        let books: Vec<Book> = sqlx::query_as(
            "SELECT id, author_id, title, published FROM books WHERE author_id = $1 \
             ORDER BY published, id",
        )
        .bind(author.id)
        .fetch_all(pool)
        .await?;
        out.push(AuthorWithBooks { author, books });
    }
    // TODO: you will want this for grouping books by author.
    let _: HashMap<i64, Vec<Book>> = HashMap::new();
    Ok(out)
}
