//! binds the search text but forgets that % and _ are LIKE wildcards
//! Parameterized queries with sqlx.

use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// Inserts a user and returns its new id.
pub async fn insert_user(pool: &PgPool, email: &str, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id")
        .bind(email)
        .bind(name)
        .fetch_one(pool)
        .await
}

/// The user with exactly this email, if any.
pub async fn find_by_email(pool: &PgPool, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>("SELECT id, email, name FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

/// Users whose name contains `fragment` (case-insensitive), by id.
pub async fn search_by_name(pool: &PgPool, fragment: &str) -> Result<Vec<User>, sqlx::Error> {
    let escaped = fragment.to_owned();
    sqlx::query_as::<_, User>(
        "SELECT id, email, name FROM users WHERE name ILIKE '%' || $1 || '%' ORDER BY id",
    )
    .bind(escaped)
    .fetch_all(pool)
    .await
}
