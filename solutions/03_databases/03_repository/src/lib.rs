//! The repository pattern: storage behind a trait, database errors translated to domain errors.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub handle: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub handle: String,
    pub name: String,
}

/// What callers (handlers, services) can act on. No sqlx type leaks through except inside
/// `Database`, which callers treat as "500, log it".
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("no such user")]
    NotFound,
    /// A unique field (`"email"` or `"handle"`) is already taken by another user.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// The data breaks a rule the database checks (a CHECK constraint).
    #[error("invalid user: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for RepoError {
    fn from(e: sqlx::Error) -> Self {
        let Some(db) = e.as_database_error() else {
            return RepoError::Database(e);
        };
        match (db.code().as_deref(), db.constraint()) {
            // 23505 unique_violation: the constraint's name says which field.
            (Some("23505"), Some("users_email_key")) => RepoError::Conflict { field: "email" },
            (Some("23505"), Some("users_handle_key")) => RepoError::Conflict { field: "handle" },
            // 23514 check_violation.
            (Some("23514"), Some(constraint)) => RepoError::Invalid(constraint.to_owned()),
            _ => RepoError::Database(e),
        }
    }
}

/// Users, wherever they are stored. Services depend on this trait, not on Postgres: tests can use
/// the in-memory implementation, and the SQL lives in one place.
pub trait UserRepository: Send + Sync {
    fn create(&self, new: NewUser) -> impl Future<Output = Result<User, RepoError>> + Send;
    fn get(&self, id: i64) -> impl Future<Output = Result<User, RepoError>> + Send;
    fn find_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<User>, RepoError>> + Send;
    /// Changes the email; `Conflict { field: "email" }` if another user has it.
    fn change_email(
        &self,
        id: i64,
        email: &str,
    ) -> impl Future<Output = Result<User, RepoError>> + Send;
    fn delete(&self, id: i64) -> impl Future<Output = Result<(), RepoError>> + Send;
}

pub struct PgUserRepository {
    pool: PgPool,
}

impl PgUserRepository {
    pub fn new(pool: PgPool) -> Self {
        PgUserRepository { pool }
    }
}

impl UserRepository for PgUserRepository {
    async fn create(&self, new: NewUser) -> Result<User, RepoError> {
        Ok(sqlx::query_as(
            "INSERT INTO users (email, handle, name) VALUES ($1, $2, $3) \
             RETURNING id, email, handle, name",
        )
        .bind(&new.email)
        .bind(&new.handle)
        .bind(&new.name)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn get(&self, id: i64) -> Result<User, RepoError> {
        sqlx::query_as("SELECT id, email, handle, name FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(RepoError::NotFound)
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, RepoError> {
        Ok(
            sqlx::query_as("SELECT id, email, handle, name FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn change_email(&self, id: i64, email: &str) -> Result<User, RepoError> {
        sqlx::query_as(
            "UPDATE users SET email = $2 WHERE id = $1 RETURNING id, email, handle, name",
        )
        .bind(id)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn delete(&self, id: i64) -> Result<(), RepoError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }
}

/// The same contract in memory: for unit tests of code that uses a repository (given, done).
#[derive(Default)]
pub struct InMemoryUserRepository {
    users: Mutex<BTreeMap<i64, User>>,
}

impl InMemoryUserRepository {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<i64, User>) -> T) -> T {
        f(&mut self.users.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn taken(
    users: &BTreeMap<i64, User>,
    except: i64,
    email: &str,
    handle: &str,
) -> Option<&'static str> {
    let others = || users.values().filter(move |u| u.id != except);
    if others().any(|u| u.email == email) {
        Some("email")
    } else if others().any(|u| u.handle == handle) {
        Some("handle")
    } else {
        None
    }
}

impl UserRepository for InMemoryUserRepository {
    async fn create(&self, new: NewUser) -> Result<User, RepoError> {
        if new.name.trim().is_empty() {
            return Err(RepoError::Invalid("users_name_not_blank".into()));
        }
        self.with(|users| {
            if let Some(field) = taken(users, 0, &new.email, &new.handle) {
                return Err(RepoError::Conflict { field });
            }
            let id = users.keys().next_back().map_or(1, |last| last + 1);
            let user = User {
                id,
                email: new.email,
                handle: new.handle,
                name: new.name,
            };
            users.insert(id, user.clone());
            Ok(user)
        })
    }

    async fn get(&self, id: i64) -> Result<User, RepoError> {
        self.with(|users| users.get(&id).cloned().ok_or(RepoError::NotFound))
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, RepoError> {
        self.with(|users| Ok(users.values().find(|u| u.email == email).cloned()))
    }

    async fn change_email(&self, id: i64, email: &str) -> Result<User, RepoError> {
        self.with(|users| {
            let handle = users.get(&id).ok_or(RepoError::NotFound)?.handle.clone();
            if taken(users, id, email, &handle) == Some("email") {
                return Err(RepoError::Conflict { field: "email" });
            }
            let user = users.get_mut(&id).ok_or(RepoError::NotFound)?;
            user.email = email.to_owned();
            Ok(user.clone())
        })
    }

    async fn delete(&self, id: i64) -> Result<(), RepoError> {
        self.with(|users| users.remove(&id).map(|_| ()).ok_or(RepoError::NotFound))
    }
}
