//! A read router in front of a primary and a lagging replica: read-your-writes with a
//! position token the client carries.

use std::time::Duration;

use sqlx::PgPool;

/// How far into the primary's write-ahead log a write went (bytes). The client keeps it (in a
/// cookie, say) and hands it back with its next reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(dead_code)]
pub struct Position(i64);

#[allow(dead_code)]
pub struct ReadRouter {
    primary: PgPool,
    replica: PgPool,
    /// How long a read waits for the replica before it asks the primary instead.
    replica_budget: Duration,
}

impl ReadRouter {
    pub fn new(primary: PgPool, replica: PgPool, replica_budget: Duration) -> ReadRouter {
        ReadRouter {
            primary,
            replica,
            replica_budget,
        }
    }

    /// Writes on the primary; the position returned is at or after the write's commit.
    pub async fn set_bio(&self, _user: i64, _bio: &str) -> Result<Position, sqlx::Error> {
        todo!("upsert on the primary, then read the primary's log position")
    }

    /// `user`'s bio as of at least `after` (the reader's own last write), from the replica when
    /// it has applied that far and answers in budget, else from the primary.
    pub async fn bio(
        &self,
        _after: Option<Position>,
        _user: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        todo!("ask the replica how far it is and for the bio; fall back to the primary")
    }
}
