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
    todo!("INSERT … RETURNING id, with $1 and $2 bound to email and name")
}

/// The user with exactly this email, if any.
pub async fn find_by_email(pool: &PgPool, email: &str) -> Result<Option<User>, sqlx::Error> {
    todo!("query_as::<_, User>(…).bind(email).fetch_optional(pool)")
}

/// Users whose name contains `fragment` (case-insensitive), by id. `%` and `_` in the fragment
/// are literal characters, not wildcards.
pub async fn search_by_name(pool: &PgPool, fragment: &str) -> Result<Vec<User>, sqlx::Error> {
    todo!("ILIKE with a bound pattern; escape \\, % and _ in the fragment first")
}
