//! Errors across layers: a repository error, a service error that wraps it, and the mapping to
//! HTTP status codes at the edge.

use std::collections::HashMap;
use std::num::ParseIntError;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// Displays as `user 7 not found`.
    #[error("TODO")]
    NotFound(u64),
    /// Displays as `database error: <detail>`.
    #[error("TODO")]
    Database(String),
}

/// Errors of the service layer. Each variant wraps the error it came from, so `source()` leads
/// back to the root cause.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Displays as `invalid user id`; its source is the `ParseIntError`.
    #[error("TODO")]
    InvalidId(ParseIntError), // TODO: mark the field #[from]
    /// Displays as `user lookup failed`; its source is the `RepoError`.
    #[error("TODO")]
    Repo(RepoError), // TODO: mark the field #[from]
}

// TODO: delete these two impls once the fields above are `#[from]`: thiserror then writes them
// for you, and also reports the wrapped error as the `source()` — which these do not.
impl From<RepoError> for ServiceError {
    fn from(err: RepoError) -> Self {
        ServiceError::Repo(err)
    }
}

impl From<ParseIntError> for ServiceError {
    fn from(err: ParseIntError) -> Self {
        ServiceError::InvalidId(err)
    }
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
    todo!("parse `raw` as u64; let `?` turn the ParseIntError into a ServiceError")
}

/// The service operation: parse the id, look the user up.
pub fn user_name(repo: &UserRepo, raw_id: &str) -> Result<String, ServiceError> {
    todo!("two lines with `?`")
}

/// The HTTP status code for an error: 400 for a bad id, 404 for a missing user, 500 for a
/// database failure.
pub fn status_code(err: &ServiceError) -> u16 {
    todo!("match on the error (and on the RepoError inside `Repo`)")
}

/// The message a client may see: the error's own message for 4xx errors, and the generic
/// `internal server error` for 5xx (details stay in the logs).
pub fn public_message(err: &ServiceError) -> String {
    todo!()
}
