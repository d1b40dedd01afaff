//! Two versions of one service, as they run side by side during a deploy: `v1` knows the
//! column `users.name`, `v2` the column `users.full_name`. The schema has to go from one to
//! the other while both keep working: that is your job, in `migrations/` (README.md). The
//! code here is given and stays as it is.

use sqlx::PgPool;

/// The migrations, in the order they are applied — each one deployed on its own, with
/// whatever versions of the service are running at that moment.
pub const STEPS: [&str; 3] = ["0001_users.sql", "0002_expand.sql", "0003_contract.sql"];

/// The service as it was: `name`.
pub mod v1 {
    use super::PgPool;

    pub async fn create_user(pool: &PgPool, email: &str, name: &str) -> sqlx::Result<i64> {
        sqlx::query_scalar("INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id")
            .bind(email)
            .bind(name)
            .fetch_one(pool)
            .await
    }

    pub async fn name_of(pool: &PgPool, id: i64) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
    }

    pub async fn rename(pool: &PgPool, id: i64, name: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
            .bind(id)
            .bind(name)
            .execute(pool)
            .await
            .map(|_| ())
    }
}

/// The service as it will be: `full_name`.
pub mod v2 {
    use super::PgPool;

    pub async fn create_user(pool: &PgPool, email: &str, full_name: &str) -> sqlx::Result<i64> {
        sqlx::query_scalar("INSERT INTO users (email, full_name) VALUES ($1, $2) RETURNING id")
            .bind(email)
            .bind(full_name)
            .fetch_one(pool)
            .await
    }

    pub async fn name_of(pool: &PgPool, id: i64) -> sqlx::Result<Option<String>> {
        sqlx::query_scalar("SELECT full_name FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
    }

    pub async fn rename(pool: &PgPool, id: i64, full_name: &str) -> sqlx::Result<()> {
        sqlx::query("UPDATE users SET full_name = $2 WHERE id = $1")
            .bind(id)
            .bind(full_name)
            .execute(pool)
            .await
            .map(|_| ())
    }
}
