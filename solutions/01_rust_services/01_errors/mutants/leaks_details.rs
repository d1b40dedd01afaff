//! shows the database error to clients
//! Errors across layers: a repository error, a service error that wraps it, and the mapping to
//! HTTP status codes at the edge.

use std::collections::HashMap;
use std::num::ParseIntError;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("user {0} not found")]
    NotFound(u64),
    #[error("database error: {0}")]
    Database(String),
}

/// Errors of the service layer. Each variant wraps the error it came from, so `source()` leads
/// back to the root cause.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid user id")]
    InvalidId(#[from] ParseIntError),
    #[error("user lookup failed")]
    Repo(#[from] RepoError),
}

/// A stand-in for a database table.
pub struct UserRepo {
    pub users: HashMap<u64, String>,
    /// When set, every query fails with `RepoError::Database(<this text>)`.
    pub broken: Option<String>,
}

impl UserRepo {
    pub fn find_name(&self, id: u64) -> Result<String, RepoError> {
        if let Some(reason) = &self.broken {
            return Err(RepoError::Database(reason.clone()));
        }
        self.users.get(&id).cloned().ok_or(RepoError::NotFound(id))
    }
}

/// Parses a user id from a URL segment such as `"42"`.
pub fn parse_user_id(raw: &str) -> Result<u64, ServiceError> {
    Ok(raw.parse::<u64>()?)
}

/// The service operation: parse the id, look the user up.
pub fn user_name(repo: &UserRepo, raw_id: &str) -> Result<String, ServiceError> {
    let id = parse_user_id(raw_id)?;
    Ok(repo.find_name(id)?)
}

/// The HTTP status code for an error.
pub fn status_code(err: &ServiceError) -> u16 {
    match err {
        ServiceError::InvalidId(_) => 400,
        ServiceError::Repo(RepoError::NotFound(_)) => 404,
        ServiceError::Repo(RepoError::Database(_)) => 500,
    }
}

/// The message a client may see.
pub fn public_message(err: &ServiceError) -> String {
    match err {
        ServiceError::Repo(inner) if status_code(err) >= 500 => inner.to_string(),
        _ => err.to_string(),
    }
}
