//! Mapping constraint violations to domain errors.

/// Which constraint refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// UNIQUE or PRIMARY KEY (SQLSTATE 23505): usually a 409 Conflict.
    Unique,
    /// FOREIGN KEY (23503): the row refers to something that does not exist.
    ForeignKey,
    /// CHECK (23514): a value out of its allowed range or shape.
    Check,
    /// NOT NULL (23502): a required value is missing.
    NotNull,
}

/// The constraint violation behind `err`, or None for any other error (a lost connection, a
/// syntax error, …).
pub fn violation(err: &sqlx::Error) -> Option<Violation> {
    todo!("err.as_database_error() gives the database error; its code() is the SQLSTATE")
}
